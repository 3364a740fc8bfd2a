//! CIDs of S3 objects remembered by entity tag, so a listing can carry CIDs.
//!
//! S3 listings return each object's ETag but not its metadata, so learning a CID otherwise costs
//! one `HeadObject` per object. An ETag changes whenever the content does (it is the MD5 for
//! plain uploads, a fresh opaque value for multipart and KMS-encrypted ones), so a CID recorded
//! for `(scope, key, etag)` stays true until the ETag changes, at which point it is simply not
//! found. The cache can persist to a file so that a second `leadline sync` needs no HEADs.
//! The file is bounded: past [`MAX_ENTRIES`], the entries least recently used are dropped.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cid::Cid;

use crate::cids::parse_cid;

type Entry = (String, String, String);

/// About 30 MB of file; far more objects than one survey has.
pub const MAX_ENTRIES: usize = 200_000;

/// A CID and the generation (process run) that last used it.
type Remembered = (Cid, u64);

#[derive(Debug, Default)]
pub struct EtagCidCache {
    file: Option<PathBuf>,
    /// This process's generation: one more than any loaded.
    generation: u64,
    entries: Mutex<HashMap<Entry, Remembered>>,
}

impl EtagCidCache {
    /// A cache that lives only as long as the process.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// A cache backed by `file` (tab-separated `scope key etag cid generation` lines). A missing
    /// file is an empty cache; unreadable lines are skipped, since a miss only costs a
    /// `HeadObject`.
    pub fn load(file: impl Into<PathBuf>) -> Self {
        let file = file.into();
        let mut entries = HashMap::new();
        let mut newest = 0;
        if let Ok(text) = std::fs::read_to_string(&file) {
            for line in text.lines() {
                let fields: Vec<&str> = line.split('\t').collect();
                let [scope, key, etag, cid, generation] = fields[..] else {
                    continue;
                };
                if let (Ok(cid), Ok(generation)) = (parse_cid(cid), generation.parse::<u64>()) {
                    newest = newest.max(generation);
                    entries.insert((scope.into(), key.into(), etag.into()), (cid, generation));
                }
            }
        }
        Self {
            file: Some(file),
            generation: newest + 1,
            entries: Mutex::new(entries),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Entry, Remembered>> {
        // A panic while holding the lock cannot leave the map half-updated: recover it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, scope: &str, key: &str, etag: &str) -> Option<Cid> {
        let mut entries = self.lock();
        let (cid, used) = entries.get_mut(&(scope.to_owned(), key.to_owned(), etag.to_owned()))?;
        *used = self.generation;
        Some(*cid)
    }

    pub fn insert(&self, scope: &str, key: &str, etag: &str, cid: Cid) {
        self.lock().insert(
            (scope.to_owned(), key.to_owned(), etag.to_owned()),
            (cid, self.generation),
        );
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Writes the cache to its file atomically (temp file + rename); in-memory caches do nothing.
    ///
    /// Keys pass the key validator, which forbids control characters, so tabs and newlines
    /// cannot occur inside a field; scopes and ETags are ours or S3's and contain neither.
    pub fn save(&self) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let directory = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(directory)?;
        let mut temp = tempfile::NamedTempFile::new_in(directory)?;
        {
            let entries = self.lock();
            let mut newest_first: Vec<_> = entries.iter().collect();
            newest_first.sort_by_key(|(_, (_, generation))| std::cmp::Reverse(*generation));
            let mut out = io::BufWriter::new(temp.as_file_mut());
            for ((scope, key, etag), (cid, generation)) in
                newest_first.into_iter().take(MAX_ENTRIES)
            {
                writeln!(out, "{scope}\t{key}\t{etag}\t{cid}\t{generation}")?;
            }
            out.flush()?;
        }
        temp.persist(file).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cids::cid_of_bytes;

    #[test]
    fn survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cache/etags.tsv");
        let cache = EtagCidCache::load(&file);
        assert!(cache.is_empty());
        cache.insert(
            "http://127.0.0.1:1|uploads",
            "H1/a b.all",
            "\"abc\"",
            cid_of_bytes(b"a"),
        );
        cache.save().unwrap();

        let loaded = EtagCidCache::load(&file);
        assert_eq!(
            loaded.get("http://127.0.0.1:1|uploads", "H1/a b.all", "\"abc\""),
            Some(cid_of_bytes(b"a"))
        );
        assert_eq!(
            loaded.get("http://127.0.0.1:1|uploads", "H1/a b.all", "\"changed\""),
            None
        );
        assert_eq!(
            loaded.get("http://other|uploads", "H1/a b.all", "\"abc\""),
            None
        );
    }

    #[test]
    fn corrupt_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("etags.tsv");
        let good = cid_of_bytes(b"x");
        std::fs::write(
            &file,
            format!("garbage\ns\tk\te\tnot-a-cid\t1\ns\tk\te\t{good}\t1\ns\tk2\te\t{good}\tx\n"),
        )
        .unwrap();
        let cache = EtagCidCache::load(&file);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get("s", "k", "e"), Some(good));
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;
    use crate::cids::cid_of_bytes;

    #[test]
    fn the_file_keeps_the_most_recently_used_entries() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("etags.tsv");
        let old = EtagCidCache::load(&file);
        for i in 0..MAX_ENTRIES {
            old.insert("s", &format!("old-{i}"), "e", cid_of_bytes(b"o"));
        }
        old.save().unwrap();

        let next = EtagCidCache::load(&file);
        assert!(
            next.get("s", "old-7", "e").is_some(),
            "used again in this run"
        );
        next.insert("s", "new", "e", cid_of_bytes(b"n"));
        next.save().unwrap();

        let last = EtagCidCache::load(&file);
        assert_eq!(last.len(), MAX_ENTRIES);
        assert!(last.get("s", "new", "e").is_some());
        assert!(last.get("s", "old-7", "e").is_some());
    }
}
