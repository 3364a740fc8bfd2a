//! Leadline's shared foundation. This crate owns the contracts every other crate relies on:
//!
//! - [`cids`]: CIDv1 (raw, sha2-256, base32) of bytes, streams and files, in constant memory;
//! - [`manifest`]: named maps of CIDs as DAG-CBOR with their own CID;
//! - [`key`]: the one object-key validator used everywhere;
//! - [`predicate`]: the predicate language that decides which branches of a run apply;
//! - [`store`]: the object-store trait with its S3 and folder implementations;
//! - [`sync`]: prefix-to-prefix copy between stores that skips content already present.

pub mod cids;
pub mod key;
pub mod manifest;
pub mod predicate;
pub mod store;
pub mod sync;

pub use cid::Cid;
