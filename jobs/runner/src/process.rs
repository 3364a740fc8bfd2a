//! Running one command under the job contract: its stdout's JSON-object lines become metadata,
//! every line of both streams goes to the log, stderr's tail becomes the failure cause. A timeout
//! or a cancellation stops the command's whole process group (SIGTERM, then SIGKILL after a grace
//! period), so no child outlives the task. [`with_heartbeats`] keeps a task alive while any work
//! runs: staging a large upload needs heartbeats as much as the command does.

use std::future::Future;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use crate::contract::{Ending, Metadata, Tail, CAUSE_LIMIT, METADATA_LIMIT};
use crate::task_api::TaskReporter;

/// A line longer than this is logged cut short and is never metadata; it bounds the memory a
/// command without newlines can make us hold.
const MAX_LINE: usize = 512 * 1024;

#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub program: String,
    pub args: Vec<String>,
    pub dir: Option<PathBuf>,
    /// Added to the inherited environment. Values are never logged (they may be licences).
    pub env: Vec<(String, String)>,
}

impl CommandSpec {
    /// `argv[0]` is the program. `None` for an empty command line.
    pub fn from_argv(argv: &[String]) -> Option<Self> {
        let (program, args) = argv.split_first()?;
        Some(Self {
            program: program.clone(),
            args: args.to_vec(),
            dir: None,
            env: Vec::new(),
        })
    }

    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.program.clone())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub timeout: Option<Duration>,
    pub heartbeat_every: Duration,
    /// Time between SIGTERM and SIGKILL when the command must stop.
    pub kill_grace: Duration,
    pub metadata_limit: usize,
    pub cause_limit: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            timeout: None,
            heartbeat_every: Duration::from_secs(60),
            kill_grace: Duration::from_secs(10),
            metadata_limit: METADATA_LIMIT,
            cause_limit: CAUSE_LIMIT,
        }
    }
}

/// Parses a command-line duration in seconds (`60`, `0.5`), for heartbeat intervals and timeouts.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|seconds| *seconds > 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("{text:?} is not a positive number of seconds"))
}

/// Where heartbeats go while a task's work runs.
pub struct Heartbeat<'a> {
    pub reporter: &'a dyn TaskReporter,
    pub token: &'a str,
}

/// Drives `work` to its end, sending a heartbeat every `every` meanwhile. A heartbeat that cannot
/// be delivered is logged; the work goes on (Step Functions decides whether the task timed out).
pub async fn with_heartbeats<T>(
    work: impl Future<Output = T>,
    heartbeat: Option<Heartbeat<'_>>,
    every: Duration,
) -> T {
    let Some(beat) = heartbeat else {
        return work.await;
    };
    tokio::pin!(work);
    let mut beats = tokio::time::interval(every);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; the work has only just started.
    beats.tick().await;
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = beats.tick() => {
                if let Err(error) = beat.reporter.heartbeat(beat.token).await {
                    tracing::warn!(%error, "heartbeat not delivered");
                }
            }
        }
    }
}

#[derive(Debug)]
pub struct Finished {
    pub ending: Ending,
    pub metadata: Metadata,
    pub stderr_tail: String,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("waiting for `{program}` failed: {source}")]
    Wait {
        program: String,
        source: std::io::Error,
    },
}

/// Runs `spec` to its end, the timeout, or until `cancel` resolves.
pub async fn run(
    spec: &CommandSpec,
    options: &RunOptions,
    cancel: impl Future<Output = ()>,
) -> Result<Finished, ProcessError> {
    let started = Instant::now();
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so stopping the command reaches everything it started.
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = &spec.dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().map_err(|source| ProcessError::Spawn {
        program: spec.program.clone(),
        source,
    })?;
    let group = child.id().and_then(|id| i32::try_from(id).ok());

    let metadata_limit = options.metadata_limit;
    let stdout = child.stdout.take().map(|out| {
        tokio::spawn(async move {
            let mut metadata = Metadata::default();
            read_lines(out, |line| {
                if !metadata.offer(line, metadata_limit) {
                    tracing::info!(target: "command", stream = "stdout", "{line}");
                }
            })
            .await;
            metadata
        })
    });
    let cause_limit = options.cause_limit;
    let stderr = child.stderr.take().map(|err| {
        tokio::spawn(async move {
            let mut tail = Tail::new(cause_limit);
            read_lines(err, |line| {
                tracing::info!(target: "command", stream = "stderr", "{line}");
                tail.push_line(line);
            })
            .await;
            tail.into_string()
        })
    });

    let ending = supervise(&mut child, group, spec, options, cancel).await?;
    // Stragglers the command left behind would hold the pipes open; the task is over for them.
    signal_group(group, libc::SIGKILL);

    let metadata = match stdout {
        Some(task) => task.await.unwrap_or_default(),
        None => Metadata::default(),
    };
    let stderr_tail = match stderr {
        Some(task) => task.await.unwrap_or_default(),
        None => String::new(),
    };
    Ok(Finished {
        ending,
        metadata,
        stderr_tail,
        elapsed: started.elapsed(),
    })
}

async fn supervise(
    child: &mut Child,
    group: Option<i32>,
    spec: &CommandSpec,
    options: &RunOptions,
    cancel: impl Future<Output = ()>,
) -> Result<Ending, ProcessError> {
    let wait_error = |source| ProcessError::Wait {
        program: spec.program.clone(),
        source,
    };
    let deadline = options.timeout.map(|t| tokio::time::Instant::now() + t);
    let ending = tokio::select! {
        status = child.wait() => return status.map(ending_of).map_err(wait_error),
        () = sleep_until(deadline) => {
            tracing::warn!(timeout = ?options.timeout, program = %spec.program, "timed out; stopping the command");
            Ending::TimedOut
        }
        () = cancel => {
            tracing::warn!(program = %spec.program, "interrupted; stopping the command");
            Ending::Interrupted
        }
    };
    stop(child, group, options.kill_grace)
        .await
        .map_err(wait_error)?;
    Ok(ending)
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn ending_of(status: ExitStatus) -> Ending {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(signal)) => Ending::Signalled(signal),
        (None, None) => Ending::Exited(-1),
    }
}

/// SIGTERM to the group, SIGKILL when it has not ended after `grace`.
async fn stop(child: &mut Child, group: Option<i32>, grace: Duration) -> std::io::Result<()> {
    signal_group(group, libc::SIGTERM);
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        signal_group(group, libc::SIGKILL);
    }
    child.wait().await.map(drop)
}

fn signal_group(group: Option<i32>, signal: libc::c_int) {
    if let Some(group) = group {
        // SAFETY: killpg only sends a signal; it touches no memory of ours. ESRCH (the group is
        // already gone) is the expected outcome after a clean exit and needs no handling.
        unsafe {
            libc::killpg(group, signal);
        }
    }
}

/// Calls `each` with every line (without its newline, invalid UTF-8 replaced), holding at most
/// `MAX_LINE` bytes of one line.
async fn read_lines(stream: impl AsyncRead + Unpin, mut each: impl FnMut(&str)) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let mut overlong = false;
    loop {
        let available = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(bytes) => bytes,
        };
        let (chunk, newline) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (&available[..at], true),
            None => (available, false),
        };
        let room = MAX_LINE.saturating_sub(line.len());
        overlong |= chunk.len() > room;
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len() + usize::from(newline);
        reader.consume(used);
        if newline {
            emit(&mut line, &mut overlong, &mut each);
        }
    }
    if !line.is_empty() {
        emit(&mut line, &mut overlong, &mut each);
    }
}

fn emit(line: &mut Vec<u8>, overlong: &mut bool, each: &mut impl FnMut(&str)) {
    let text = String::from_utf8_lossy(line);
    let text = text.strip_suffix('\r').unwrap_or(&text);
    if *overlong {
        // Cut short, it is no longer what the command printed: the marker keeps it from
        // parsing as metadata.
        each(&format!("[line cut at {MAX_LINE} bytes] {text}"));
    } else {
        each(text);
    }
    line.clear();
    *overlong = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> CommandSpec {
        CommandSpec::from_argv(&["sh".into(), "-c".into(), script.into()]).unwrap()
    }

    async fn run_sh(script: &str, options: &RunOptions) -> Finished {
        run(&sh(script), options, std::future::pending())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn collects_metadata_and_stderr_tail() {
        let finished = run_sh(
            r#"echo 'progress 50%'; echo '{"grid": "a.bag"}'; echo oops >&2; exit 3"#,
            &RunOptions::default(),
        )
        .await;
        assert_eq!(finished.ending, Ending::Exited(3));
        assert_eq!(
            finished.metadata.items,
            vec![serde_json::json!({"grid": "a.bag"})]
        );
        assert_eq!(finished.stderr_tail, "oops\n");
    }

    #[tokio::test]
    async fn an_endless_line_is_bounded_and_not_metadata() {
        let finished = run_sh(
            r#"printf '{"x": "'; head -c 2000000 /dev/zero | tr '\0' a; printf '"}\n'"#,
            &RunOptions::default(),
        )
        .await;
        assert_eq!(finished.ending, Ending::Exited(0));
        assert!(finished.metadata.items.is_empty());
    }

    #[tokio::test]
    async fn timeout_stops_the_whole_group() {
        let options = RunOptions {
            timeout: Some(Duration::from_millis(200)),
            kill_grace: Duration::from_millis(200),
            ..RunOptions::default()
        };
        // The grandchild holds stdout open: if it survived, reading would never end.
        let finished = run_sh("sleep 600 & sleep 600", &options).await;
        assert_eq!(finished.ending, Ending::TimedOut);
    }

    #[tokio::test]
    async fn cancellation_interrupts() {
        let finished = run(
            &sh("sleep 600"),
            &RunOptions::default(),
            std::future::ready(()),
        )
        .await
        .unwrap();
        assert_eq!(finished.ending, Ending::Interrupted);
    }

    #[test]
    fn seconds_parse_positive_numbers_only() {
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("60"), Ok(Duration::from_secs(60)));
        for bad in ["0", "-1", "inf", "NaN", "soon"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_missing_program_names_it() {
        let spec = CommandSpec::from_argv(&["/nonexistent/tool".into()]).unwrap();
        let err = run(&spec, &RunOptions::default(), std::future::pending())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/tool"), "{err}");
    }
}
