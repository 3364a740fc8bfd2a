//! The folder watcher: the local stand-in for the S3 event that starts a run. It polls the
//! uploads bucket's folder and hands each newly completed upload (`<survey>/.done`) to the
//! trigger, which names the run from the upload's content, so a `.done` seen twice (or again
//! after a restart) finds its run instead of starting a second one.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use leadline_core::key::Prefix;
use leadline_lambdas::trigger::{Trigger, DONE};

const POLL: Duration = Duration::from_secs(1);

/// Completed uploads in `uploads`: survey folder name → when its `.done` was written.
fn completed(uploads: &Path) -> std::io::Result<Vec<(String, SystemTime)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(uploads)? {
        let entry = entry?;
        let Ok(survey) = entry.file_name().into_string() else {
            continue;
        };
        // Dot folders are the store's own (`.leadline-tmp`), never uploads.
        if survey.starts_with('.') {
            continue;
        }
        if let Ok(done) = std::fs::metadata(entry.path().join(DONE)) {
            if done.is_file() {
                found.push((survey, done.modified()?));
            }
        }
    }
    Ok(found)
}

/// Watches `uploads` (the folder of bucket `bucket`) until `shutdown`, starting a run for each
/// `.done` that appears or is rewritten; uploads complete at start-up are handed over too, so a
/// `.done` written while the twin was down gets its run. A failure is logged and the watch goes
/// on: a broken upload never stops the others.
pub async fn watch_uploads(
    uploads: PathBuf,
    bucket: String,
    trigger: Trigger,
    shutdown: impl Future<Output = ()>,
) {
    let mut seen: HashMap<String, SystemTime> = HashMap::new();
    let mut ticks = tokio::time::interval(POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = ticks.tick() => {}
        }
        let folder = uploads.clone();
        let found = match tokio::task::spawn_blocking(move || completed(&folder)).await {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                tracing::warn!(folder = %uploads.display(), "cannot list the uploads: {e}");
                continue;
            }
            Err(e) => {
                tracing::error!("the uploads listing panicked: {e}");
                continue;
            }
        };
        for (survey, written) in found {
            if seen.get(&survey) == Some(&written) {
                continue;
            }
            seen.insert(survey.clone(), written);
            let prefix = match Prefix::new(&survey) {
                Ok(prefix) => prefix,
                Err(e) => {
                    tracing::error!(%survey, "not a survey folder name: {e}");
                    continue;
                }
            };
            match trigger.start(&bucket, &prefix, &survey, None).await {
                Ok(run) => {
                    tracing::info!(%survey, run = %run.name, new = run.new, "upload complete")
                }
                Err(e) => tracing::error!(%survey, "no run started: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_done_files_of_survey_folders_complete_an_upload() {
        let uploads = tempfile::tempdir().expect("uploads folder");
        let folder = |name: &str| {
            let path = uploads.path().join(name);
            std::fs::create_dir_all(&path).expect("folder");
            path
        };
        std::fs::write(folder("complete").join(DONE), "").expect("write");
        std::fs::write(folder("half-written").join("grid.bag"), "").expect("write");
        std::fs::create_dir_all(folder("odd").join(DONE)).expect("a folder named .done");
        std::fs::write(folder(".leadline-tmp").join(DONE), "").expect("write");
        std::fs::write(uploads.path().join(DONE), "").expect("write");
        let found: Vec<String> = completed(uploads.path())
            .expect("listing")
            .into_iter()
            .map(|(survey, _)| survey)
            .collect();
        assert_eq!(found, ["complete"]);
        assert!(completed(&uploads.path().join("missing")).is_err());
    }
}
