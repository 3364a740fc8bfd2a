//! `leadline states`: validate and run Amazon States Language definitions locally.
//!
//! The output and exit codes are a contract scripts depend on (issue #3):
//! `run` prints one JSON object and exits 0 (SUCCEEDED), 1 (FAILED, TIMED_OUT, ABORTED)
//! or 2 (invalid definition or usage); `validate` exits 0 when clean, 1 with diagnostics.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use leadline_asl::aws::{lambda_dispatcher, CommandFunctions, MockConfig, MockResolver};
use leadline_asl::clock::SystemClock;
use leadline_asl::dispatch::{Dispatcher, TaskResolver};
use leadline_asl::{
    Engine, EngineConfig, ExecutionRequest, ExecutionStatus, ValidateOptions, WorkflowType,
};
use serde_json::{json, Value};

const USAGE: u8 = 2;

#[derive(Args)]
pub struct StatesArgs {
    #[command(subcommand)]
    command: StatesCommand,
}

#[derive(Subcommand)]
enum StatesCommand {
    /// Check definitions; print one `file: CODE: message at /pointer` line per problem
    Validate(ValidateArgs),
    /// Run a definition locally and print {"status", "output"|"error","cause"} as JSON
    Run(RunArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum TypeArg {
    #[value(name = "STANDARD", alias = "standard")]
    Standard,
    #[value(name = "EXPRESS", alias = "express")]
    Express,
}

impl From<TypeArg> for WorkflowType {
    fn from(t: TypeArg) -> Self {
        match t {
            TypeArg::Standard => WorkflowType::Standard,
            TypeArg::Express => WorkflowType::Express,
        }
    }
}

#[derive(Args)]
struct ValidateArgs {
    /// Definition files (ASL JSON)
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Workflow type the definitions are meant for
    #[arg(long = "type", value_enum, default_value = "STANDARD")]
    workflow_type: TypeArg,
}

#[derive(Args)]
struct RunArgs {
    /// Definition file (ASL JSON)
    definition: PathBuf,
    /// Execution input: JSON text, or @file to read it from a file
    #[arg(long, default_value = "{}")]
    input: String,
    /// Map Lambda functions to local commands (`[functions."name"] command = [...]`)
    #[arg(long)]
    functions: Option<PathBuf>,
    /// Step Functions Local mock configuration (needs --test-case)
    #[arg(long, requires = "test_case")]
    mock: Option<PathBuf>,
    /// Test case of the mock configuration to apply
    #[arg(long, requires = "mock")]
    test_case: Option<String>,
    /// Include the execution history events in the output
    #[arg(long)]
    history: bool,
    /// State machine name (context object, ARNs, mock lookup); defaults to the file stem
    #[arg(long)]
    state_machine: Option<String>,
    /// Execution name; defaults to a unique `<state machine>-<pid>-<nanoseconds>`
    #[arg(long)]
    name: Option<String>,
    /// Workflow type the definition is meant for
    #[arg(long = "type", value_enum, default_value = "STANDARD")]
    workflow_type: TypeArg,
}

pub fn run(args: StatesArgs) -> Result<ExitCode> {
    match args.command {
        StatesCommand::Validate(args) => validate(args),
        StatesCommand::Run(args) => match prepare(&args) {
            Ok(prepared) => execute(args, prepared),
            Err(error) => {
                eprintln!("error: {error:#}");
                Ok(ExitCode::from(USAGE))
            }
        },
    }
}

fn validate(args: ValidateArgs) -> Result<ExitCode> {
    let options = ValidateOptions {
        workflow_type: args.workflow_type.into(),
    };
    let mut problems = false;
    let mut unreadable = false;
    for file in &args.files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(error) => {
                eprintln!("error: cannot read {}: {error}", file.display());
                unreadable = true;
                continue;
            }
        };
        if let Err(invalid) = leadline_asl::parse_str(&text, options) {
            problems = true;
            for diagnostic in invalid.0 {
                println!("{}: {diagnostic}", file.display());
            }
        }
    }
    Ok(if unreadable {
        ExitCode::from(USAGE)
    } else if problems {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

struct Prepared {
    machine: leadline_asl::StateMachine,
    input: Value,
    resolver: Arc<dyn TaskResolver>,
    machine_name: String,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Everything that can be a usage error (exit 2) happens here, before the run.
fn prepare(args: &RunArgs) -> Result<Prepared> {
    let text = read(&args.definition)?;
    let options = ValidateOptions {
        workflow_type: args.workflow_type.into(),
    };
    let machine = match leadline_asl::parse_str(&text, options) {
        Ok(machine) => machine,
        Err(invalid) => {
            for diagnostic in &invalid.0 {
                eprintln!("{}: {diagnostic}", args.definition.display());
            }
            bail!(
                "invalid state machine definition {}",
                args.definition.display()
            );
        }
    };
    let input_text = match args.input.strip_prefix('@') {
        Some(file) => read(Path::new(file))?,
        None => args.input.clone(),
    };
    let input: Value = serde_json::from_str(&input_text).context("--input is not valid JSON")?;
    let machine_name = match &args.state_machine {
        Some(name) => name.clone(),
        None => args
            .definition
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "StateMachine".into()),
    };
    let dispatcher: Dispatcher = match &args.functions {
        Some(path) => lambda_dispatcher(CommandFunctions::load(path)?),
        None => Dispatcher::new(),
    };
    let mut resolver: Arc<dyn TaskResolver> = Arc::new(dispatcher);
    if let (Some(mock), Some(case)) = (&args.mock, &args.test_case) {
        let config: MockConfig = serde_json::from_str(&read(mock)?)
            .with_context(|| format!("invalid mock configuration {}", mock.display()))?;
        resolver = Arc::new(MockResolver::new(&config, &machine_name, case, resolver)?);
    }
    Ok(Prepared {
        machine,
        input,
        resolver,
        machine_name,
    })
}

fn execute(args: RunArgs, prepared: Prepared) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let engine = Engine::new(prepared.resolver, Arc::new(SystemClock)).with_config(EngineConfig {
        record_history: args.history,
        ..EngineConfig::default()
    });
    let execution_name = args
        .name
        .clone()
        .unwrap_or_else(|| unique_name(&prepared.machine_name));
    let request = ExecutionRequest::new(prepared.machine_name, execution_name, prepared.input);
    let result = runtime.block_on(engine.execute(&prepared.machine, request));
    let mut out = match (&result.status, &result.output, &result.error) {
        (ExecutionStatus::Succeeded, Some(output), _) => {
            json!({ "status": "SUCCEEDED", "output": output })
        }
        (status, _, error) => {
            let (error, cause) = error
                .as_ref()
                .map(|e| (e.error.clone(), e.cause.clone()))
                .unwrap_or_default();
            json!({ "status": status, "error": error, "cause": cause })
        }
    };
    if args.history {
        out["history"] = serde_json::to_value(&result.history)?;
    }
    println!("{out}");
    Ok(if result.status == ExecutionStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A unique execution name without another dependency: machine name, process id and time.
fn unique_name(machine: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{machine}-{}-{nanos}", std::process::id())
}
