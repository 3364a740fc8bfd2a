//! Copy a prefix from one store to another, skipping what is already there.
//!
//! An object is skipped when the destination holds the same relative key with the same size and
//! a recorded CID equal to the source's. Every put is atomic and records the CID, so re-running
//! after a kill copies only what had not finished. Per-object failures are collected, not fatal:
//! everything that can be copied is.
//!
//! Requests are spent only where needed: CIDs come from the listings when the stores know them
//! (folder xattrs, S3 ETag cache), a CID is computed or fetched only for same-size candidates,
//! and two buckets of one S3 service copy server-side.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

use crate::key::Prefix;
use crate::store::{ObjectInfo, ObjectStore, PutOptions, StoreError};

/// Concurrent object transfers by default: enough to hide request latency, few enough to keep
/// memory bounded (each transfer buffers at most one multipart part).
pub const DEFAULT_CONCURRENCY: u16 = 16;

/// What a progress observer hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    /// The source was listed: this many objects and bytes will be looked at.
    Planned { objects: u64, bytes: u64 },
    /// One object was handled (copied or skipped).
    Done {
        key: String,
        bytes: u64,
        copied: bool,
    },
}

pub type Observer = Arc<dyn Fn(&SyncEvent) + Send + Sync>;

#[derive(Clone)]
pub struct SyncOptions {
    pub concurrency: usize,
    pub observer: Option<Observer>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            concurrency: usize::from(DEFAULT_CONCURRENCY),
            observer: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFailure {
    pub key: String,
    pub error: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub copied: u64,
    pub skipped: u64,
    /// Bytes copied (skipped objects do not count).
    pub bytes: u64,
    pub failed: Vec<SyncFailure>,
}

enum Outcome {
    Copied(u64),
    Skipped,
}

/// Copies every object under `src_prefix` in `src` to the same relative key under `dst_prefix`
/// in `dst`. Fails as a whole only when either side cannot be listed.
pub async fn sync(
    src: &dyn ObjectStore,
    src_prefix: &Prefix,
    dst: &dyn ObjectStore,
    dst_prefix: &Prefix,
    options: &SyncOptions,
) -> Result<SyncReport, StoreError> {
    let source = src.list_all(src_prefix).await?;
    let existing: HashMap<String, ObjectInfo> = dst
        .list_all(dst_prefix)
        .await?
        .objects
        .into_iter()
        .map(|info| (info.key.to_string(), info))
        .collect();

    let notify = |event: SyncEvent| {
        if let Some(observer) = &options.observer {
            observer(&event);
        }
    };
    notify(SyncEvent::Planned {
        objects: source.objects.len() as u64,
        bytes: source.objects.iter().map(|o| o.size).sum(),
    });

    let mut report = SyncReport {
        failed: source
            .rejected
            .iter()
            .map(|rejected| SyncFailure {
                key: rejected.key.clone(),
                error: rejected.to_string(),
            })
            .collect(),
        ..SyncReport::default()
    };
    let transfers = stream::iter(source.objects)
        .map(|object| {
            let existing = &existing;
            async move {
                let outcome =
                    sync_object(src, src_prefix, dst, dst_prefix, &object, existing).await;
                (object, outcome)
            }
        })
        .buffer_unordered(options.concurrency.max(1));
    futures::pin_mut!(transfers);
    while let Some((object, outcome)) = transfers.next().await {
        match outcome {
            Ok(Outcome::Copied(bytes)) => {
                report.copied += 1;
                report.bytes += bytes;
                notify(SyncEvent::Done {
                    key: object.key.to_string(),
                    bytes,
                    copied: true,
                });
            }
            Ok(Outcome::Skipped) => {
                report.skipped += 1;
                notify(SyncEvent::Done {
                    key: object.key.to_string(),
                    bytes: object.size,
                    copied: false,
                });
            }
            Err(error) => report.failed.push(SyncFailure {
                key: object.key.to_string(),
                error: error.to_string(),
            }),
        }
    }
    report.failed.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(report)
}

async fn sync_object(
    src: &dyn ObjectStore,
    src_prefix: &Prefix,
    dst: &dyn ObjectStore,
    dst_prefix: &Prefix,
    object: &ObjectInfo,
    existing: &HashMap<String, ObjectInfo>,
) -> Result<Outcome, StoreError> {
    let relative = object
        .key
        .strip_prefix(src_prefix)
        .ok_or_else(|| StoreError::NotFound {
            location: src.location(),
            key: object.key.to_string(),
        })?;
    let target = relative.under(dst_prefix)?;

    let mut source = object.clone();
    // Only a same-size object can match, so only then are CIDs worth computing or fetching.
    if let Some(present) = existing
        .get(target.as_str())
        .filter(|present| present.size == object.size)
    {
        let source_cid = match object.cid {
            Some(cid) => cid,
            None => src.cid(&object.key).await?,
        };
        let target_cid = match present.cid {
            Some(cid) => Some(cid),
            None => dst.head(&target).await?.and_then(|info| info.cid),
        };
        if target_cid == Some(source_cid) {
            return Ok(Outcome::Skipped);
        }
        source.cid = Some(source_cid);
    }
    if let Some(copied) = dst.copy_from(src, &source, &target).await {
        return copied.map(|info| Outcome::Copied(info.size));
    }
    let body = src.get(&object.key).await?;
    let written = dst
        .put(
            &target,
            body,
            PutOptions {
                cid: source.cid,
                content_type: None,
            },
        )
        .await?;
    Ok(Outcome::Copied(written.size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Key;
    use crate::store::DirStore;

    fn key(text: &str) -> Key {
        Key::new(text).unwrap()
    }

    #[tokio::test]
    async fn copies_then_skips_then_copies_only_changes() {
        let dir = tempfile::tempdir().unwrap();
        let src = DirStore::new(dir.path().join("src"));
        let dst = DirStore::new(dir.path().join("dst"));
        for (name, body) in [("a.bag", "alpha"), ("raw/b.all", "bravo"), (".done", "")] {
            src.put_bytes(&key(name), body.into()).await.unwrap();
        }
        let root = Prefix::default();
        let mirror = Prefix::new("mirror").unwrap();

        let first = sync(&src, &root, &dst, &mirror, &SyncOptions::default())
            .await
            .unwrap();
        assert_eq!((first.copied, first.skipped, first.bytes), (3, 0, 10));
        assert_eq!(
            dst.get_bytes(&key("mirror/raw/b.all")).await.unwrap(),
            b"bravo"
        );

        let second = sync(&src, &root, &dst, &mirror, &SyncOptions::default())
            .await
            .unwrap();
        assert_eq!((second.copied, second.skipped, second.bytes), (0, 3, 0));

        // Same size, different content: the CID comparison must catch it.
        src.put_bytes(&key("a.bag"), "ALPHA".into()).await.unwrap();
        let third = sync(&src, &root, &dst, &mirror, &SyncOptions::default())
            .await
            .unwrap();
        assert_eq!((third.copied, third.skipped), (1, 2));
        assert_eq!(dst.get_bytes(&key("mirror/a.bag")).await.unwrap(), b"ALPHA");
    }

    #[tokio::test]
    async fn reports_progress_for_every_object() {
        let dir = tempfile::tempdir().unwrap();
        let src = DirStore::new(dir.path().join("src"));
        let dst = DirStore::new(dir.path().join("dst"));
        for i in 0..5 {
            src.put_bytes(&key(&format!("f{i}")), vec![b'x'; i])
                .await
                .unwrap();
        }
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = events.clone();
        let options = SyncOptions {
            concurrency: 2,
            observer: Some(Arc::new(move |event: &SyncEvent| {
                seen.lock().unwrap().push(event.clone())
            })),
        };
        sync(&src, &Prefix::default(), &dst, &Prefix::default(), &options)
            .await
            .unwrap();
        let events = events.lock().unwrap();
        assert_eq!(
            events[0],
            SyncEvent::Planned {
                objects: 5,
                bytes: 10
            }
        );
        assert_eq!(events.len(), 6);
    }
}
