//! `leadline serve` as users run it: the AWS CLI against its Step Functions API, a `.done` in
//! the uploads folder starting a run, a taken port refused by name, and SIGTERM stopping it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a test waits on the server or a run before declaring it stuck (a hang guard, not
/// a speed assertion).
const HANG_GUARD: Duration = Duration::from_secs(120);
const ROLE: &str = "arn:aws:iam::000000000000:role/leadline-twin";
const SURVEY_MACHINE: &str =
    "arn:aws:states:us-east-1:000000000000:stateMachine:leadline-local-survey";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Server {
    child: Child,
    url: String,
    state: PathBuf,
}

impl Server {
    fn start(state: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_leadline"))
            .args(["serve", "--port", "0", "--state-dir"])
            .arg(state)
            .arg("--root")
            .arg(workspace())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("leadline serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let (found, url) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(at) = line.find("http://127.0.0.1:") {
                    let url: String = line[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    let _ = found.send(url);
                    break;
                }
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let url = url
            .recv_timeout(HANG_GUARD)
            .unwrap_or_else(|_| panic!("leadline serve printed no URL within {HANG_GUARD:?}"));
        Self {
            child,
            url,
            state: state.to_owned(),
        }
    }

    fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the URL")
    }

    /// One GET over plain HTTP/1.1: (status, body).
    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port())).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("receive");
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not HTTP: {answer}"));
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// `aws stepfunctions <args>` against this server.
    fn aws(&self, args: &[&str]) -> Output {
        let tools = std::env::var_os("LEADLINE_TOOLS")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/leadline/tools"))
            });
        let aws = tools
            .map(|t| t.join("bin/aws"))
            .filter(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("aws"));
        Command::new(&aws)
            .arg("stepfunctions")
            .args(args)
            .args(["--endpoint-url", &self.url, "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", self.state.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.state.join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} ({e}); scripts/setup installs it",
                    aws.display()
                )
            })
    }

    fn aws_json(&self, args: &[&str]) -> Value {
        let output = self.aws(args);
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the AWS CLI prints JSON")
    }

    /// SIGTERM, then the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        wait_for("leadline serve stops on SIGTERM", || {
            self.child.try_wait().expect("wait")
        })
    }
}

fn wait_for<T>(what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(
            started.elapsed() < HANG_GUARD,
            "{what} within {HANG_GUARD:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_aws_cli_runs_a_pass_machine_against_serve() {
    let state = tempfile::tempdir().expect("state folder");
    let server = Server::start(state.path());
    let (status, page) = server.get("/");
    assert_eq!(status, 200, "GET / answers when the twin is ready");
    assert!(page.contains("<title>Leadline"));

    let definition = json!({
        "StartAt": "Greet",
        "States": {"Greet": {"Type": "Pass", "Result": "hello", "ResultPath": "$.greeting", "End": true}}
    })
    .to_string();
    let created = server.aws_json(&[
        "create-state-machine",
        "--name",
        "greet",
        "--role-arn",
        ROLE,
        "--definition",
        &definition,
    ]);
    let machine = created["stateMachineArn"]
        .as_str()
        .expect("an ARN")
        .to_owned();
    assert!(machine.ends_with(":stateMachine:greet"), "{machine}");

    let started = server.aws_json(&[
        "start-execution",
        "--state-machine-arn",
        &machine,
        "--name",
        "first",
        "--input",
        r#"{"who": "surveyor"}"#,
    ]);
    let execution = started["executionArn"].as_str().expect("an ARN").to_owned();
    let described = wait_for("the execution to succeed", || {
        let described = server.aws_json(&["describe-execution", "--execution-arn", &execution]);
        (described["status"] != "RUNNING").then_some(described)
    });
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["name"], "first");
    let output: Value =
        serde_json::from_str(described["output"].as_str().expect("output")).expect("JSON");
    assert_eq!(output, json!({"who": "surveyor", "greeting": "hello"}));

    let history = server.aws_json(&["get-execution-history", "--execution-arn", &execution]);
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );

    let missing = server.aws(&[
        "describe-execution",
        "--execution-arn",
        &format!("{}:nope", machine.replace(":stateMachine:", ":execution:")),
    ]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("ExecutionDoesNotExist"),
        "the CLI names AWS's error: {}",
        String::from_utf8_lossy(&missing.stderr)
    );

    let status = server.terminate();
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
}

#[test]
fn a_done_file_starts_one_run_and_a_taken_port_is_refused() {
    let state = tempfile::tempdir().expect("state folder");
    let server = Server::start(state.path());

    // Only an unknown file: the plan finds nothing to do and the run fails cleanly, fast.
    let survey = state.path().join("buckets/uploads/S1");
    std::fs::create_dir_all(&survey).expect("survey folder");
    std::fs::write(survey.join("notes.txt"), "no data here").expect("write");
    std::fs::write(survey.join(".done"), "").expect("write .done");

    let runs = wait_for("the watcher to start a run", || {
        let listed = server.aws_json(&["list-executions", "--state-machine-arn", SURVEY_MACHINE]);
        let runs = listed["executions"].as_array().cloned().unwrap_or_default();
        (!runs.is_empty()).then_some(runs)
    });
    assert_eq!(runs.len(), 1);
    let name = runs[0]["name"].as_str().expect("a name").to_owned();
    assert!(
        name.starts_with("S1-"),
        "the run is named after the survey: {name}"
    );
    let (status, body) = server.get("/api/runs");
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        listed["runs"][0]["id"],
        name.as_str(),
        "the run API lists it"
    );

    let second = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .args(["serve", "--port", &server.port().to_string(), "--state-dir"])
        .arg(state.path().join("other"))
        .arg("--root")
        .arg(workspace())
        .output()
        .expect("leadline serve runs");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", server.port())),
        "the error names the taken address: {stderr}"
    );
}
