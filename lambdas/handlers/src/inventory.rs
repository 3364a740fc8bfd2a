//! Inventory (DESIGN §2, step 3): list the upload, a CID per object, a class per file, written
//! to `inventory.json` under the run's work prefix. The state only carries a fixed-size summary
//! (counts, bytes, where the inventory is and its CID), so a survey of any size stays far under
//! Step Functions' 256 KiB payload limit.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use leadline_core::cids::cid_of_bytes;
use leadline_core::key::{Key, KeyError};
use leadline_core::manifest::{Manifest, ManifestError};
use leadline_core::store::{ObjectInfo, ObjectStore, StoreError};
use serde::{Deserialize, Serialize};

use crate::buckets::{Buckets, Place, PlaceError};
use crate::classify::{classify, Class};

/// The inventory's name under the run's work prefix.
pub const INVENTORY: &str = "inventory.json";
/// Objects whose CID is looked up or computed at once: enough to hide request latency.
const CONCURRENCY: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct InventoryInput {
    pub survey: String,
    /// `s3://bucket/prefix/` of the upload.
    pub upload: String,
    /// `s3://bucket/prefix/` of the run's work area.
    pub work: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error(transparent)]
    Place(#[from] PlaceError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{location}: inventory.json is not an inventory: {message}")]
    Unreadable { location: String, message: String },
}

/// One object of the upload; `path` is relative to the upload prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub cid: String,
    pub size: u64,
    pub class: Class,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub key: String,
    pub reason: String,
}

/// `inventory.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub survey: String,
    pub upload: String,
    /// CID of the DAG-CBOR manifest path → CID of the upload: the run's input in its composite.
    pub manifest: String,
    pub objects: Vec<Entry>,
    /// Keys present in the upload that fail core's key rules; never read, never processed.
    pub rejected: Vec<Rejected>,
}

impl Inventory {
    pub fn manifest(&self) -> Result<Manifest, InventoryError> {
        let mut manifest = Manifest::new();
        for entry in &self.objects {
            let cid = leadline_core::cids::parse_cid(&entry.cid).map_err(|e| {
                InventoryError::Unreadable {
                    location: self.upload.clone(),
                    message: e.to_string(),
                }
            })?;
            manifest.insert(&entry.path, cid)?;
        }
        Ok(manifest)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCount {
    pub files: u64,
    pub bytes: u64,
}

/// What the state machine carries (`$.inventory.Payload`): the same size for any survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub survey: String,
    pub upload: String,
    /// `s3://…/inventory.json`.
    pub inventory: String,
    /// CID of `inventory.json`.
    pub cid: String,
    /// CID of the upload's manifest.
    pub manifest: String,
    pub objects: u64,
    pub bytes: u64,
    pub classes: BTreeMap<Class, ClassCount>,
    pub rejected: u64,
}

pub async fn handle(
    buckets: &dyn Buckets,
    input: &InventoryInput,
) -> Result<Summary, InventoryError> {
    let upload = Place::parse(&input.upload)?;
    let work = Place::parse(&input.work)?;
    let source = buckets.bucket(&upload.bucket);
    let listing = source.list_all(&upload.prefix).await?;

    let objects: Vec<Entry> = stream::iter(listing.objects)
        .map(|object| entry(source.clone(), &upload, object))
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    let rejected: Vec<Rejected> = listing
        .rejected
        .into_iter()
        .map(|e| Rejected {
            key: e.key,
            reason: e.reason.to_owned(),
        })
        .collect();
    for r in &rejected {
        tracing::warn!(key = ?r.key, reason = %r.reason, "key refused; not inventoried");
    }

    let mut inventory = Inventory {
        survey: input.survey.clone(),
        upload: upload.uri(),
        manifest: String::new(),
        objects,
        rejected,
    };
    inventory.manifest = inventory.manifest()?.cid().to_string();

    let mut classes: BTreeMap<Class, ClassCount> = Class::ALL
        .iter()
        .map(|c| (*c, ClassCount::default()))
        .collect();
    for entry in &inventory.objects {
        let count = classes.entry(entry.class).or_default();
        count.files += 1;
        count.bytes += entry.size;
    }
    // Objects are listed in key order, so the bytes (and their CID) are reproducible.
    let bytes = serde_json::to_vec(&inventory).map_err(|e| InventoryError::Unreadable {
        location: work.uri(),
        message: e.to_string(),
    })?;
    let key = Key::new(INVENTORY)?.under(&work.prefix)?;
    let cid = cid_of_bytes(&bytes);
    buckets.bucket(&work.bucket).put_bytes(&key, bytes).await?;
    tracing::info!(objects = inventory.objects.len(), %cid, "inventory written");

    Ok(Summary {
        survey: input.survey.clone(),
        upload: upload.uri(),
        inventory: format!("s3://{}/{key}", work.bucket),
        cid: cid.to_string(),
        manifest: inventory.manifest.clone(),
        objects: inventory.objects.len() as u64,
        bytes: inventory.objects.iter().map(|e| e.size).sum(),
        classes,
        rejected: inventory.rejected.len() as u64,
    })
}

async fn entry(
    store: Arc<dyn ObjectStore>,
    upload: &Place,
    object: ObjectInfo,
) -> Result<Entry, InventoryError> {
    // Listings rarely know CIDs; `cid` reads the recorded one (metadata, ChecksumSHA256)
    // with one HEAD and hashes the content only when none is recorded.
    let cid = match object.cid {
        Some(cid) => cid,
        None => store.cid(&object.key).await?,
    };
    let path = object
        .key
        .strip_prefix(&upload.prefix)
        .unwrap_or_else(|| object.key.clone());
    Ok(Entry {
        class: classify(path.as_str()),
        path: path.to_string(),
        cid: cid.to_string(),
        size: object.size,
    })
}

/// Reads the inventory a [`Summary`] points at.
pub async fn read(buckets: &dyn Buckets, summary: &Summary) -> Result<Inventory, InventoryError> {
    let location = &summary.inventory;
    let (bucket, key) = location
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .ok_or_else(|| InventoryError::Unreadable {
            location: location.clone(),
            message: "not an s3://bucket/key location".into(),
        })?;
    let bytes = buckets.bucket(bucket).get_bytes(&Key::new(key)?).await?;
    serde_json::from_slice(&bytes).map_err(|e| InventoryError::Unreadable {
        location: location.clone(),
        message: e.to_string(),
    })
}
