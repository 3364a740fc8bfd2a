//! Opening buckets by name. Payloads name places as `s3://bucket/prefix/`; on AWS a bucket is an
//! [`S3Store`], in the local twin a folder ([`DirStore`]) under the state directory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use leadline_core::key::Prefix;
use leadline_core::store::{DirStore, EtagCidCache, Location, ObjectStore, S3Store};

pub trait Buckets: Send + Sync {
    fn bucket(&self, name: &str) -> Arc<dyn ObjectStore>;
}

/// Buckets of one S3 service, sharing a client and an ETag→CID cache (warm Lambda containers
/// keep it between invocations).
pub struct S3Buckets {
    client: aws_sdk_s3::Client,
    etags: Arc<EtagCidCache>,
    service: String,
}

impl S3Buckets {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        // One client, one service: buckets opened here may copy between each other
        // server-side, and never with stores of another client.
        static CLIENTS: AtomicUsize = AtomicUsize::new(0);
        Self {
            service: format!(
                "leadline-lambdas#{}",
                CLIENTS.fetch_add(1, Ordering::Relaxed)
            ),
            client,
            etags: Arc::new(EtagCidCache::in_memory()),
        }
    }
}

impl Buckets for S3Buckets {
    fn bucket(&self, name: &str) -> Arc<dyn ObjectStore> {
        Arc::new(
            S3Store::new(self.client.clone(), name)
                .on_service(self.service.clone())
                .with_etag_cache(self.etags.clone()),
        )
    }
}

/// Each bucket a folder `<root>/<bucket>`.
pub struct DirBuckets {
    root: PathBuf,
}

impl DirBuckets {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl Buckets for DirBuckets {
    fn bucket(&self, name: &str) -> Arc<dyn ObjectStore> {
        Arc::new(DirStore::new(self.root.join(name)))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{text:?} is not an s3://bucket/prefix/ location{detail}")]
pub struct PlaceError {
    pub text: String,
    pub detail: String,
}

/// A bucket and a prefix in it, parsed from `s3://bucket/prefix/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub bucket: String,
    pub prefix: Prefix,
}

impl Place {
    pub fn parse(text: &str) -> Result<Self, PlaceError> {
        match Location::parse(text) {
            Ok(Location::S3 { bucket, prefix }) => Ok(Self { bucket, prefix }),
            Ok(Location::Dir(_)) => Err(PlaceError {
                text: text.to_owned(),
                detail: String::new(),
            }),
            Err(e) => Err(PlaceError {
                text: text.to_owned(),
                detail: format!(": {e}"),
            }),
        }
    }

    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}
