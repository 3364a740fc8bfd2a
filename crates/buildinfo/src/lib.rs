//! Provenance for build scripts (DESIGN §3): every binary embeds the git commit it was built
//! from. A crate's `build.rs` calls [`emit_git_commit`]; the crate then reads
//! `env!("LEADLINE_GIT_COMMIT")`.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Sets `LEADLINE_GIT_COMMIT` (12 hex digits, `-dirty` when tracked files changed, `unknown`
/// outside git) and reruns the build script when HEAD or the index moves.
pub fn emit_git_commit() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|status| !status.is_empty());
    let commit = if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    };
    println!("cargo:rustc-env=LEADLINE_GIT_COMMIT={commit}");
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        println!("cargo:rerun-if-changed={git_dir}/index");
    }
}
