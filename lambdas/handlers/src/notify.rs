//! Notify (DESIGN §2, step 4): an execution's status change → a Slack-compatible message
//! (`{"text": …}`) POSTed to every webhook listed in a Secrets Manager secret.
//!
//! Notifications never fail the function: a secret that cannot be read, a history that cannot
//! be fetched or a webhook that refuses is logged with its reason and reported, and the run is
//! untouched. Webhook URLs are credentials (Slack's are), so logs name only their host.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::steps;
use crate::executions::Executions;

/// A webhook that has not answered by then is reported as failed.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// `detail` of "Step Functions Execution Status Change".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub execution_arn: String,
    #[serde(default)]
    pub state_machine_arn: String,
    #[serde(default)]
    pub name: String,
    pub status: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub start_date: Option<i64>,
    #[serde(default)]
    pub stop_date: Option<i64>,
    /// The execution input, as JSON text.
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
}

pub type StatusEvent = EventBridgeEvent<StatusChange>;

#[async_trait]
pub trait Webhooks: Send + Sync {
    async fn urls(&self) -> Result<Vec<String>, String>;
}

#[async_trait]
pub trait Poster: Send + Sync {
    /// POSTs JSON; `Err` carries why the webhook did not accept it.
    async fn post(&self, url: &str, body: String) -> Result<(), String>;
}

/// Webhook URLs from a secret: a JSON list, `{"webhooks": [...]}`, or one URL per line.
pub fn parse_webhooks(secret: &str) -> Vec<String> {
    let from_json = match serde_json::from_str::<Value>(secret) {
        Ok(Value::Array(items)) => Some(items),
        Ok(Value::Object(map)) => map.get("webhooks").and_then(Value::as_array).cloned(),
        _ => None,
    };
    match from_json {
        Some(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        None => secret
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect(),
    }
}

pub struct SecretsManagerWebhooks {
    pub client: aws_sdk_secretsmanager::Client,
    pub secret_id: String,
}

#[async_trait]
impl Webhooks for SecretsManagerWebhooks {
    async fn urls(&self) -> Result<Vec<String>, String> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "secret {}: {}",
                    self.secret_id,
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                )
            })?;
        let text = output
            .secret_string()
            .ok_or_else(|| format!("secret {} has no string value", self.secret_id))?;
        Ok(parse_webhooks(text))
    }
}

/// HTTP(S) POSTs with hyper (already in the tree through the AWS SDK) and rustls.
pub struct HttpPoster {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpPoster {
    pub fn new() -> Result<Self, String> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| format!("no TLS root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        Ok(Self { client })
    }
}

#[async_trait]
impl Poster for HttpPoster {
    async fn post(&self, url: &str, body: String) -> Result<(), String> {
        let request = hyper::Request::post(url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("not a usable URL: {e}"))?;
        let response = tokio::time::timeout(POST_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| format!("no answer within {POST_TIMEOUT:?}"))?
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    }
}

/// Scheme and host of a URL, safe to log.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    format!("{scheme}://{host}/…")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Redacted.
    pub webhook: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotifyReport {
    pub text: String,
    pub delivered: usize,
    pub failed: Vec<Failure>,
}

pub struct Notifier {
    pub webhooks: Arc<dyn Webhooks>,
    pub poster: Arc<dyn Poster>,
    /// To find the failing step; `None` leaves it out.
    pub executions: Option<Arc<dyn Executions>>,
    /// A link to the run: `{arn}` and `{id}` are replaced; `None` links the AWS console.
    pub link: Option<String>,
}

fn duration(start: Option<i64>, stop: Option<i64>) -> Option<String> {
    let seconds = (stop? - start?).max(0) / 1000;
    Some(match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {}s", s / 60, s % 60),
        s => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    })
}

impl Notifier {
    fn link(&self, change: &StatusChange) -> String {
        match &self.link {
            Some(template) => template
                .replace("{arn}", &change.execution_arn)
                .replace("{id}", &change.name),
            None => {
                let region = change
                    .execution_arn
                    .split(':')
                    .nth(3)
                    .unwrap_or("us-east-1");
                format!(
                    "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{}",
                    change.execution_arn
                )
            }
        }
    }

    /// The message for people.
    pub async fn text(&self, change: &StatusChange) -> String {
        let survey = change
            .input
            .as_deref()
            .and_then(|i| serde_json::from_str::<Value>(i).ok())
            .and_then(|i| i.get("survey")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| "(unknown survey)".into());
        let mut text = format!(
            "Leadline: survey {survey}, run {}: {}",
            change.name, change.status
        );
        if let Some(took) = duration(change.start_date, change.stop_date) {
            text.push_str(&format!(" after {took}"));
        }
        if change.status != "SUCCEEDED" && change.status != "RUNNING" {
            let failed_step = match &self.executions {
                Some(executions) => match executions.history(&change.execution_arn).await {
                    Ok(history) => steps(&history).into_iter().rfind(|s| s.status == "failed"),
                    Err(e) => {
                        tracing::warn!("no failing step: the history is unavailable: {e}");
                        None
                    }
                },
                None => None,
            };
            if let Some(step) = &failed_step {
                text.push_str(&format!("; failed at {}", step.name));
            }
            let error = change
                .error
                .clone()
                .or(failed_step.as_ref().and_then(|s| s.error.clone()));
            let cause = change
                .cause
                .clone()
                .or(failed_step.as_ref().and_then(|s| s.cause.clone()));
            match (error, cause) {
                (Some(e), Some(c)) => text.push_str(&format!(": {e}: {c}")),
                (Some(e), None) | (None, Some(e)) => text.push_str(&format!(": {e}")),
                (None, None) => {}
            }
        }
        text.push_str(&format!(" <{}|details>", self.link(change)));
        text
    }

    /// Never fails: every problem is in the report and the log.
    pub async fn handle(&self, change: &StatusChange) -> NotifyReport {
        let text = self.text(change).await;
        let mut report = NotifyReport {
            text: text.clone(),
            ..NotifyReport::default()
        };
        let urls = match self.webhooks.urls().await {
            Ok(urls) => urls,
            Err(reason) => {
                tracing::error!("notification not sent: {reason}");
                report.failed.push(Failure {
                    webhook: "(secret)".into(),
                    reason,
                });
                return report;
            }
        };
        let body = json!({ "text": text }).to_string();
        for url in urls {
            match self.poster.post(&url, body.clone()).await {
                Ok(()) => report.delivered += 1,
                Err(reason) => {
                    let webhook = redact(&url);
                    tracing::error!(%webhook, "webhook failed: {reason}");
                    report.failed.push(Failure { webhook, reason });
                }
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_list_webhooks_in_three_shapes() {
        assert_eq!(parse_webhooks(r#"["https://a/1"]"#), ["https://a/1"]);
        assert_eq!(
            parse_webhooks(r#"{"webhooks": ["https://a/1", "https://b/2"]}"#),
            ["https://a/1", "https://b/2"]
        );
        assert_eq!(
            parse_webhooks("# team\nhttps://a/1\n\n https://b/2 \n"),
            ["https://a/1", "https://b/2"]
        );
    }

    #[test]
    fn logs_never_show_the_secret_path() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(redact("http://user:pw@host:8080/x?y"), "http://host:8080/…");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Some(0), Some(59_000)).as_deref(), Some("59s"));
        assert_eq!(duration(Some(0), Some(725_000)).as_deref(), Some("12m 5s"));
        assert_eq!(duration(Some(0), Some(7_380_000)).as_deref(), Some("2h 3m"));
        assert_eq!(duration(Some(0), None), None);
    }
}
