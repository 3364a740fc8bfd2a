//! The trigger (DESIGN §2, step 2): an upload is complete when `<survey>/.done` appears; its
//! S3 event starts one execution of the survey machine.
//!
//! The execution name is the survey id and the CID of the upload's object list, so the same
//! upload always gets the same name and a duplicate event finds the execution already there.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::s3::S3Event;
use leadline_core::cids::cid_of_bytes;
use leadline_core::key::{Key, KeyError, Prefix};
use leadline_core::store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::buckets::Buckets;
use crate::executions::{Executions, ExecutionsError, Started};
use crate::parameters::{self, ParametersError};

/// The object whose arrival completes an upload.
pub const DONE: &str = ".done";
/// The survey's own settings, next to its data.
pub const SETTINGS: &str = "leadline.toml";
/// Step Functions' limit on execution names.
pub const MAX_NAME: usize = 80;
/// Characters of the object-list CID kept in a name: 130 bits, ample against collisions.
const CID_CHARS: usize = 26;

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("the event is neither an S3 notification nor an EventBridge S3 event: {0}")]
    Event(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}; no run was started")]
    Parameters(#[from] ParametersError),
    #[error("s3://{bucket}/{prefix} is not complete: {DONE} is missing")]
    Incomplete { bucket: String, prefix: String },
    #[error(transparent)]
    Executions(#[from] ExecutionsError),
    #[error("{} of {} uploads failed to start; first: {first}", .failed, .total)]
    Some {
        failed: usize,
        total: usize,
        first: Box<TriggerError>,
    },
}

/// What S3 puts in `detail` of an EventBridge "Object Created" event (the parts used here).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectCreated {
    pub bucket: NamedBucket,
    pub object: NamedObject,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedBucket {
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedObject {
    pub key: String,
}

/// The two ways S3 reports a new object.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TriggerEvent {
    Notification(S3Event),
    EventBridge(Box<EventBridgeEvent<ObjectCreated>>),
}

/// An object-created report: bucket and decoded key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub bucket: String,
    pub key: String,
}

impl TriggerEvent {
    pub fn parse(value: Value) -> Result<Self, TriggerError> {
        serde_json::from_value(value).map_err(|e| TriggerError::Event(e.to_string()))
    }

    /// The created objects the event reports; other events (deletions, …) report none.
    pub fn created(&self) -> Vec<Created> {
        match self {
            Self::Notification(event) => event
                .records
                .iter()
                .filter(|r| {
                    r.event_name
                        .as_deref()
                        .is_some_and(|n| n.starts_with("ObjectCreated:"))
                })
                .filter_map(|r| {
                    Some(Created {
                        bucket: r.s3.bucket.name.clone()?,
                        key: decode_notification_key(r.s3.object.key.as_deref()?),
                    })
                })
                .collect(),
            Self::EventBridge(event) if event.detail_type == "Object Created" => vec![Created {
                bucket: event.detail.bucket.name.clone(),
                key: event.detail.object.key.clone(),
            }],
            Self::EventBridge(_) => Vec::new(),
        }
    }
}

/// S3 notifications carry keys form-URL-encoded (`red flower.jpg` → `red+flower.jpg`).
pub fn decode_notification_key(key: &str) -> String {
    let plus_as_space = key.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

/// The upload a `.done` key completes, as (prefix, survey id); `None` for any other key.
pub fn completed_upload(key: &str) -> Option<Result<(Prefix, String), KeyError>> {
    let prefix = key.strip_suffix(DONE)?.strip_suffix('/')?;
    Some(Key::new(key).and_then(|_| {
        let survey = prefix.rsplit('/').next().unwrap_or(prefix).to_owned();
        Ok((Prefix::new(prefix)?, survey))
    }))
}

/// `<survey>-<last 26 characters of the object-list CID>`, at most 80 characters of
/// `[A-Za-z0-9_-]` (what Step Functions and CloudWatch both accept).
pub fn execution_name(survey: &str, list_cid: &str) -> String {
    let mut name: String = survey
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME - CID_CHARS - 1)
        .collect();
    let tail = &list_cid[list_cid.len().saturating_sub(CID_CHARS)..];
    name.push('-');
    name.push_str(tail);
    name
}

/// One run the trigger or the api started (or found started).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartedRun {
    pub survey: String,
    pub name: String,
    pub arn: String,
    /// False when an execution of this upload existed already.
    pub new: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TriggerReport {
    pub started: Vec<StartedRun>,
    /// Created objects that are not a `.done` (decoded keys).
    pub ignored: Vec<String>,
}

pub struct Trigger {
    pub buckets: Arc<dyn Buckets>,
    pub executions: Arc<dyn Executions>,
}

impl Trigger {
    pub async fn handle(&self, event: TriggerEvent) -> Result<TriggerReport, TriggerError> {
        let mut report = TriggerReport::default();
        let mut errors = Vec::new();
        let created = event.created();
        let total = created.len();
        for object in created {
            let (prefix, survey) = match completed_upload(&object.key) {
                None => {
                    report.ignored.push(object.key);
                    continue;
                }
                Some(Err(e)) => {
                    tracing::error!(key = %object.key, "refused: {e}");
                    errors.push(TriggerError::Key(e));
                    continue;
                }
                Some(Ok(upload)) => upload,
            };
            match self.start(&object.bucket, &prefix, &survey, None).await {
                Ok(run) => {
                    tracing::info!(survey = %run.survey, name = %run.name, new = run.new, "run");
                    report.started.push(run);
                }
                Err(e) => {
                    tracing::error!(bucket = %object.bucket, %prefix, "not started: {e}");
                    errors.push(e);
                }
            }
        }
        // Every upload was tried; a retry of the whole event is safe because names repeat.
        let failed = errors.len();
        match errors.into_iter().next() {
            None => Ok(report),
            Some(first) if failed == 1 && total == 1 => Err(first),
            Some(first) => Err(TriggerError::Some {
                failed,
                total,
                first: Box::new(first),
            }),
        }
    }

    /// Starts the run of the complete upload under `prefix`, named from its content unless
    /// `name` is given (the api's client-chosen ids).
    pub async fn start(
        &self,
        bucket: &str,
        prefix: &Prefix,
        survey: &str,
        name: Option<&str>,
    ) -> Result<StartedRun, TriggerError> {
        let store = self.buckets.bucket(bucket);
        let listing = store.list_all(prefix).await?;
        let done = Key::new(DONE)?.under(prefix)?;
        let settings = Key::new(SETTINGS)?.under(prefix)?;
        if !listing.objects.iter().any(|o| o.key == done) {
            return Err(TriggerError::Incomplete {
                bucket: bucket.to_owned(),
                prefix: prefix.to_string(),
            });
        }
        let mut lines = String::new();
        for object in listing.objects.iter().filter(|o| o.key != done) {
            let stamp = object.etag.clone().or(object.cid.map(|c| c.to_string()));
            lines.push_str(&format!(
                "{}\t{}\t{}\n",
                object.key,
                object.size,
                stamp.unwrap_or_default()
            ));
        }
        for rejected in &listing.rejected {
            lines.push_str(&format!("{:?}\trejected\n", rejected.key));
        }
        let list_cid = cid_of_bytes(lines.as_bytes()).to_string();

        let parameters = if listing.objects.iter().any(|o| o.key == settings) {
            let text = store.get_bytes(&settings).await?;
            let file = format!("s3://{bucket}/{settings}");
            let text = String::from_utf8(text).map_err(|_| ParametersError {
                file: file.clone(),
                problem: "not UTF-8 text".into(),
            })?;
            parameters::parse(&file, &text)?
        } else {
            Map::new()
        };

        let name = match name {
            Some(name) => name.to_owned(),
            None => execution_name(survey, &list_cid),
        };
        let input = json!({
            "survey": survey,
            "bucket": bucket,
            "prefix": prefix.as_str(),
            "parameters": parameters,
        });
        // Step Functions answers a repeated start of a running execution as if it were new;
        // asking first tells a duplicate apart (a race between two duplicates still starts
        // one execution: same name, same input).
        let started = match self
            .executions
            .describe(&self.executions.execution_arn(&name))
            .await
        {
            Ok(existing) => Started::Existing {
                arn: existing.summary.arn,
            },
            Err(ExecutionsError::NotFound(_)) => {
                self.executions.start(&name, &input.to_string()).await?
            }
            Err(e) => return Err(e.into()),
        };
        Ok(StartedRun {
            survey: survey.to_owned(),
            new: matches!(started, Started::New { .. }),
            arn: started.arn().to_owned(),
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_step_functions() {
        let cid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
        assert_eq!(
            execution_name("H12604", cid),
            format!("H12604-{}", &cid[cid.len() - 26..])
        );
        let long = "ü ".repeat(100);
        let name = execution_name(&long, cid);
        assert!(name.len() <= MAX_NAME);
        assert!(name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn only_done_keys_complete_an_upload() {
        assert_eq!(
            completed_upload("agency/H12604/.done").map(|r| r.unwrap()),
            Some((Prefix::new("agency/H12604").unwrap(), "H12604".to_owned()))
        );
        assert!(completed_upload("H12604/raw/a.all").is_none());
        assert!(completed_upload("H12604/x.done").is_none());
        assert!(completed_upload(".done").is_none());
        assert!(matches!(completed_upload("../H1/.done"), Some(Err(_))));
        assert!(matches!(completed_upload("a//.done"), Some(Err(_))));
    }

    #[test]
    fn notification_keys_are_form_decoded() {
        assert_eq!(
            decode_notification_key("red+flower%2B1.jpg"),
            "red flower+1.jpg"
        );
        assert_eq!(decode_notification_key("H%2F1/.done"), "H/1/.done");
    }
}
