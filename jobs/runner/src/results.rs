//! Job records: each job's task result, published next to its outputs as
//! `<publish prefix>.leadline/jobs/<cache key>.json`.
//!
//! A Fargate `.sync` task's result in the execution history is ECS's description of the task,
//! not what the job printed, so these records are how a job's step, tool version, cache use and
//! outputs' manifest reach the run manifest: publish reads every record under the run's outputs.
//! Records are provenance, not products, yet they are deliberately copied to the products bucket
//! with the outputs, so the run's outputs manifest covers them too.
//!
//! The cache key names the step, tool, command and inputs, so the jobs of two grids never share a
//! record and a rerun of the same job (a retry, a redrive, a cache hit) replaces its own.

use leadline_core::key::{Key, KeyError, Prefix};
use leadline_core::store::{ObjectStore, StoreError};
use leadline_core::Cid;

use crate::job::TaskResult;

/// Where the records are, relative to the publish prefix.
pub const RECORDS: &str = ".leadline/jobs/";

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("job record {location}/{key} is not a task result: {message}")]
    Unreadable {
        location: String,
        key: String,
        message: String,
    },
}

/// The records' prefix under `publish`.
pub fn records_prefix(publish: &Prefix) -> Result<Prefix, KeyError> {
    Prefix::new(format!("{publish}{RECORDS}"))
}

pub async fn write(
    store: &dyn ObjectStore,
    publish: &Prefix,
    cache_key: &Cid,
    result: &TaskResult,
) -> Result<Key, RecordError> {
    let key = Key::new(format!("{cache_key}.json"))?.under(&records_prefix(publish)?)?;
    // A result of strings, numbers and JSON values always serialises.
    let bytes = serde_json::to_vec_pretty(result).unwrap_or_default();
    store.put_bytes(&key, bytes).await?;
    Ok(key)
}

/// Every job record under `publish`, also in its sub-prefixes (each grid's products have their
/// own), in key order. A record that does not parse is an error naming it: the run's provenance
/// would be incomplete without it.
pub async fn read_all(
    store: &dyn ObjectStore,
    publish: &Prefix,
) -> Result<Vec<TaskResult>, RecordError> {
    let listing = store.list_all(publish).await?;
    let mut records = Vec::new();
    for object in listing.objects.into_iter().filter(|o| {
        let key = o.key.as_str();
        let relative = key.strip_prefix(publish.as_str()).unwrap_or(key);
        relative.starts_with(RECORDS) || relative.contains(&format!("/{RECORDS}"))
    }) {
        let bytes = store.get_bytes(&object.key).await?;
        let record = serde_json::from_slice(&bytes).map_err(|error| RecordError::Unreadable {
            location: store.location(),
            key: object.key.to_string(),
            message: error.to_string(),
        })?;
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use leadline_core::cids::cid_of_bytes;
    use leadline_core::store::DirStore;

    use super::*;

    fn result(step: &str) -> TaskResult {
        TaskResult {
            step: step.into(),
            tool: "leadline/gdal:7".into(),
            outputs: BTreeMap::new(),
            manifest: "bafyreimanifest".into(),
            inputs: "bafyreiinputs".into(),
            metadata: vec![],
            metadata_dropped: 0,
            cached: false,
            cache_key: None,
        }
    }

    #[tokio::test]
    async fn records_read_back_and_an_unreadable_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::new(dir.path());
        let publish = Prefix::new("S1/run-1/products").unwrap();
        // An output of the same name elsewhere is not a record.
        store
            .put_bytes(
                &Key::new("S1/run-1/products/a.json").unwrap(),
                b"{}".to_vec(),
            )
            .await
            .unwrap();
        for step in ["qc", "cog"] {
            let key = write(
                &store,
                &publish,
                &cid_of_bytes(step.as_bytes()),
                &result(step),
            )
            .await
            .unwrap();
            assert!(key
                .as_str()
                .starts_with("S1/run-1/products/.leadline/jobs/bafkrei"));
        }
        // A grid's products in their own folder keep their records beside them.
        let grid = Prefix::new("S1/run-1/products/a.bag").unwrap();
        write(
            &store,
            &grid,
            &cid_of_bytes(b"hillshade"),
            &result("hillshade"),
        )
        .await
        .unwrap();
        let mut steps: Vec<String> = read_all(&store, &publish)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.step)
            .collect();
        steps.sort();
        assert_eq!(steps, ["cog", "hillshade", "qc"]);
        assert!(read_all(&store, &Prefix::new("S2").unwrap())
            .await
            .unwrap()
            .is_empty());

        let broken = Key::new("S1/run-1/products/.leadline/jobs/broken.json").unwrap();
        store
            .put_bytes(&broken, b"{\"step\":".to_vec())
            .await
            .unwrap();
        let error = read_all(&store, &publish).await.unwrap_err().to_string();
        assert!(error.contains(broken.as_str()), "{error}");
    }
}
