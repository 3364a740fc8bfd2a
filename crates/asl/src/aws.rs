//! AWS-shaped resolvers, kept apart from the interpreter: Lambda (function ARNs and the
//! optimised `lambda:invoke` integration, with AWS's response wrapping), Lambda functions
//! mapped to local commands (`functions.toml`), and the Step Functions Local mock
//! configuration (`--mock`).

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::dispatch::{Completion, Dispatcher, ResourceKind, TaskCall, TaskFailure, TaskResolver};

/// Invokes a Lambda function by name with an event; returns its result.
#[async_trait]
pub trait LambdaFunctions: Send + Sync {
    async fn invoke(&self, function: &str, event: Value) -> Result<Value, TaskFailure>;
}

/// The function name inside a name, partial ARN or full ARN, without version or alias.
pub fn function_name(reference: &str) -> &str {
    let parts: Vec<&str> = reference.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => name,
        [_, "function", name, ..] => name,
        [name, ..] => name,
        [] => reference,
    }
}

/// Resolves Lambda resources: direct function ARNs (the result is the function's
/// result) and `arn:aws:states:::lambda:invoke` (the result is wrapped as AWS does).
pub struct LambdaResolver<F> {
    functions: F,
}

impl<F: LambdaFunctions> LambdaResolver<F> {
    pub fn new(functions: F) -> Self {
        Self { functions }
    }

    /// The resource patterns to register this resolver under.
    pub const PATTERNS: [&'static str; 2] = [
        "arn:aws:lambda:*:*:function:*",
        "arn:aws:states:::lambda:invoke*",
    ];
}

#[async_trait]
impl<F: LambdaFunctions> TaskResolver for LambdaResolver<F> {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        if ResourceKind::of(&call.resource) == ResourceKind::LambdaFunction {
            let name = function_name(&call.resource);
            return self
                .functions
                .invoke(name, call.input)
                .await
                .map(Completion::Result);
        }
        let reference = call
            .input
            .get("FunctionName")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                TaskFailure::new(
                    "States.Runtime",
                    "The lambda:invoke integration needs a 'FunctionName' parameter",
                )
            })?;
        let payload = call
            .input
            .get("Payload")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let result = self
            .functions
            .invoke(function_name(reference), payload)
            .await?;
        if call.task_token.is_some() && call.resource.ends_with(".waitForTaskToken") {
            return Ok(Completion::AwaitToken);
        }
        let request_id = uuid::Uuid::new_v4().to_string();
        Ok(Completion::Result(json!({
            "ExecutedVersion": "$LATEST",
            "Payload": result,
            "SdkHttpMetadata": {
                "AllHttpHeaders": {
                    "X-Amz-Executed-Version": ["$LATEST"],
                    "x-amzn-Remapped-Content-Length": ["0"],
                    "Connection": ["keep-alive"],
                    "x-amzn-RequestId": [request_id],
                    "Content-Type": ["application/json"],
                },
                "HttpHeaders": {
                    "Connection": "keep-alive",
                    "Content-Type": "application/json",
                    "X-Amz-Executed-Version": "$LATEST",
                    "x-amzn-Remapped-Content-Length": "0",
                    "x-amzn-RequestId": request_id,
                },
                "HttpStatusCode": 200,
            },
            "SdkResponseMetadata": { "RequestId": request_id },
            "StatusCode": 200,
        })))
    }
}

/// One entry of `functions.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionCommand {
    pub command: Vec<String>,
    #[serde(default)]
    pub env: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionsFile {
    #[serde(default)]
    functions: HashMap<String, FunctionCommand>,
}

#[derive(Debug, thiserror::Error)]
pub enum FunctionsFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid functions file {path}: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
    #[error("function '{0}' has an empty command")]
    EmptyCommand(String),
}

/// Lambda functions run as local commands: the event on stdin, the result on stdout.
/// Commands run in the functions file's folder so relative script paths work.
#[derive(Debug, Clone, Default)]
pub struct CommandFunctions {
    functions: HashMap<String, FunctionCommand>,
    dir: PathBuf,
}

impl CommandFunctions {
    pub fn load(path: &FsPath) -> Result<Self, FunctionsFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| FunctionsFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let dir = path.parent().map(FsPath::to_path_buf).unwrap_or_default();
        Self::parse(&text, dir).map_err(|e| match e {
            FunctionsFileError::Parse { source, .. } => FunctionsFileError::Parse {
                path: path.display().to_string(),
                source,
            },
            other => other,
        })
    }

    pub fn parse(text: &str, dir: PathBuf) -> Result<Self, FunctionsFileError> {
        let file: FunctionsFile =
            toml::from_str(text).map_err(|source| FunctionsFileError::Parse {
                path: String::new(),
                source,
            })?;
        if let Some((name, _)) = file.functions.iter().find(|(_, f)| f.command.is_empty()) {
            return Err(FunctionsFileError::EmptyCommand(name.clone()));
        }
        Ok(Self {
            functions: file.functions,
            dir,
        })
    }
}

#[async_trait]
impl LambdaFunctions for CommandFunctions {
    async fn invoke(&self, function: &str, event: Value) -> Result<Value, TaskFailure> {
        let Some(spec) = self.functions.get(function) else {
            return Err(TaskFailure::new(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {function} (not mapped in the functions file)"),
            ));
        };
        let (program, args) = spec
            .command
            .split_first()
            .ok_or_else(|| TaskFailure::new("Lambda.ServiceException", "empty command"))?;
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .envs(&spec.env)
            .current_dir(if self.dir.as_os_str().is_empty() {
                FsPath::new(".")
            } else {
                &self.dir
            })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                TaskFailure::new(
                    "Lambda.ServiceException",
                    format!("cannot start {program}: {e}"),
                )
            })?;
        // Feed stdin while collecting stdout: a handler that writes before it has read
        // everything would otherwise fill the pipe and deadlock with us.
        let stdin = child.stdin.take();
        let bytes = event.to_string().into_bytes();
        let feed = async move {
            if let Some(mut stdin) = stdin {
                // A handler that exits without reading stdin is not an error in itself.
                let _ = stdin.write_all(&bytes).await;
            }
        };
        let ((), output) = tokio::join!(feed, child.wait_with_output());
        let output = output.map_err(|e| {
            TaskFailure::new("Lambda.ServiceException", format!("{program} failed: {e}"))
        })?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stdout = stdout.trim();
        if output.status.success() {
            if stdout.is_empty() {
                return Ok(Value::Null);
            }
            return parse_result(stdout).map(|(v, _)| v).map_err(|e| {
                TaskFailure::new(
                    "Lambda.InvalidResponseException",
                    format!("The function's output is not JSON ({e}): {stdout}"),
                )
            });
        }
        // Lambda reports a handler error as errorType, with the whole error JSON as the cause.
        if let Ok((error, text)) = parse_result(stdout) {
            if let Some(error_type) = error.get("errorType").and_then(Value::as_str) {
                return Err(TaskFailure::new(error_type, text));
            }
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(TaskFailure::new(
            "Lambda.Unknown",
            format!("{program} exited with {}: {}", output.status, stderr.trim()),
        ))
    }
}

/// The whole of stdout as JSON or, for handlers that log to stdout, its last line;
/// with the text that parsed.
fn parse_result(stdout: &str) -> Result<(Value, &str), serde_json::Error> {
    match serde_json::from_str(stdout) {
        Ok(v) => Ok((v, stdout)),
        Err(e) => match stdout.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(last) if last.len() < stdout.len() => {
                serde_json::from_str(last).map(|v| (v, last.trim()))
            }
            _ => Err(e),
        },
    }
}

/// A dispatcher with the Lambda resolvers registered over `functions`.
pub fn lambda_dispatcher<F: LambdaFunctions + 'static>(functions: F) -> Dispatcher {
    let resolver: Arc<dyn TaskResolver> = Arc::new(LambdaResolver::new(functions));
    let mut dispatcher = Dispatcher::new();
    for pattern in LambdaResolver::<F>::PATTERNS {
        dispatcher.register(pattern, resolver.clone());
    }
    dispatcher
}

/// The Step Functions Local mock configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MockConfig {
    pub state_machines: HashMap<String, MockStateMachine>,
    pub mocked_responses: HashMap<String, HashMap<String, MockedResponse>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MockStateMachine {
    pub test_cases: HashMap<String, HashMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MockedResponse {
    #[serde(default)]
    pub r#return: Option<Value>,
    #[serde(default)]
    pub throw: Option<MockedThrow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MockedThrow {
    pub error: String,
    #[serde(default)]
    pub cause: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("invalid mock configuration: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("test case '{case}' not found for state machine '{machine}'")]
    NoTestCase { machine: String, case: String },
    #[error("test case '{case}' is not defined for any state machine in the mock configuration")]
    UnknownTestCase { case: String },
    #[error(
        "test case '{case}' exists for several state machines ({machines}); name the state machine"
    )]
    Ambiguous { case: String, machines: String },
    #[error("mocked response '{0}' (used by the test case) is not defined")]
    UnknownResponse(String),
    #[error("mocked response '{name}' has an invalid attempt key '{key}' (use \"0\" or \"1-3\")")]
    BadKey { name: String, key: String },
    #[error("mocked response '{name}' attempt '{key}' needs exactly one of Return or Throw")]
    BadResponse { name: String, key: String },
}

/// Serves mocked responses per state for one test case; states without a mock go to
/// `fallback`. Attempts are counted per state, so retries see `"0"`, then `"1"`, ...
pub struct MockResolver {
    by_state: HashMap<String, Vec<(u32, u32, MockedResponse)>>,
    calls: Mutex<HashMap<String, u32>>,
    fallback: Arc<dyn TaskResolver>,
}

impl MockResolver {
    /// `machine` picks the state machine; when it does not name one in the file,
    /// the test case is looked up across all of them.
    pub fn new(
        config: &MockConfig,
        machine: &str,
        case: &str,
        fallback: Arc<dyn TaskResolver>,
    ) -> Result<Self, MockError> {
        let cases = match config.state_machines.get(machine) {
            Some(sm) => sm
                .test_cases
                .get(case)
                .ok_or_else(|| MockError::NoTestCase {
                    machine: machine.to_owned(),
                    case: case.to_owned(),
                })?,
            None => {
                let found: Vec<(&String, &HashMap<String, String>)> = config
                    .state_machines
                    .iter()
                    .filter_map(|(name, sm)| sm.test_cases.get(case).map(|c| (name, c)))
                    .collect();
                match found.as_slice() {
                    [] => {
                        return Err(MockError::UnknownTestCase {
                            case: case.to_owned(),
                        })
                    }
                    [(_, c)] => *c,
                    many => {
                        let mut names: Vec<&str> = many.iter().map(|(n, _)| n.as_str()).collect();
                        names.sort_unstable();
                        return Err(MockError::Ambiguous {
                            case: case.to_owned(),
                            machines: names.join(", "),
                        });
                    }
                }
            }
        };
        let mut by_state = HashMap::new();
        for (state, response_name) in cases {
            let responses = config
                .mocked_responses
                .get(response_name)
                .ok_or_else(|| MockError::UnknownResponse(response_name.clone()))?;
            let mut ranges = Vec::new();
            for (key, response) in responses {
                let bad_key = || MockError::BadKey {
                    name: response_name.clone(),
                    key: key.clone(),
                };
                let (from, to) = match key.split_once('-') {
                    Some((a, b)) => (
                        a.trim().parse().map_err(|_| bad_key())?,
                        b.trim().parse().map_err(|_| bad_key())?,
                    ),
                    None => {
                        let n: u32 = key.trim().parse().map_err(|_| bad_key())?;
                        (n, n)
                    }
                };
                if from > to {
                    return Err(bad_key());
                }
                if response.r#return.is_some() == response.throw.is_some() {
                    return Err(MockError::BadResponse {
                        name: response_name.clone(),
                        key: key.clone(),
                    });
                }
                ranges.push((from, to, response.clone()));
            }
            by_state.insert(state.clone(), ranges);
        }
        Ok(Self {
            by_state,
            calls: Mutex::new(HashMap::new()),
            fallback,
        })
    }
}

#[async_trait]
impl TaskResolver for MockResolver {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        let Some(ranges) = self.by_state.get(&call.state_name) else {
            return self.fallback.invoke(call).await;
        };
        let attempt = {
            let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
            let counter = calls.entry(call.state_name.clone()).or_insert(0);
            let attempt = *counter;
            *counter += 1;
            attempt
        };
        let response = ranges
            .iter()
            .find(|(from, to, _)| (*from..=*to).contains(&attempt))
            .map(|(_, _, r)| r)
            .ok_or_else(|| {
                TaskFailure::new(
                    "States.Runtime",
                    format!(
                        "No mocked response for state '{}' attempt {attempt}",
                        call.state_name
                    ),
                )
            })?;
        match (&response.r#return, &response.throw) {
            (Some(value), _) => Ok(Completion::Result(value.clone())),
            (None, Some(throw)) => Err(TaskFailure::new(&throw.error, &throw.cause)),
            (None, None) => Err(TaskFailure::new("States.Runtime", "empty mocked response")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn function_names() {
        assert_eq!(function_name("my-fn"), "my-fn");
        assert_eq!(function_name("my-fn:prod"), "my-fn");
        assert_eq!(function_name("123456789012:function:my-fn"), "my-fn");
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:my-fn:1"),
            "my-fn"
        );
    }
}
