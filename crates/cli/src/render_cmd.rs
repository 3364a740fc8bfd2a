//! `leadline render`: the state machines of one or every environment, from the templates.
//! With `--check`, nothing is written: exit 1 and a unified diff when a committed file is stale.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use leadline_render::Project;

#[derive(Args)]
pub struct RenderArgs {
    /// Environment to render (`environments/<name>.toml`); every environment when omitted
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// Write nothing; exit 1 and print a unified diff when a rendered file differs from the
    /// committed one (or a committed file is no longer rendered)
    #[arg(long)]
    check: bool,
    /// Project root holding templates/, environments/ and state-machines/ [default: the
    /// nearest folder upwards that has templates/ and environments/]
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

/// Run from anywhere in a checkout, like git: the nearest folder with both inputs.
pub(crate) fn find_root() -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let found = cwd
        .ancestors()
        .find(|dir| dir.join("templates").is_dir() && dir.join("environments").is_dir());
    match found {
        Some(dir) => Ok(dir.to_path_buf()),
        None => bail!(
            "no templates/ and environments/ in {} or a parent folder; pass --root",
            cwd.display()
        ),
    }
}

pub fn run(args: RenderArgs) -> Result<ExitCode> {
    let root = match args.root {
        Some(root) => root,
        None => find_root()?,
    };
    let project = Project::new(&root);
    let templates = project.templates()?;
    let names = match &args.environment {
        Some(name) => vec![name.clone()],
        None => project.environment_names()?,
    };
    let mut stale = false;
    let mut all = Vec::new();
    for name in &names {
        let environment = project.environment(name)?;
        for rendered in templates.render(&environment)? {
            let shown = rendered.path.display();
            if args.check {
                if let Some(diff) = project.drift(&rendered)? {
                    stale = true;
                    eprintln!("{shown} is stale: run `leadline render` and commit the result");
                    print!("{diff}");
                }
            } else if project
                .write(&rendered)
                .with_context(|| format!("cannot update {shown}"))?
            {
                eprintln!("wrote {shown}");
            }
            all.push(rendered);
        }
    }
    // Only a full render knows every file that should exist.
    if args.environment.is_none() {
        for orphan in project.orphans(&all)? {
            if args.check {
                stale = true;
                eprintln!(
                    "{} is no longer rendered (its environment or template is gone): remove it",
                    orphan.display()
                );
            } else {
                remove(&root, &orphan)?;
                eprintln!("removed {}", orphan.display());
            }
        }
    }
    Ok(if stale {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn remove(root: &Path, relative: &Path) -> Result<()> {
    let path = root.join(relative);
    std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    // An environment folder left empty goes too; a non-empty one stays.
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir(dir);
    }
    Ok(())
}
