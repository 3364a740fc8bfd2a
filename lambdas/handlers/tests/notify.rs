//! Notify with webhooks from moto's Secrets Manager and local listeners on 127.0.0.1.

mod common;

use std::sync::Arc;

use common::{World, FAILS};
use leadline_lambdas::executions::Executions;
use leadline_lambdas::notify::{HttpPoster, Notifier, SecretsManagerWebhooks, StatusEvent};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A one-request-at-a-time HTTP listener answering `status`; bodies it receives go to the
/// returned channel.
async fn listener(status: &'static str) -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hooks/secret-path",
        listener.local_addr().unwrap()
    );
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // Read the head, then as many body bytes as Content-Length says.
            let body = loop {
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                if n == 0 {
                    break String::new();
                }
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        break body.to_owned();
                    }
                }
            };
            let _ = sender.send(body);
            let answer =
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, receiver)
}

/// A loopback port nothing listens on: connections are refused.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/hook")
}

fn status_event(arn: &str, status: &str) -> StatusEvent {
    serde_json::from_value(json!({
        "version": "0", "id": "e", "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states", "account": "123456789012", "time": "2026-11-23T01:02:03Z",
        "region": "us-east-1", "resources": [arn],
        "detail": {"executionArn": arn, "stateMachineArn": "sm", "name": "run-1",
                   "status": status, "startDate": 1_000, "stopDate": 726_000,
                   "input": "{\"survey\": \"H12604\"}", "output": null}
    }))
    .unwrap()
}

#[tokio::test]
async fn refusing_webhooks_are_reported_and_never_fail_the_function() {
    let world = World::new().await;
    let (accepting, mut received) = listener("200 OK").await;
    let (refusing, mut refused) = listener("500 Internal Server Error").await;
    let closed = closed_port().await;
    let secrets = world.moto.secrets_client();
    secrets
        .create_secret()
        .name("leadline/webhooks")
        .secret_string(json!({"webhooks": [refusing, closed, accepting]}).to_string())
        .send()
        .await
        .unwrap();

    let executions = world.machine("survey", FAILS).await;
    let run = executions.start("run-1", "{}").await.unwrap();
    common::finished(executions.as_ref(), run.arn()).await;

    let notifier = Notifier {
        webhooks: Arc::new(SecretsManagerWebhooks {
            client: secrets.clone(),
            secret_id: "leadline/webhooks".into(),
        }),
        poster: Arc::new(HttpPoster::new().unwrap()),
        executions: Some(executions.clone()),
        link: Some("https://leadline.example/runs/{id}".into()),
    };
    let report = notifier
        .handle(&status_event(run.arn(), "FAILED").detail)
        .await;
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(report.failed.len(), 2, "{report:?}");
    assert!(report.failed[0].reason.contains("500"), "{report:?}");
    for failure in &report.failed {
        assert!(!failure.webhook.contains("secret-path"), "{failure:?}");
    }
    assert_eq!(
        report.text,
        "Leadline: survey H12604, run run-1: FAILED after 12m 5s; failed at Broken: \
         Leadline.Test: failed on purpose <https://leadline.example/runs/run-1|details>"
    );
    let delivered: Value = serde_json::from_str(&received.recv().await.unwrap()).unwrap();
    assert_eq!(delivered["text"], report.text.as_str());
    assert_eq!(refused.recv().await.unwrap(), delivered.to_string());

    // No secret at all: still a report, not an error.
    let missing = Notifier {
        webhooks: Arc::new(SecretsManagerWebhooks {
            client: secrets,
            secret_id: "leadline/none".into(),
        }),
        poster: Arc::new(HttpPoster::new().unwrap()),
        executions: None,
        link: None,
    };
    let report = missing
        .handle(&status_event(run.arn(), "SUCCEEDED").detail)
        .await;
    assert_eq!(report.delivered, 0);
    assert!(
        report.failed[0].reason.contains("leadline/none"),
        "{report:?}"
    );
    assert!(report
        .text
        .starts_with("Leadline: survey H12604, run run-1: SUCCEEDED after 12m 5s <https://us-east-1.console.aws.amazon.com/"));
}
