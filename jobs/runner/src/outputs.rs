//! The outputs folder after the command: every entry must be a regular file (or folder) whose
//! relative path is a valid object key. Anything that could escape the folder — a symlink
//! (wherever it points), a `..` or absolute name, a device or socket — rejects the whole set, so a
//! hostile or broken step publishes nothing rather than something it should not.

use std::path::{Component, Path};

use leadline_core::cids::{cid_of_file, CidError};
use leadline_core::key::{Key, Prefix};
use leadline_core::manifest::{Manifest, ManifestError};
use leadline_core::store::{DirStore, ObjectStore, StoreError};
use leadline_core::sync::{sync, SyncOptions};
use leadline_core::Cid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub name: Key,
    pub cid: Cid,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("outputs rejected, nothing published: {}", list(.0))]
    Rejected(Vec<Rejection>),
    #[error("cannot read outputs folder {path}: {message}")]
    Read { path: String, message: String },
    #[error(transparent)]
    Cid(#[from] CidError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("publishing to {location} failed for {}", .failures.join("; "))]
    Publish {
        location: String,
        failures: Vec<String>,
    },
}

fn list(rejections: &[Rejection]) -> String {
    rejections
        .iter()
        .map(|r| format!("{} ({})", r.path, r.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The object key for a path relative to the outputs folder.
pub fn output_key(relative: &Path) -> Result<Key, String> {
    let mut segments = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(segment) => segments.push(
                segment
                    .to_str()
                    .ok_or_else(|| "name is not valid UTF-8".to_owned())?,
            ),
            Component::ParentDir => return Err("`..` leaves the outputs folder".into()),
            Component::RootDir | Component::Prefix(_) => {
                return Err("absolute path leaves the outputs folder".into())
            }
            Component::CurDir => {}
        }
    }
    Key::new(segments.join("/")).map_err(|e| e.reason.to_owned())
}

/// Every file under `dir` with its CID, in name order; an error when any entry is refused.
pub fn scan(dir: &Path) -> Result<Vec<Output>, OutputError> {
    let mut outputs = Vec::new();
    let mut rejected = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(|e| OutputError::Read {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let shown = relative.display().to_string();
        let file_type = entry.file_type();
        if file_type.is_symlink() {
            let target = std::fs::read_link(entry.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            rejected.push(Rejection {
                path: shown,
                reason: format!("symlink to {target}; outputs must be regular files"),
            });
            continue;
        }
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            rejected.push(Rejection {
                path: shown,
                reason: "not a regular file".into(),
            });
            continue;
        }
        match output_key(relative) {
            Ok(name) => {
                let (cid, size) = cid_of_file(entry.path())?;
                outputs.push(Output { name, cid, size });
            }
            Err(reason) => rejected.push(Rejection {
                path: shown,
                reason,
            }),
        }
    }
    if rejected.is_empty() {
        Ok(outputs)
    } else {
        Err(OutputError::Rejected(rejected))
    }
}

pub fn manifest(outputs: &[Output]) -> Result<Manifest, OutputError> {
    let mut manifest = Manifest::new();
    for output in outputs {
        manifest.insert(output.name.as_str(), output.cid)?;
    }
    Ok(manifest)
}

/// Copies the (already scanned) outputs folder under `prefix` in `store`; objects already there
/// with the same CID are skipped.
pub async fn publish(
    dir: &Path,
    store: &dyn ObjectStore,
    prefix: &Prefix,
) -> Result<(), OutputError> {
    let source = DirStore::new(dir);
    let report = sync(
        &source,
        &Prefix::default(),
        store,
        prefix,
        &SyncOptions::default(),
    )
    .await?;
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(OutputError::Publish {
            location: format!("{}/{}", store.location(), prefix.as_str()),
            failures: report
                .failed
                .into_iter()
                .map(|f| format!("{}: {}", f.key, f.error))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_refuse_parent_and_absolute_paths() {
        assert_eq!(
            output_key(Path::new("a/b_cog.tif")).unwrap().as_str(),
            "a/b_cog.tif"
        );
        assert!(output_key(Path::new("../escape.tif"))
            .unwrap_err()
            .contains(".."));
        assert!(output_key(Path::new("a/../../escape.tif")).is_err());
        assert!(output_key(Path::new("/etc/passwd"))
            .unwrap_err()
            .contains("absolute"));
        assert!(output_key(Path::new("bad\u{1}name")).is_err());
    }

    #[test]
    fn symlinks_in_or_out_reject_the_whole_set() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.tif"), b"x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd")).unwrap();
        std::os::unix::fs::symlink("good.tif", dir.path().join("alias.tif")).unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("root")).unwrap();
        let OutputError::Rejected(rejected) = scan(dir.path()).unwrap_err() else {
            panic!("expected a rejection");
        };
        let paths: Vec<&str> = rejected.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["alias.tif", "passwd", "root"]);
        assert!(rejected[1].reason.contains("/etc/passwd"));
    }

    #[test]
    fn regular_files_get_cids_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.json"), b"{}").unwrap();
        std::fs::write(dir.path().join("a.tif"), b"hello world").unwrap();
        let outputs = scan(dir.path()).unwrap();
        let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["a.tif", "sub/b.json"]);
        assert_eq!(
            outputs[0].cid.to_string(),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
        );
    }
}
