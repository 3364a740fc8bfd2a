//! Leadline's deployment, checked offline: the Terraform under `terraform/` (read with
//! `hcl-rs`, see [`terraform`]) against the rendered state machines under `state-machines/`.
//! [`check::check_environment`] reports every function, task definition, activity, bucket and
//! host a machine uses that Terraform does not create or its role does not allow, every
//! permission of the role the machine does not use, a processor host whose role works other
//! activities than the machine's, and a provider deploying to another region than the machine
//! names.

pub mod check;
mod error;
pub mod iam;
pub mod machine;
pub mod terraform;

pub use error::InfraError;
