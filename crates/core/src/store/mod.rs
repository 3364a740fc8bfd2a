//! Object stores: one trait, two implementations.
//!
//! [`S3Store`] speaks S3 through the AWS SDK (any endpoint: AWS, MinIO, moto); [`DirStore`] keeps
//! a bucket as a folder. Both record each object's CID as metadata so sync and memoization can
//! compare content without reading it again.

mod dir;
mod etag_cache;
mod location;
mod s3;

use std::io;
use std::pin::Pin;

use async_trait::async_trait;
use cid::Cid;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::cids::CidHasher;
use crate::key::{Key, KeyError, Prefix};

pub use dir::DirStore;
pub use etag_cache::EtagCidCache;
pub use location::{use_local_buckets, Location, LocationError, LOCAL_BUCKETS_ENV};
pub use s3::S3Store;

/// A streaming object body.
pub type ByteReader = Pin<Box<dyn AsyncRead + Send>>;

/// What a store knows about one object without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: Key,
    pub size: u64,
    /// Known when recorded with the object (S3 metadata or `ChecksumSHA256`, a folder's xattr)
    /// and the store could read it cheaply; S3 listings never carry it.
    pub cid: Option<Cid>,
    /// S3's entity tag: it changes whenever the object's content does, so a CID learned for one
    /// `(key, etag)` stays true (see [`EtagCidCache`]). Folders have none.
    pub etag: Option<String>,
}

/// One page of a listing. Keys that exist in the store but fail [`Key`] validation are reported
/// in `rejected`, never silently dropped and never used.
#[derive(Debug, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub rejected: Vec<KeyError>,
    /// Pass back to [`ObjectStore::list_page`] for the next page; `None` on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// The CID the content must have. The store verifies it while streaming and writes nothing
    /// when it differs.
    pub cid: Option<Cid>,
    pub content_type: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{location}: no object {key:?}")]
    NotFound { location: String, key: String },
    #[error("{location}: key {key:?} is reserved for the store's own use")]
    Reserved { location: String, key: String },
    #[error("{location}: {key:?}: {source}")]
    Io {
        location: String,
        key: String,
        source: io::Error,
    },
    #[error("{location}: {operation} {key:?} failed: {message}")]
    S3 {
        location: String,
        operation: &'static str,
        key: String,
        message: String,
    },
    #[error(
        "{location}: {key:?} has content CID {actual}, expected {expected}; nothing was written"
    )]
    CidMismatch {
        location: String,
        key: String,
        // Rendered CIDs: a `Cid` carries a 64-byte digest buffer that would bloat every Result.
        expected: String,
        actual: String,
    },
}

impl StoreError {
    /// The `map_err` adapter for I/O on `key` in `store`: the error names both.
    pub(crate) fn io<'a, S: ObjectStore + ?Sized>(
        store: &'a S,
        key: &'a (dyn std::fmt::Display + Sync),
    ) -> impl Fn(io::Error) -> StoreError + 'a {
        move |source| StoreError::Io {
            location: store.location(),
            key: key.to_string(),
            source,
        }
    }
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Where the store is, for messages: `s3://bucket` or a folder path.
    fn location(&self) -> String;

    /// One page of the objects under `prefix`, in key order within the page.
    async fn list_page(
        &self,
        prefix: &Prefix,
        continuation: Option<String>,
    ) -> Result<ListPage, StoreError>;

    /// Size and recorded CID of an object; `None` when it does not exist.
    async fn head(&self, key: &Key) -> Result<Option<ObjectInfo>, StoreError>;

    async fn get(&self, key: &Key) -> Result<ByteReader, StoreError>;

    /// Streams `body` into `key` atomically: readers see the old object or the whole new one.
    /// Records the content's CID as metadata and returns it.
    async fn put(
        &self,
        key: &Key,
        body: ByteReader,
        options: PutOptions,
    ) -> Result<ObjectInfo, StoreError>;

    /// Copies within the store, keeping the recorded CID.
    async fn copy(&self, from: &Key, to: &Key) -> Result<ObjectInfo, StoreError>;

    /// Deletes an object; deleting a missing object succeeds, as on S3.
    async fn delete(&self, key: &Key) -> Result<(), StoreError>;

    /// This store as an S3 bucket, when it is one (for copies inside one S3 service).
    fn as_s3(&self) -> Option<&S3Store> {
        None
    }

    /// Copies `from` (an object of `src`) to `to` without the bytes passing through this
    /// process, when the two stores can do that (buckets of one S3 service); `None` otherwise.
    async fn copy_from(
        &self,
        _src: &dyn ObjectStore,
        _from: &ObjectInfo,
        _to: &Key,
    ) -> Option<Result<ObjectInfo, StoreError>> {
        None
    }

    /// Every object under `prefix`, following pagination.
    async fn list_all(&self, prefix: &Prefix) -> Result<ListPage, StoreError> {
        let mut all = ListPage::default();
        let mut continuation = None;
        loop {
            let page = self.list_page(prefix, continuation).await?;
            all.objects.extend(page.objects);
            all.rejected.extend(page.rejected);
            match page.next {
                Some(next) => continuation = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// The object's CID: the recorded one when present, else computed by streaming the content.
    async fn cid(&self, key: &Key) -> Result<Cid, StoreError> {
        if let Some(cid) = self.head(key).await?.and_then(|info| info.cid) {
            return Ok(cid);
        }
        let reader = self.get(key).await?;
        let hasher = hash_stream(reader, |_| {})
            .await
            .map_err(StoreError::io(self, key))?;
        Ok(hasher.finish())
    }

    async fn put_bytes(&self, key: &Key, bytes: Vec<u8>) -> Result<ObjectInfo, StoreError> {
        self.put(key, Box::pin(io::Cursor::new(bytes)), PutOptions::default())
            .await
    }

    async fn get_bytes(&self, key: &Key) -> Result<Vec<u8>, StoreError> {
        let mut bytes = Vec::new();
        self.get(key)
            .await?
            .read_to_end(&mut bytes)
            .await
            .map_err(StoreError::io(self, key))?;
        Ok(bytes)
    }
}

/// Size of the reads that stream object bodies.
pub(crate) const STREAM_CHUNK: usize = 256 * 1024;

/// Reads `reader` to the end, hashing it and handing each chunk to `sink`.
pub(crate) async fn hash_stream(
    mut reader: ByteReader,
    mut sink: impl FnMut(&[u8]),
) -> io::Result<CidHasher> {
    let mut hasher = CidHasher::new();
    let mut buffer = vec![0u8; STREAM_CHUNK];
    loop {
        let n = reader.read(&mut buffer).await?;
        if n == 0 {
            return Ok(hasher);
        }
        hasher.update(&buffer[..n]);
        sink(&buffer[..n]);
    }
}

/// Reads until `buffer` holds `limit` bytes or the stream ends; returns whether it ended.
pub(crate) async fn fill(
    reader: &mut ByteReader,
    buffer: &mut Vec<u8>,
    limit: usize,
) -> io::Result<bool> {
    while buffer.len() < limit {
        let want = (limit - buffer.len()).min(STREAM_CHUNK);
        let start = buffer.len();
        buffer.resize(start + want, 0);
        let n = reader.read(&mut buffer[start..]).await?;
        buffer.truncate(start + n);
        if n == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}
