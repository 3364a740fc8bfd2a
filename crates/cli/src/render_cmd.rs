//! `leadline render`: the state machines of one or every environment, from the templates.
//! With `--check`, nothing is written: exit 1 and a unified diff when a committed file is stale.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use leadline_render::Project;

#[derive(Args)]
pub struct RenderArgs {
    /// Environment to render (`environments/<name>.toml`); every environment when omitted
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// Write nothing; exit 1 and print a unified diff when a rendered file differs from the
    /// committed one
    #[arg(long)]
    check: bool,
    /// Project root holding templates/, environments/ and state-machines/
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
}

pub fn run(args: RenderArgs) -> Result<ExitCode> {
    let project = Project::new(&args.root);
    let templates = project.templates()?;
    let names = match &args.environment {
        Some(name) => vec![name.clone()],
        None => project.environment_names()?,
    };
    let mut stale = false;
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
        }
    }
    Ok(if stale {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
