//! Leadline's shared foundation. This crate owns the contracts every other crate relies on:
//!
//! - [`cids`]: CIDv1 (raw, sha2-256, base32) of bytes, streams and files, in constant memory;
//! - [`manifest`]: named maps of CIDs as DAG-CBOR with their own CID;
//! - [`key`]: the one object-key validator used everywhere.

pub mod cids;
pub mod key;
pub mod manifest;

pub use cid::Cid;
