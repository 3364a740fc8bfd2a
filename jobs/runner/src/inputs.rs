//! Staging a step's inputs into the inputs folder, and naming them by CID for the cache key.
//!
//! A source is a folder or `s3://bucket/prefix` (its contents land at the top of the inputs
//! folder), or one file or object (`s3://bucket/survey/a.bag` lands as `a.bag`): a Map iteration
//! over grids stages its one grid, not the whole survey.

use std::path::Path;

use leadline_core::key::{Key, KeyError, Prefix};
use leadline_core::manifest::{Manifest, ManifestError};
use leadline_core::store::{
    DirStore, Location, LocationError, ObjectStore, PutOptions, StoreError,
};
use leadline_core::sync::{sync, SyncOptions};

use crate::job::Place;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Location(#[from] LocationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("no inputs at {0}")]
    Missing(String),
    #[error("staging {source_text} failed for {}", .failures.join("; "))]
    Incomplete {
        source_text: String,
        failures: Vec<String>,
    },
}

/// Copies `source` into `inputs`; objects already there with the same CID are not copied again.
pub async fn stage(source: &str, inputs: &Path) -> Result<(), InputError> {
    let target = DirStore::new(inputs);
    match Location::parse(source)? {
        Location::Dir(path) if path.is_file() => {
            let name = file_name(&path, source)?;
            let parent = path.parent().unwrap_or(Path::new("."));
            copy_one(&DirStore::new(parent), &name, &target).await
        }
        Location::Dir(path) if path.is_dir() => {
            sync_all(&DirStore::new(path), &Prefix::default(), &target, source).await
        }
        Location::Dir(_) => Err(InputError::Missing(source.to_owned())),
        Location::S3 { .. } => {
            let Place { store, prefix } = Place::open(source).await?;
            let listed = store.list_all(&prefix).await?;
            if !listed.objects.is_empty() || source.ends_with('/') {
                return sync_all(store.as_ref(), &prefix, &target, source).await;
            }
            let key = Key::new(prefix.as_str().trim_end_matches('/'))?;
            if store.head(&key).await?.is_none() {
                return Err(InputError::Missing(source.to_owned()));
            }
            copy_one(store.as_ref(), &key, &target).await
        }
    }
}

fn file_name(path: &Path, source: &str) -> Result<Key, InputError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| InputError::Missing(source.to_owned()))?;
    Ok(Key::new(name)?)
}

async fn copy_one(store: &dyn ObjectStore, key: &Key, target: &DirStore) -> Result<(), InputError> {
    let name = Key::new(key.segments().last().unwrap_or(key.as_str()))?;
    let info = store.head(key).await?;
    let cid = info.as_ref().and_then(|i| i.cid);
    if let (Some(cid), Some(present)) = (cid, target.head(&name).await?) {
        if present.cid == Some(cid) {
            return Ok(());
        }
    }
    let body = store.get(key).await?;
    target
        .put(
            &name,
            body,
            PutOptions {
                cid,
                content_type: None,
            },
        )
        .await?;
    Ok(())
}

async fn sync_all(
    store: &dyn ObjectStore,
    prefix: &Prefix,
    target: &DirStore,
    source: &str,
) -> Result<(), InputError> {
    let report = sync(
        store,
        prefix,
        target,
        &Prefix::default(),
        &SyncOptions::default(),
    )
    .await?;
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(InputError::Incomplete {
            source_text: source.to_owned(),
            failures: report
                .failed
                .into_iter()
                .map(|f| format!("{}: {}", f.key, f.error))
                .collect(),
        })
    }
}

/// The manifest (name → CID) of everything in the inputs folder. Names that are not valid keys
/// are an error: they could not be staged from a store, and must not slip past the cache key.
pub async fn manifest(inputs: &Path) -> Result<Manifest, InputError> {
    let store = DirStore::new(inputs);
    let listed = store.list_all(&Prefix::default()).await?;
    if let Some(rejected) = listed.rejected.into_iter().next() {
        return Err(rejected.into());
    }
    let mut manifest = Manifest::new();
    for object in listed.objects {
        let cid = store.cid(&object.key).await?;
        manifest.insert(object.key.as_str(), cid)?;
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stages_a_folder_or_a_single_file() {
        let dir = tempfile::tempdir().unwrap();
        let survey = dir.path().join("survey");
        std::fs::create_dir_all(survey.join("raw")).unwrap();
        std::fs::write(survey.join("a.bag"), b"alpha").unwrap();
        std::fs::write(survey.join("raw/b.all"), b"bravo").unwrap();

        let whole = dir.path().join("whole");
        stage(survey.to_str().unwrap(), &whole).await.unwrap();
        assert_eq!(std::fs::read(whole.join("raw/b.all")).unwrap(), b"bravo");

        let one = dir.path().join("one");
        stage(survey.join("a.bag").to_str().unwrap(), &one)
            .await
            .unwrap();
        let names: Vec<String> = manifest(&one)
            .await
            .unwrap()
            .iter()
            .map(|(name, _)| name.to_owned())
            .collect();
        assert_eq!(names, ["a.bag"]);
    }

    #[tokio::test]
    async fn a_missing_source_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = stage("/nonexistent/survey", dir.path()).await.unwrap_err();
        assert!(err.to_string().contains("/nonexistent/survey"), "{err}");
    }
}
