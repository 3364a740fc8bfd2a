//! Test support shared by Leadline's crates. It owns the real servers tests talk to: a moto
//! server on 127.0.0.1 with a free port, started per test and killed when dropped, and
//! [`activity_api`], a Step Functions activity API for activity workers.

pub mod activity_api;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `moto_server` bound to loopback. Dropping it stops the server.
pub struct Moto {
    child: Child,
    port: u16,
}

const STARTUP: Duration = Duration::from_secs(60);

impl Moto {
    /// Starts moto on a free loopback port and waits until it accepts connections.
    ///
    /// Panics with installation advice when `moto_server` is missing: the README's test command
    /// installs it.
    pub fn start() -> Self {
        let port = free_port();
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start moto_server ({e}); run scripts/setup to install it")
            });
        let mut moto = Self { child, port };
        moto.wait_until_ready();
        moto
    }

    fn wait_until_ready(&mut self) {
        let address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port);
        let started = Instant::now();
        while TcpStream::connect(address).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("moto_server exited during start-up: {status}");
            }
            assert!(
                started.elapsed() < STARTUP,
                "moto_server did not start within {STARTUP:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL` and `--endpoint-url`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An S3 client for this server: static test credentials, path-style addressing.
    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&sdk_config(&self.endpoint()))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A Secrets Manager client for this server.
    pub fn secrets_client(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&sdk_config(&self.endpoint()))
    }

    /// A Step Functions client for this server.
    pub fn sfn_client(&self) -> aws_sdk_sfn::Client {
        aws_sdk_sfn::Client::new(&sdk_config(&self.endpoint()))
    }

    /// Makes moto run the state machines it is given (Pass, Wait, Fail, …) instead of only
    /// recording executions as running.
    pub fn execute_state_machines(&self) {
        let body = r#"{"stepfunctions":{"execute_state_machine":true}}"#;
        let request = format!(
            "POST /moto-api/config HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        let mut stream = TcpStream::connect(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port))
            .unwrap_or_else(|e| panic!("cannot reach moto: {e}"));
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("cannot configure moto: {e}"));
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let status = answer.split_whitespace().nth(1).unwrap_or_default();
        assert!(
            status.starts_with('2'),
            "moto refused the configuration: {answer}"
        );
    }

    /// Environment for child processes (the `leadline` binary, the AWS CLI) to reach this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Creates a bucket and returns its name.
    pub async fn create_bucket(&self, name: &str) -> String {
        self.s3_client()
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("cannot create bucket {name}: {e:?}"));
        name.to_owned()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `moto_server` that `scripts/setup` installed (pinned), else whichever is on PATH.
fn moto_server() -> PathBuf {
    let tools = std::env::var_os("LEADLINE_TOOLS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/leadline/tools"))
        });
    tools
        .map(|tools| tools.join("bin/moto_server"))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("moto_server"))
}

/// The AWS settings every test client shares: static test credentials, one region, and the
/// local server's endpoint.
pub fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "leadline-testkit",
            ),
        ))
        .endpoint_url(endpoint)
        .build()
}

fn free_port() -> u16 {
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}
