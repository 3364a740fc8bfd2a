//! The job contract's vocabulary (DESIGN §3): how a command's ending becomes a task failure, and
//! how its stdout becomes bounded metadata.

use serde::Serialize;
use serde_json::Value;

/// Step Functions caps a task result at 256 KiB; metadata gets at most this much of it so the
/// output listing and the envelope always fit beside it.
pub const METADATA_LIMIT: usize = 128 * 1024;

/// Step Functions caps a failure's `Cause` at 32,768 characters; the tail of stderr is what
/// explains a failure, so that is what is kept.
pub const CAUSE_LIMIT: usize = 16 * 1024;

/// Error names a state machine's `Retry`/`Catch` can match.
pub mod errors {
    /// Prefix of `Job.ExitCode.<n>`: the command exited with `n ≠ 0` (a signal `s` counts as
    /// `128 + s`, as shells report it).
    pub const EXIT_CODE_PREFIX: &str = "Job.ExitCode.";
    /// The command outlived its timeout and was stopped.
    pub const TIMEOUT: &str = "Job.Timeout";
    /// The runner or worker was asked to stop (SIGTERM) while the command ran: retryable.
    pub const INTERRUPTED: &str = "Job.Interrupted";
    /// The command left outputs that would escape the outputs folder; nothing was published.
    pub const OUTPUT_REJECTED: &str = "Job.OutputRejected";
    /// Staging, publishing or the cache failed: the command's own result is unknown or lost.
    pub const RUNNER: &str = "Job.Runner";
}

/// A failed task as Step Functions records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskFailure {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause")]
    pub cause: String,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }

    pub fn exit_code(code: i32, cause: impl Into<String>) -> Self {
        Self::new(format!("{}{code}", errors::EXIT_CODE_PREFIX), cause)
    }
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signalled(i32),
    TimedOut,
    Interrupted,
}

impl Ending {
    /// The failure this ending is, with `cause` (normally the stderr tail); `None` on success.
    pub fn failure(self, cause: &str) -> Option<TaskFailure> {
        match self {
            Self::Exited(0) => None,
            Self::Exited(code) => Some(TaskFailure::exit_code(code, cause)),
            Self::Signalled(signal) => Some(TaskFailure::exit_code(128 + signal, cause)),
            Self::TimedOut => Some(TaskFailure::new(errors::TIMEOUT, cause)),
            Self::Interrupted => Some(TaskFailure::new(errors::INTERRUPTED, cause)),
        }
    }
}

/// The JSON-object lines of a command's stdout, kept while they fit in the limit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub items: Vec<Value>,
    /// Bytes of the kept items as they were printed.
    pub bytes: usize,
    /// Objects left out because the limit was reached.
    pub dropped: usize,
}

impl Metadata {
    /// Offers one stdout line; returns whether it was a JSON object (metadata) at all.
    pub fn offer(&mut self, line: &str, limit: usize) -> bool {
        let trimmed = line.trim();
        if !trimmed.starts_with('{') {
            return false;
        }
        let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(trimmed) else {
            return false;
        };
        if self.bytes + trimmed.len() > limit {
            self.dropped += 1;
        } else {
            self.bytes += trimmed.len();
            self.items.push(value);
        }
        true
    }
}

/// The last `limit` bytes of a stream, cut at a character boundary.
#[derive(Debug, Default)]
pub struct Tail {
    text: String,
    limit: usize,
}

impl Tail {
    pub fn new(limit: usize) -> Self {
        Self {
            text: String::new(),
            limit,
        }
    }

    pub fn push_line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        if self.text.len() > self.limit {
            let mut cut = self.text.len() - self.limit;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            self.text.drain(..cut);
        }
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_signals_name_the_code() {
        assert_eq!(Ending::Exited(0).failure("x"), None);
        assert_eq!(
            Ending::Exited(3).failure("boom").unwrap(),
            TaskFailure::new("Job.ExitCode.3", "boom")
        );
        assert_eq!(
            Ending::Signalled(9).failure("").unwrap().error,
            "Job.ExitCode.137"
        );
        assert_eq!(Ending::TimedOut.failure("").unwrap().error, "Job.Timeout");
        assert_eq!(
            Ending::Interrupted.failure("").unwrap().error,
            "Job.Interrupted"
        );
    }

    #[test]
    fn failure_serialises_as_step_functions_names_it() {
        let json = serde_json::to_value(TaskFailure::new("Job.ExitCode.2", "why")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"Error": "Job.ExitCode.2", "Cause": "why"})
        );
    }

    #[test]
    fn only_json_objects_are_metadata_and_the_limit_holds() {
        let mut metadata = Metadata::default();
        assert!(!metadata.offer("plain progress text", 100));
        assert!(!metadata.offer("[1, 2]", 100));
        assert!(!metadata.offer("{not json", 100));
        assert!(metadata.offer(r#"  {"a": 1}  "#, 20));
        assert!(metadata.offer(r#"{"b": "0123456789"}"#, 20));
        assert_eq!(metadata.items, vec![serde_json::json!({"a": 1})]);
        assert_eq!(metadata.dropped, 1);
        assert!(metadata.bytes <= 20);
    }

    #[test]
    fn tail_keeps_the_end_on_a_char_boundary() {
        let mut tail = Tail::new(8);
        tail.push_line("first line");
        tail.push_line("éé end");
        let text = tail.into_string();
        assert!(text.len() <= 8, "{text:?}");
        assert!(text.ends_with("end\n"), "{text:?}");
    }
}
