//! Leadline's deployment, checked offline: the Terraform under `terraform/` (read with
//! `hcl-rs`, see [`terraform`]) against the rendered state machines under `state-machines/`.
//! [`check::check_environment`] reports every function, task definition, activity, bucket and
//! host a machine uses that Terraform does not create or its role does not allow, and every
//! permission of the role the machine does not use.

pub mod check;
mod error;
pub mod iam;
pub mod machine;
pub mod terraform;

pub use error::InfraError;
