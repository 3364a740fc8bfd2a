//! Task states: parameters, timeouts and heartbeats, the resolver call (and the token
//! wait for callbacks and activities), and the Task/Lambda/Activity history events.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future;
use futures::FutureExt;
use serde_json::Value;

use super::*;

impl Run<'_> {
    fn dynamic_seconds(
        &self,
        d: &Option<Dynamic>,
        data: &Value,
        vars: &Variables,
        info: &ContextInfo<'_>,
        field: &str,
    ) -> Result<Option<u64>, StatesError> {
        let Some(d) = d else { return Ok(None) };
        let v = self.dynamic(d, data, vars, info)?;
        match positive_seconds(&v) {
            Some(n) => Ok(Some(n)),
            _ => Err(Self::invalid(d, &v, "a positive integer", info, || {
                format!("The {field}Path parameter does not reference a valid integer value: {v}")
            })),
        }
    }

    pub(super) async fn task_attempt(
        &self,
        state: &State,
        task: &TaskState,
        raw: &Value,
        frame: &mut Frame,
        info: &ContextInfo<'_>,
    ) -> Result<(Value, BTreeMap<String, String>), StatesError> {
        let effective = self.with_env(raw, &frame.vars, info, |env| {
            self.read_path_field(&state.input_path, env, info)
        })?;
        let pattern = IntegrationPattern::of(&task.resource);
        let kind = ResourceKind::of(&task.resource);
        let (heartbeat, mut heartbeats) = heartbeat_channel();
        // Activities are callbacks too: their worker answers with the task token.
        let token = (pattern == IntegrationPattern::WaitForTaskToken
            || kind == ResourceKind::Activity)
            .then(|| self.engine.tokens.issue(heartbeat.clone()));
        let token_info = ContextInfo {
            state_name: info.state_name,
            entered_time: info.entered_time,
            retry_count: info.retry_count,
            task_token: token.as_ref().map(|(t, _)| t.as_str()),
            map_item: None,
            entered_event: info.entered_event,
        };
        let prepared = (|| {
            let arguments = state.jsonata.as_deref().and_then(|f| f.arguments.as_ref());
            let parameters = match (&state.parameters, arguments) {
                (Some(p), _) => self.template(p, &effective, &frame.vars, &token_info)?,
                (None, Some(a)) => {
                    self.with_states(raw, Outcome::None, &frame.vars, &token_info, |states| {
                        a.eval(states)
                    })?
                }
                (None, None) => effective.clone(),
            };
            self.check_size(&state.name, &parameters)?;
            let jsonata_credentials = state
                .jsonata
                .as_deref()
                .and_then(|f| f.credentials.as_ref());
            let credentials = match (&task.credentials, jsonata_credentials) {
                (Some(c), _) => Some(self.template(c, &effective, &frame.vars, &token_info)?),
                (None, Some(c)) => Some(self.with_states(
                    raw,
                    Outcome::None,
                    &frame.vars,
                    &token_info,
                    |states| c.eval(states),
                )?),
                (None, None) => None,
            };
            let timeout = self.dynamic_seconds(
                &task.timeout_seconds,
                &effective,
                &frame.vars,
                &token_info,
                "TimeoutSeconds",
            )?;
            let heartbeat_seconds = self.dynamic_seconds(
                &task.heartbeat_seconds,
                &effective,
                &frame.vars,
                &token_info,
                "HeartbeatSeconds",
            )?;
            Ok::<_, StatesError>((parameters, credentials, timeout, heartbeat_seconds))
        })();
        let (parameters, credentials, timeout, heartbeat_seconds) = match prepared {
            Ok(p) => p,
            Err(e) => {
                if let Some((t, _)) = &token {
                    self.engine.tokens.forget(t);
                }
                return Err(e);
            }
        };
        let (resource_type, resource_name) = match &kind {
            ResourceKind::Integration { service, action } => (service.clone(), action.clone()),
            _ => (String::new(), task.resource.clone()),
        };
        let region = self.engine.config.region.clone();
        let scheduled = self.event(
            frame.last_event,
            match kind {
                ResourceKind::LambdaFunction => EventType::LambdaFunctionScheduled,
                ResourceKind::Activity => EventType::ActivityScheduled,
                _ => EventType::TaskScheduled,
            },
            || {
                Some(match kind {
                    ResourceKind::LambdaFunction => {
                        EventDetails::LambdaFunctionScheduledEventDetails(LambdaScheduledDetails {
                            resource: task.resource.clone(),
                            input: parameters.to_string(),
                            input_details: PayloadDetails::default(),
                            timeout_in_seconds: timeout,
                        })
                    }
                    ResourceKind::Activity => {
                        EventDetails::ActivityScheduledEventDetails(ActivityScheduledDetails {
                            resource: task.resource.clone(),
                            input: parameters.to_string(),
                            input_details: PayloadDetails::default(),
                            timeout_in_seconds: timeout,
                            heartbeat_in_seconds: heartbeat_seconds,
                        })
                    }
                    _ => EventDetails::TaskScheduledEventDetails(TaskScheduledDetails {
                        resource_type: resource_type.clone(),
                        resource: resource_name.clone(),
                        region,
                        parameters: parameters.to_string(),
                        timeout_in_seconds: timeout,
                        heartbeat_in_seconds: heartbeat_seconds,
                    }),
                })
            },
        );
        frame.last_event = self.event(
            scheduled,
            match kind {
                ResourceKind::LambdaFunction => EventType::LambdaFunctionStarted,
                ResourceKind::Activity => EventType::ActivityStarted,
                _ => EventType::TaskStarted,
            },
            || match kind {
                ResourceKind::LambdaFunction => None,
                ResourceKind::Activity => Some(EventDetails::ActivityStartedEventDetails(
                    ActivityStartedDetails { worker_name: None },
                )),
                _ => Some(EventDetails::TaskStartedEventDetails(TaskStartedDetails {
                    resource_type: resource_type.clone(),
                    resource: resource_name.clone(),
                })),
            },
        );

        let call = TaskCall {
            resource: task.resource.clone(),
            pattern,
            input: parameters,
            state_name: state.name.clone(),
            retry_count: info.retry_count,
            task_token: token.as_ref().map(|(t, _)| t.clone()),
            credentials,
            execution_arn: self.info.arn.clone(),
            heartbeat: heartbeat.clone(),
        };
        let clock = &self.engine.clock;
        let mut deadline = match timeout {
            Some(s) => clock.sleep(Duration::from_secs(s)),
            None => future::pending().boxed(),
        };
        let beat_after = heartbeat_seconds.map(Duration::from_secs);
        let mut heartbeat_deadline = match beat_after {
            Some(d) => clock.sleep(d),
            None => future::pending().boxed(),
        };
        let mut invocation = self.engine.resolver.invoke(call);
        let (token, mut token_outcome) = match token {
            Some((t, rx)) => (Some(t), Some(rx)),
            None => (None, None),
        };
        let mut submitted = false;
        let outcome: Result<Value, StatesError> = loop {
            tokio::select! {
                biased;
                r = &mut invocation, if !submitted => match r {
                    Ok(Completion::Result(v)) => break Ok(v),
                    Ok(Completion::AwaitToken) if token_outcome.is_some() => submitted = true,
                    Ok(Completion::AwaitToken) => break Err(StatesError::runtime(format!(
                        "The resolver for '{}' awaits a task token, but the resource is neither an activity nor a .waitForTaskToken integration", task.resource))),
                    Err(f) => break Err(f.into()),
                },
                o = async { match token_outcome.as_mut() { Some(rx) => rx.await, None => future::pending().await } }, if submitted => match o {
                    Ok(TokenOutcome::Success(v)) => break Ok(v),
                    Ok(TokenOutcome::Failure(f)) => break Err(f.into()),
                    Err(_) => break Err(StatesError::runtime("The task token was dropped without an outcome")),
                },
                Some(()) = heartbeats.recv() => {
                    if let Some(d) = beat_after {
                        heartbeat_deadline = clock.sleep(d);
                    }
                },
                _ = &mut heartbeat_deadline => break Err(StatesError::new(names::HEARTBEAT_TIMEOUT, "")),
                _ = &mut deadline => break Err(StatesError::new(names::TIMEOUT, "")),
            }
        };
        if let Some(t) = &token {
            self.engine.tokens.forget(t);
        }
        drop(heartbeat);
        let result = match outcome {
            Ok(result) => result,
            Err(e) => {
                let timed_out = e.error == names::TIMEOUT || e.error == names::HEARTBEAT_TIMEOUT;
                let event_type = match (&kind, timed_out) {
                    (ResourceKind::LambdaFunction, false) => EventType::LambdaFunctionFailed,
                    (ResourceKind::LambdaFunction, true) => EventType::LambdaFunctionTimedOut,
                    (ResourceKind::Activity, false) => EventType::ActivityFailed,
                    (ResourceKind::Activity, true) => EventType::ActivityTimedOut,
                    (_, false) => EventType::TaskFailed,
                    (_, true) => EventType::TaskTimedOut,
                };
                frame.last_event = self.event(frame.last_event, event_type, || {
                    let plain = ErrorDetails {
                        error: Some(e.error.clone()),
                        cause: Some(e.cause.clone()),
                    };
                    let task_details = TaskErrorDetails {
                        resource_type: resource_type.clone(),
                        resource: resource_name.clone(),
                        error: Some(e.error.clone()),
                        cause: Some(e.cause.clone()),
                    };
                    Some(match event_type {
                        EventType::LambdaFunctionFailed => {
                            EventDetails::LambdaFunctionFailedEventDetails(plain)
                        }
                        EventType::LambdaFunctionTimedOut => {
                            EventDetails::LambdaFunctionTimedOutEventDetails(plain)
                        }
                        EventType::ActivityFailed => {
                            EventDetails::ActivityFailedEventDetails(plain)
                        }
                        EventType::ActivityTimedOut => {
                            EventDetails::ActivityTimedOutEventDetails(plain)
                        }
                        EventType::TaskTimedOut => {
                            EventDetails::TaskTimedOutEventDetails(task_details)
                        }
                        _ => EventDetails::TaskFailedEventDetails(task_details),
                    })
                });
                return Err(e);
            }
        };
        self.check_size(&state.name, &result)?;
        frame.last_event = self.event(
            frame.last_event,
            match kind {
                ResourceKind::LambdaFunction => EventType::LambdaFunctionSucceeded,
                ResourceKind::Activity => EventType::ActivitySucceeded,
                _ => EventType::TaskSucceeded,
            },
            || {
                let output = result.to_string();
                Some(match kind {
                    ResourceKind::LambdaFunction => {
                        EventDetails::LambdaFunctionSucceededEventDetails(OutputDetails {
                            output,
                            output_details: PayloadDetails::default(),
                        })
                    }
                    ResourceKind::Activity => {
                        EventDetails::ActivitySucceededEventDetails(OutputDetails {
                            output,
                            output_details: PayloadDetails::default(),
                        })
                    }
                    _ => EventDetails::TaskSucceededEventDetails(TaskResultDetails {
                        resource_type: resource_type.clone(),
                        resource: resource_name.clone(),
                        output,
                        output_details: PayloadDetails::default(),
                    }),
                })
            },
        );
        self.process_result(state, raw, result, frame, info)
    }
}
