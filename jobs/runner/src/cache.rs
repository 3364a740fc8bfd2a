//! Memoization (DESIGN §3): a step's cache key is the CID of its definition, its tool version,
//! its command line and its inputs' manifest. `cache/<key>.json` records the task result; it
//! counts as a hit only while every output it lists is still published with the same CID.

use leadline_core::cids::cid_of_bytes;
use leadline_core::key::{Key, KeyError, Prefix};
use leadline_core::store::{ObjectStore, StoreError};
use leadline_core::Cid;
use serde::Serialize;

use crate::job::TaskResult;

/// What the cache key covers. Field order is fixed by the struct, so the bytes (and the CID)
/// are stable across runs and machines.
#[derive(Debug, Serialize)]
pub struct CacheKey<'a> {
    pub step: &'a str,
    pub tool: &'a str,
    pub command: &'a [String],
    pub inputs: String,
}

impl CacheKey<'_> {
    pub fn cid(&self) -> Cid {
        // Serialising strings and a list of strings cannot fail.
        cid_of_bytes(&serde_json::to_vec(self).unwrap_or_default())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

fn record_key(prefix: &Prefix, key: &Cid) -> Result<Key, KeyError> {
    Key::new(format!("{key}.json"))?.under(prefix)
}

/// The recorded result when the cache holds `key` and its outputs are all still published.
/// A record that cannot be parsed is a miss (it will be overwritten), not an error.
pub async fn lookup(
    cache: &dyn ObjectStore,
    cache_prefix: &Prefix,
    key: &Cid,
    published: &dyn ObjectStore,
    published_prefix: &Prefix,
) -> Result<Option<TaskResult>, CacheError> {
    let record = record_key(cache_prefix, key)?;
    if cache.head(&record).await?.is_none() {
        return Ok(None);
    }
    let bytes = cache.get_bytes(&record).await?;
    let Ok(result) = serde_json::from_slice::<TaskResult>(&bytes) else {
        tracing::warn!(%record, "unreadable cache record; running the step");
        return Ok(None);
    };
    for (name, output) in &result.outputs {
        let key = Key::new(name.as_str())?.under(published_prefix)?;
        let present = match published.head(&key).await? {
            None => false,
            Some(info) if info.size != output.size => false,
            Some(info) => {
                let cid = match info.cid {
                    Some(cid) => cid,
                    None => published.cid(&key).await?,
                };
                cid.to_string() == output.cid
            }
        };
        if !present {
            tracing::info!(%name, "cached output no longer published; running the step");
            return Ok(None);
        }
    }
    Ok(Some(result))
}

pub async fn record(
    cache: &dyn ObjectStore,
    cache_prefix: &Prefix,
    key: &Cid,
    result: &TaskResult,
) -> Result<(), CacheError> {
    // A result of strings, numbers and JSON values always serialises.
    let bytes = serde_json::to_vec_pretty(result).unwrap_or_default();
    cache
        .put_bytes(&record_key(cache_prefix, key)?, bytes)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_changes_with_every_part() {
        let command = ["leadline-qc".to_owned(), "a.bag".to_owned()];
        let base = CacheKey {
            step: "QC",
            tool: "1",
            command: &command,
            inputs: "x".into(),
        };
        let same = CacheKey {
            inputs: "x".into(),
            ..base
        };
        assert_eq!(base.cid(), same.cid());
        let other_command = ["leadline-qc".to_owned(), "b.bag".to_owned()];
        for changed in [
            CacheKey {
                step: "COG",
                inputs: "x".into(),
                ..base
            },
            CacheKey {
                tool: "2",
                inputs: "x".into(),
                ..base
            },
            CacheKey {
                command: &other_command,
                inputs: "x".into(),
                ..base
            },
            CacheKey {
                inputs: "y".into(),
                ..base
            },
        ] {
            assert_ne!(changed.cid(), base.cid());
        }
    }
}
