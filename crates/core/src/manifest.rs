//! Manifests: a named map of CIDs, encoded as DAG-CBOR and identified by its own CID.
//!
//! Names follow the object-key rules, so a manifest can always be laid out as files. A composite
//! manifest maps names to the CIDs of other manifests; a run's composite CID covers its input
//! inventory and every step's outputs that way.

use std::collections::BTreeMap;

use cid::Cid;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cids::{cid_from_sha256, DAG_CBOR};
use crate::key::{Key, KeyError};

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest entry name rejected: {0}")]
    Name(#[from] KeyError),
    #[error("manifest is not valid DAG-CBOR: {0}")]
    Decode(String),
}

/// A named map of CIDs. Iteration is in name order; the encoding is canonical DAG-CBOR, so equal
/// manifests always have equal bytes and equal CIDs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Manifest {
    entries: BTreeMap<String, Cid>,
}

impl Manifest {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an entry, returning the CID it replaced.
    pub fn insert(&mut self, name: &str, cid: Cid) -> Result<Option<Cid>, ManifestError> {
        let name = Key::new(name)?;
        Ok(self.entries.insert(name.as_str().to_owned(), cid))
    }

    pub fn get(&self, name: &str) -> Option<&Cid> {
        self.entries.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Cid)> {
        self.entries.iter().map(|(name, cid)| (name.as_str(), cid))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A manifest of manifests: each part becomes an entry pointing at that part's CID.
    pub fn composite<'a>(
        parts: impl IntoIterator<Item = (&'a str, &'a Manifest)>,
    ) -> Result<Self, ManifestError> {
        let mut composite = Self::new();
        for (name, part) in parts {
            composite.insert(name, part.cid())?;
        }
        Ok(composite)
    }

    /// Canonical DAG-CBOR: a map whose values are CID links (tag 42), keys in length-then-bytes
    /// order as the DAG-CBOR spec requires.
    pub fn to_dag_cbor(&self) -> Vec<u8> {
        // Serialising a map of strings to CIDs into a Vec cannot fail: every value is
        // representable and the writer is infallible.
        serde_ipld_dagcbor::to_vec(&self.entries).unwrap_or_default()
    }

    pub fn from_dag_cbor(bytes: &[u8]) -> Result<Self, ManifestError> {
        let entries: BTreeMap<String, Cid> = serde_ipld_dagcbor::from_slice(bytes)
            .map_err(|e| ManifestError::Decode(e.to_string()))?;
        let mut manifest = Self::new();
        for (name, cid) in entries {
            manifest.insert(&name, cid)?;
        }
        Ok(manifest)
    }

    /// The manifest's own CID (codec `dag-cbor`, sha2-256).
    pub fn cid(&self) -> Cid {
        cid_from_sha256(DAG_CBOR, &Sha256::digest(self.to_dag_cbor()).into())
    }

    /// The rendering for people: `{"cid": …, "entries": {name: cid}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let entries: serde_json::Map<String, serde_json::Value> = self
            .entries
            .iter()
            .map(|(name, cid)| (name.clone(), cid.to_string().into()))
            .collect();
        serde_json::json!({ "cid": self.cid().to_string(), "entries": entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cids::{cid_of_bytes, parse_cid};

    fn sample() -> Manifest {
        let mut manifest = Manifest::new();
        manifest
            .insert("hello.txt", cid_of_bytes(b"hello world"))
            .unwrap();
        manifest.insert("empty", cid_of_bytes(b"")).unwrap();
        manifest
    }

    #[test]
    fn encoding_is_canonical_dag_cbor() {
        let bytes = sample().to_dag_cbor();
        // map(2), then "empty" (5 bytes) before "hello.txt" (9 bytes): length-first ordering.
        assert_eq!(bytes[0], 0xa2);
        assert_eq!(&bytes[1..7], b"\x65empty");
        // Values are tag 42 links: 0xd8 0x2a, then bytes(37) = 0x00 multibase prefix + CID.
        assert_eq!(&bytes[7..10], &[0xd8, 0x2a, 0x58]);
        assert_eq!(bytes[10], 37);
        assert_eq!(bytes[11], 0x00);
        assert_eq!(bytes.len(), 1 + 6 + 4 + 37 + 10 + 4 + 37);
    }

    #[test]
    fn length_first_key_order_beats_byte_order() {
        let mut manifest = Manifest::new();
        manifest.insert("aa", cid_of_bytes(b"1")).unwrap();
        manifest.insert("b", cid_of_bytes(b"2")).unwrap();
        let bytes = manifest.to_dag_cbor();
        assert_eq!(&bytes[1..3], b"\x61b", "the shorter key comes first");
    }

    #[test]
    fn round_trips_and_cid_is_dag_cbor() {
        let manifest = sample();
        let decoded = Manifest::from_dag_cbor(&manifest.to_dag_cbor()).unwrap();
        assert_eq!(decoded, manifest);
        let cid = manifest.cid();
        assert_eq!(cid.codec(), DAG_CBOR);
        assert!(cid.to_string().starts_with("bafyrei"), "{cid}");
        assert_eq!(parse_cid(&cid.to_string()).unwrap(), cid);
    }

    #[test]
    fn cid_changes_with_any_entry() {
        let mut changed = sample();
        changed.insert("empty", cid_of_bytes(b"not empty")).unwrap();
        assert_ne!(changed.cid(), sample().cid());
    }

    #[test]
    fn composite_points_at_part_manifests() {
        let inputs = sample();
        let mut outputs = Manifest::new();
        outputs.insert("qc.json", cid_of_bytes(b"{}")).unwrap();
        let composite = Manifest::composite([("inventory", &inputs), ("qc", &outputs)]).unwrap();
        assert_eq!(composite.get("inventory"), Some(&inputs.cid()));
        assert_eq!(composite.get("qc"), Some(&outputs.cid()));
    }

    #[test]
    fn json_rendering_lists_cids_as_text() {
        let json = sample().to_json();
        assert_eq!(
            json["entries"]["hello.txt"],
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
        );
        assert_eq!(json["cid"], sample().cid().to_string());
    }

    #[test]
    fn hostile_names_are_refused() {
        let err = Manifest::new()
            .insert("../escape", cid_of_bytes(b""))
            .unwrap_err();
        assert!(err.to_string().contains("../escape"), "{err}");
    }

    #[test]
    fn garbage_is_a_decode_error() {
        assert!(Manifest::from_dag_cbor(b"\xff\x00").is_err());
    }
}
