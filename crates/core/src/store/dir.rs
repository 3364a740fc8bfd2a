//! A bucket kept as a folder.
//!
//! Writes go to a temp file under `<root>/.leadline-tmp/` and are renamed into place, so a killed
//! writer never leaves a partial object. The CID is stored with the object in the extended
//! attribute `user.leadline.cid` (`<cid> <size> <mtime-ns>`); set on the temp file before the
//! rename, it appears atomically with the content, and the size/mtime check makes edits outside
//! Leadline invalidate it. Where a filesystem has no xattrs the CID is simply recomputed.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use cid::Cid;
use tokio::io::AsyncWriteExt;

use super::{
    fill, ByteReader, ListPage, ObjectInfo, ObjectStore, PutOptions, StoreError, STREAM_CHUNK,
};
use crate::cids::{parse_cid, CidHasher};
use crate::key::{Key, KeyError, Prefix};

/// Top-level folder reserved for in-flight writes; never listed, never a valid key.
const TEMP_DIR: &str = ".leadline-tmp";
const CID_XATTR: &str = "user.leadline.cid";

#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    /// A store rooted at `root`; the folder is created on the first write.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that holds `key`.
    pub fn path_of(&self, key: &Key) -> Result<PathBuf, StoreError> {
        if key.segments().next() == Some(TEMP_DIR) {
            return Err(StoreError::Reserved {
                location: self.location(),
                key: key.to_string(),
            });
        }
        Ok(self.root.join(key.as_str()))
    }
}

/// Runs blocking filesystem work off the async runtime's worker threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|join| Err(io::Error::other(join)))
}

fn mtime_ns(meta: &fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// The CID recorded on `path`, if it still describes the file's current size and mtime.
fn recorded_cid(path: &Path, meta: &fs::Metadata) -> Option<Cid> {
    let value = xattr::get(path, CID_XATTR).ok()??;
    let text = String::from_utf8(value).ok()?;
    let mut fields = text.split(' ');
    let cid = parse_cid(fields.next()?).ok()?;
    let size: u64 = fields.next()?.parse().ok()?;
    let mtime: u128 = fields.next()?.parse().ok()?;
    (size == meta.len() && mtime == mtime_ns(meta)).then_some(cid)
}

fn record_cid(path: &Path, cid: &Cid) {
    let recorded = fs::metadata(path).and_then(|meta| {
        let value = format!("{cid} {} {}", meta.len(), mtime_ns(&meta));
        xattr::set(path, CID_XATTR, value.as_bytes())
    });
    if let Err(error) = recorded {
        tracing::debug!(path = %path.display(), %error, "cannot record CID as xattr; it will be recomputed");
    }
}

/// Removes a temp file unless the write that owns it completed.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = fs::remove_file(path);
        }
    }
}

fn unique_temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn walk(root: &Path, start: &Path, skip_temp: bool) -> io::Result<ListPage> {
    let mut page = ListPage::default();
    if !start.is_dir() {
        return Ok(page);
    }
    let walker = walkdir::WalkDir::new(start)
        .min_depth(1)
        .into_iter()
        .filter_entry(|entry| !(skip_temp && entry.depth() == 1 && entry.file_name() == TEMP_DIR));
    for entry in walker {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_dir() {
            continue;
        }
        let relative = entry.path().strip_prefix(root).map_err(io::Error::other)?;
        let text = relative.to_string_lossy().into_owned();
        if !entry.file_type().is_file() {
            tracing::warn!(path = %entry.path().display(), "skipping what is not a regular file (symlink, socket, …)");
            continue;
        }
        if relative.to_str().is_none() {
            page.rejected.push(KeyError {
                key: text,
                reason: "file name is not valid UTF-8",
            });
            continue;
        }
        match Key::new(text) {
            Ok(key) => {
                let meta = entry.metadata().map_err(io::Error::other)?;
                page.objects.push(ObjectInfo {
                    key,
                    size: meta.len(),
                    // One getxattr per file: far cheaper than the hashing it saves.
                    cid: recorded_cid(entry.path(), &meta),
                    etag: None,
                });
            }
            Err(rejected) => page.rejected.push(rejected),
        }
    }
    page.objects.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(page)
}

#[async_trait]
impl ObjectStore for DirStore {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    /// Folders are listed in one page: the walk is local and cheap, and a continuation token
    /// would have to re-walk the tree.
    async fn list_page(
        &self,
        prefix: &Prefix,
        _continuation: Option<String>,
    ) -> Result<ListPage, StoreError> {
        if prefix.as_str().split('/').next() == Some(TEMP_DIR) {
            return Ok(ListPage::default());
        }
        let root = self.root.clone();
        let start = root.join(prefix.as_str());
        let skip_temp = prefix.is_empty();
        blocking(move || walk(&root, &start, skip_temp))
            .await
            .map_err(StoreError::io(self, prefix))
    }

    async fn head(&self, key: &Key) -> Result<Option<ObjectInfo>, StoreError> {
        let path = self.path_of(key)?;
        let found = blocking(move || match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(Some((meta.len(), recorded_cid(&path, &meta)))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                Ok(None)
            }
            Err(e) => Err(e),
        })
        .await
        .map_err(StoreError::io(self, key))?;
        Ok(found.map(|(size, cid)| ObjectInfo {
            key: key.clone(),
            size,
            cid,
            etag: None,
        }))
    }

    async fn get(&self, key: &Key) -> Result<ByteReader, StoreError> {
        let path = self.path_of(key)?;
        match tokio::fs::File::open(&path).await {
            Ok(file) if file.metadata().await.is_ok_and(|m| m.is_file()) => Ok(Box::pin(
                tokio::io::BufReader::with_capacity(STREAM_CHUNK, file),
            )),
            Ok(_) => Err(self.not_found(key)),
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                Err(self.not_found(key))
            }
            Err(e) => Err(StoreError::io(self, key)(e)),
        }
    }

    async fn put(
        &self,
        key: &Key,
        mut body: ByteReader,
        options: PutOptions,
    ) -> Result<ObjectInfo, StoreError> {
        let target = self.path_of(key)?;
        let io_error = StoreError::io(self, key);
        let temp_dir = self.root.join(TEMP_DIR);
        tokio::fs::create_dir_all(&temp_dir)
            .await
            .map_err(&io_error)?;
        let temp = temp_dir.join(unique_temp_name());
        let mut guard = TempGuard(Some(temp.clone()));
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .await
            .map_err(&io_error)?;

        let mut hasher = CidHasher::new();
        let mut buffer = Vec::with_capacity(STREAM_CHUNK);
        loop {
            buffer.clear();
            let ended = fill(&mut body, &mut buffer, STREAM_CHUNK)
                .await
                .map_err(&io_error)?;
            hasher.update(&buffer);
            file.write_all(&buffer).await.map_err(&io_error)?;
            if ended {
                break;
            }
        }
        file.flush().await.map_err(&io_error)?;
        drop(file);

        let size = hasher.len();
        let cid = hasher.finish();
        if let Some(expected) = options.cid {
            if expected != cid {
                return Err(StoreError::CidMismatch {
                    location: self.location(),
                    key: key.to_string(),
                    expected: expected.to_string(),
                    actual: cid.to_string(),
                });
            }
        }
        blocking(move || {
            record_cid(&temp, &cid);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(&temp, &target)
        })
        .await
        .map_err(&io_error)?;
        guard.0 = None;
        Ok(ObjectInfo {
            key: key.clone(),
            size,
            cid: Some(cid),
            etag: None,
        })
    }

    async fn copy(&self, from: &Key, to: &Key) -> Result<ObjectInfo, StoreError> {
        let recorded = self.head(from).await?.and_then(|info| info.cid);
        let body = self.get(from).await?;
        self.put(
            to,
            body,
            PutOptions {
                cid: recorded,
                content_type: None,
            },
        )
        .await
    }

    async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let root = self.root.clone();
        blocking(move || {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            }
            // S3 has no folders: drop the ones this delete emptied, but never the root.
            let mut parent = path.parent();
            while let Some(dir) = parent.filter(|dir| *dir != root && dir.starts_with(&root)) {
                if fs::remove_dir(dir).is_err() {
                    break;
                }
                parent = dir.parent();
            }
            Ok(())
        })
        .await
        .map_err(StoreError::io(self, key))
    }
}

impl DirStore {
    fn not_found(&self, key: &Key) -> StoreError {
        StoreError::NotFound {
            location: self.location(),
            key: key.to_string(),
        }
    }
}
