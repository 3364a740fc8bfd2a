//! What the end-to-end tests of `leadline run` share: the workspace and the job binaries the
//! twin runs next to `leadline`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The job binaries live next to `leadline`; `cargo test -p leadline-cli` alone does not build
/// them, so build them once (a no-op under `cargo test --workspace`).
pub fn job_binaries() {
    static BUILT: Once = Once::new();
    BUILT.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "leadline-runner", "-p", "leadline-qc"])
            .current_dir(workspace())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the job binaries build");
    });
}
