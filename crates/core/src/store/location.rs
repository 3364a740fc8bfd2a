//! Where a store and prefix live, as users write it: a folder path or `s3://bucket/prefix`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::key::{KeyError, Prefix};

use super::{DirStore, EtagCidCache, ObjectStore, S3Store};

/// The environment variable that maps `s3://` locations onto bucket folders (see
/// [`Location::open`]).
pub const LOCAL_BUCKETS_ENV: &str = "LEADLINE_LOCAL_BUCKETS";

/// The same mapping set from code, for the process that hosts the local twin (its in-process
/// worker stages `s3://` inputs): one twin per process, the last call wins.
static LOCAL_BUCKETS: std::sync::RwLock<Option<PathBuf>> = std::sync::RwLock::new(None);

/// Makes [`Location::open`] in this process read `s3://bucket/…` from `<root>/bucket/…`.
pub fn use_local_buckets(root: impl Into<PathBuf>) {
    *LOCAL_BUCKETS.write().unwrap_or_else(|p| p.into_inner()) = Some(root.into());
}

fn local_buckets() -> Option<PathBuf> {
    let set = LOCAL_BUCKETS
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    set.or_else(|| {
        std::env::var_os(LOCAL_BUCKETS_ENV)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    S3 { bucket: String, prefix: Prefix },
}

#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error("`{0}` has no bucket name (expected s3://bucket/prefix)")]
    NoBucket(String),
    #[error("`{text}`: {source}")]
    Prefix { text: String, source: KeyError },
}

impl Location {
    pub fn parse(text: &str) -> Result<Self, LocationError> {
        let Some(rest) = text.strip_prefix("s3://") else {
            return Ok(Self::Dir(PathBuf::from(text)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(LocationError::NoBucket(text.to_owned()));
        }
        let prefix = Prefix::new(prefix).map_err(|source| LocationError::Prefix {
            text: text.to_owned(),
            source,
        })?;
        Ok(Self::S3 {
            bucket: bucket.to_owned(),
            prefix,
        })
    }

    /// Opens the store (S3 from the default credential chain, sharing `etags`) and the prefix
    /// inside it. When [`use_local_buckets`] or [`LOCAL_BUCKETS_ENV`] names a folder,
    /// `s3://bucket/…` is the folder `<that folder>/bucket` instead: how the local twin and its
    /// job processes see its buckets.
    pub async fn open(&self, etags: Arc<EtagCidCache>) -> (Arc<dyn ObjectStore>, Prefix) {
        match (self, local_buckets()) {
            (Self::Dir(path), _) => (Arc::new(DirStore::new(path)), Prefix::default()),
            (Self::S3 { bucket, prefix }, Some(root)) => {
                (Arc::new(DirStore::new(root.join(bucket))), prefix.clone())
            }
            (Self::S3 { bucket, prefix }, None) => {
                let store = S3Store::from_env(bucket).await.with_etag_cache(etags);
                (Arc::new(store), prefix.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_folders_and_buckets() {
        assert_eq!(
            Location::parse("./survey").unwrap(),
            Location::Dir("./survey".into())
        );
        assert_eq!(
            Location::parse("s3://uploads/H12604").unwrap(),
            Location::S3 {
                bucket: "uploads".into(),
                prefix: Prefix::new("H12604/").unwrap()
            }
        );
        assert_eq!(
            Location::parse("s3://uploads").unwrap(),
            Location::S3 {
                bucket: "uploads".into(),
                prefix: Prefix::default()
            }
        );
    }

    #[test]
    fn rejects_bad_s3_locations_naming_them() {
        let err = Location::parse("s3:///x").unwrap_err().to_string();
        assert!(err.contains("s3:///x"), "{err}");
        let err = Location::parse("s3://b/../etc").unwrap_err().to_string();
        assert!(err.contains("s3://b/../etc"), "{err}");
    }
}
