//! Parallel and Map states: branches and iterations, concurrency, tolerated failures,
//! item batching and distributed Map's child executions.

use std::collections::BTreeMap;

use futures::future::{self, BoxFuture};
use futures::{FutureExt, StreamExt, TryStreamExt};
use serde_json::Value;

use super::*;

impl Run<'_> {
    pub(super) async fn parallel_attempt(
        &self,
        state: &State,
        branches: &[Graph],
        raw: &Value,
        frame: &mut Frame,
        info: &ContextInfo<'_>,
    ) -> Result<(Value, BTreeMap<String, String>), StatesError> {
        let effective = self.with_env(raw, &frame.vars, info, |env| {
            self.read_path_field(&state.input_path, env, info)
        })?;
        let arguments = state.jsonata.as_deref().and_then(|f| f.arguments.as_ref());
        let input = match (&state.parameters, arguments) {
            (Some(p), _) => self.template(p, &effective, &frame.vars, info)?,
            (None, Some(a)) => {
                self.with_states(raw, Outcome::None, &frame.vars, info, |s| a.eval(s))?
            }
            (None, None) => effective,
        };
        self.check_size(&state.name, &input)?;
        let started = self.event(frame.last_event, EventType::ParallelStateStarted, || None);
        let runs = branches.iter().map(|graph| {
            let child = frame.child(started);
            self.walk(graph, graph.start_at.clone(), input.clone(), child)
        });
        match future::try_join_all(runs).await {
            Ok(results) => {
                frame.last_event = self.event(started, EventType::ParallelStateSucceeded, || None);
                self.process_result(state, raw, Value::Array(results), frame, info)
            }
            Err(e) => {
                frame.last_event = self.event(started, EventType::ParallelStateFailed, || None);
                Err(e)
            }
        }
    }

    /// Groups item inputs into `{"Items": [...], "BatchInput": ...}` batches, each within
    /// MaxItemsPerBatch items and MaxInputBytesPerBatch bytes (whichever is set).
    fn batch(
        &self,
        state: &State,
        batcher: &ItemBatcher,
        inputs: Vec<Value>,
        effective: &Value,
        vars: &Variables,
        info: &ContextInfo<'_>,
    ) -> Result<Vec<Value>, StatesError> {
        let limit = |d: &Option<Dynamic>, field: &str| -> Result<Option<usize>, StatesError> {
            let Some(d) = d else { return Ok(None) };
            let v = self.dynamic(d, effective, vars, info)?;
            match v.as_u64() {
                Some(n) if n > 0 => Ok(Some(n as usize)),
                _ => Err(Self::invalid(d, &v, "a positive integer", info, || {
                    format!("The {field} value must be a positive integer: {v}")
                })),
            }
        };
        let max_items = limit(&batcher.max_items_per_batch, "MaxItemsPerBatch")?;
        let max_bytes = limit(&batcher.max_input_bytes_per_batch, "MaxInputBytesPerBatch")?
            .unwrap_or(self.engine.config.payload_limit);
        let jsonata_input = state
            .jsonata
            .as_deref()
            .and_then(|f| f.batch_input.as_ref());
        let batch_input = match (&batcher.batch_input, jsonata_input) {
            (Some(t), _) => Some(self.template(t, effective, vars, info)?),
            (None, Some(t)) => {
                Some(self.with_states(effective, Outcome::None, vars, info, |s| t.eval(s))?)
            }
            (None, None) => None,
        };
        let wrap = |items: Vec<Value>| {
            let mut batch = serde_json::Map::new();
            batch.insert("Items".into(), Value::Array(items));
            if let Some(b) = &batch_input {
                batch.insert("BatchInput".into(), b.clone());
            }
            Value::Object(batch)
        };
        let overhead = json_len(&wrap(Vec::new()));
        let mut batches = Vec::new();
        let mut current: Vec<Value> = Vec::new();
        let mut bytes = overhead;
        for item in inputs {
            let size = json_len(&item) + 1;
            let full = max_items.is_some_and(|m| current.len() >= m);
            if !current.is_empty() && (full || bytes + size > max_bytes) {
                batches.push(wrap(std::mem::take(&mut current)));
                bytes = overhead;
            }
            if overhead + size > max_bytes {
                return Err(StatesError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!(
                        "An item of the Map state '{}' is larger than MaxInputBytesPerBatch",
                        state.name
                    ),
                ));
            }
            bytes += size;
            current.push(item);
        }
        if !current.is_empty() {
            batches.push(wrap(current));
        }
        Ok(batches)
    }

    pub(super) async fn map_attempt(
        &self,
        state: &State,
        map: &MapState,
        raw: &Value,
        frame: &mut Frame,
        info: &ContextInfo<'_>,
    ) -> Result<(Value, BTreeMap<String, String>), StatesError> {
        if let Some(field) = [
            ("ItemReader", &map.item_reader),
            ("ResultWriter", &map.result_writer),
        ]
        .iter()
        .find_map(|(name, v)| v.as_ref().map(|_| *name))
        {
            return Err(runtime_in_state(
                &state.name,
                info.entered_event,
                format!("The local engine does not run Map {field}s yet; only in-state items"),
            ));
        }
        let effective = self.with_env(raw, &frame.vars, info, |env| {
            self.read_path_field(&state.input_path, env, info)
        })?;
        let jsonata = state.jsonata.as_deref();
        let items = match jsonata {
            Some(fields) => {
                let items = match &fields.items {
                    Some(t) => {
                        self.with_states(raw, Outcome::None, &frame.vars, info, |s| t.eval(s))?
                    }
                    None => raw.clone(),
                };
                match items {
                    Value::Array(items) => items,
                    other => {
                        let cause = match fields.items.as_ref().and_then(|t| t.query()) {
                            Some(q) => q.error(format!(
                                "must evaluate to a JSON array, but returned {other}."
                            )),
                            None => StatesError::query_evaluation(
                                format!(
                                    "The Map state's Items must be a JSON array. Found: {other}"
                                ),
                                // No Items field to name: the state input itself is not a list.
                                None,
                            ),
                        };
                        return Err(in_state(cause, info));
                    }
                }
            }
            None => self.items_at_path(state, map, &effective, frame, info)?,
        };
        let read_number = |d: &Option<Dynamic>, field: &str| -> Result<Option<f64>, StatesError> {
            let Some(d) = d else { return Ok(None) };
            let v = self.dynamic(d, &effective, &frame.vars, info)?;
            v.as_f64().filter(|n| *n >= 0.0).map(Some).ok_or_else(|| {
                Self::invalid(d, &v, "a non-negative number", info, || {
                    format!("The {field}Path field does not reference a valid number: {v}")
                })
            })
        };
        let max_concurrency =
            read_number(&map.max_concurrency, "MaxConcurrency")?.unwrap_or(0.0) as usize;
        let tolerated_pct = read_number(
            &map.tolerated_failure_percentage,
            "ToleratedFailurePercentage",
        )?;
        let tolerated_count = read_number(&map.tolerated_failure_count, "ToleratedFailureCount")?;
        if tolerated_pct.is_some_and(|p| p > 100.0) {
            return Err(runtime_in_state(
                &state.name,
                info.entered_event,
                "ToleratedFailurePercentage must be between 0 and 100",
            ));
        }

        // Each iteration's input is computed up front: ItemSelector sees `$$.Map.Item`.
        let jsonata_selector = jsonata.and_then(|f| f.item_selector.as_ref());
        let mut inputs: Vec<Value> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_info = ContextInfo {
                state_name: info.state_name,
                entered_time: info.entered_time,
                retry_count: info.retry_count,
                task_token: None,
                map_item: Some((index, item)),
                entered_event: info.entered_event,
            };
            let item_input = match (&map.item_selector, jsonata_selector) {
                (Some(selector), _) => {
                    self.template(selector, &effective, &frame.vars, &item_info)?
                }
                (None, Some(selector)) => {
                    self.with_states(raw, Outcome::None, &frame.vars, &item_info, |s| {
                        selector.eval(s)
                    })?
                }
                (None, None) => item.clone(),
            };
            inputs.push(item_input);
        }
        if let Some(batcher) = &map.item_batcher {
            inputs = self.batch(state, batcher, inputs, &effective, &frame.vars, info)?;
        }
        let length = inputs.len();
        let distributed = matches!(map.mode, MapMode::Distributed { .. });
        let map_run_arn = format!(
            "arn:aws:states:{}:{}:mapRun:{}/{}:{}",
            self.engine.config.region,
            self.engine.config.account,
            self.info.machine_name,
            map.label.as_deref().unwrap_or(&state.name),
            uuid::Uuid::new_v4()
        );
        let started = if distributed {
            self.event(frame.last_event, EventType::MapRunStarted, || {
                Some(EventDetails::MapRunStartedEventDetails(
                    MapRunStartedDetails {
                        map_run_arn: map_run_arn.clone(),
                    },
                ))
            })
        } else {
            self.event(frame.last_event, EventType::MapStateStarted, || {
                Some(EventDetails::MapStateStartedEventDetails(
                    MapStateStartedDetails { length },
                ))
            })
        };
        // The guide: an inline Map runs up to 40 iterations at once ("0" means that many);
        // a distributed one up to 10,000 child executions.
        let service_limit = if distributed { 10_000 } else { 40 };
        let limit = if max_concurrency == 0 {
            service_limit
        } else {
            max_concurrency.min(service_limit)
        };
        let name = &state.name;
        let vars = &frame.vars;
        let iterations = futures::stream::iter(inputs.into_iter().enumerate()).map(
            |(index, input)| -> BoxFuture<'_, Result<Value, StatesError>> {
                if distributed {
                    // Each item is a child execution with its own (unrecorded) history.
                    let info = ExecutionInfo {
                        arn: format!("{}:{index}", map_run_arn.replace(":mapRun:", ":execution:")),
                        name: format!("{index}"),
                        input: input.clone(),
                        start_time: timestamp::format_millis(self.engine.clock.now_millis()),
                        role_arn: self.info.role_arn.clone(),
                        redrive_count: 0,
                        machine_arn: self.info.machine_arn.clone(),
                        machine_name: self.info.machine_name.clone(),
                    };
                    // A distributed Map's child executions see no outer variables.
                    let frame = Frame {
                        vars: Variables::default(),
                        last_event: 0,
                    };
                    return async move {
                        let child = Run {
                            engine: self.engine,
                            info,
                            history: Mutex::new(Vec::new()),
                            next_id: AtomicU64::new(0),
                            recording: false,
                        };
                        child
                            .walk(&map.processor, map.processor.start_at.clone(), input, frame)
                            .await
                    }
                    .boxed();
                }
                let iteration = self.event(started, EventType::MapIterationStarted, || {
                    Some(EventDetails::MapIterationStartedEventDetails(
                        MapIterationDetails {
                            name: name.clone(),
                            index,
                        },
                    ))
                });
                let child = Frame {
                    vars: vars.child(),
                    last_event: iteration,
                };
                self.walk(&map.processor, map.processor.start_at.clone(), input, child)
                    .map(move |r| {
                        let (event_type, ok) = match &r {
                            Ok(_) => (EventType::MapIterationSucceeded, true),
                            Err(_) => (EventType::MapIterationFailed, false),
                        };
                        self.event(iteration, event_type, || {
                            let details = MapIterationDetails {
                                name: name.clone(),
                                index,
                            };
                            Some(if ok {
                                EventDetails::MapIterationSucceededEventDetails(details)
                            } else {
                                EventDetails::MapIterationFailedEventDetails(details)
                            })
                        });
                        r
                    })
                    .boxed()
            },
        );
        let buffered = iterations.buffered(limit);
        let results: Result<Vec<Value>, StatesError> = match map.mode {
            MapMode::Inline => buffered.try_collect().await,
            MapMode::Distributed { .. } => {
                let all: Vec<Result<Value, StatesError>> = buffered.collect().await;
                let failed = all.iter().filter(|r| r.is_err()).count();
                let exceeded = if failed == 0 {
                    false
                } else {
                    let over_count = tolerated_count.is_none_or(|c| failed as f64 > c);
                    let over_pct =
                        tolerated_pct.is_none_or(|p| (failed as f64) * 100.0 / (length as f64) > p);
                    // Either threshold, when set, is enough to tolerate the failures.
                    match (tolerated_count, tolerated_pct) {
                        (None, None) => true,
                        (Some(_), None) => over_count,
                        (None, Some(_)) => over_pct,
                        (Some(_), Some(_)) => over_count && over_pct,
                    }
                };
                if exceeded {
                    Err(StatesError::new(
                        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                        "The specified tolerated failure threshold was exceeded",
                    ))
                } else {
                    Ok(all
                        .into_iter()
                        .map(|r| r.unwrap_or_else(|e| e.to_error_output()))
                        .collect())
                }
            }
        };
        match results {
            Ok(outputs) => {
                let done = if distributed {
                    EventType::MapRunSucceeded
                } else {
                    EventType::MapStateSucceeded
                };
                frame.last_event = self.event(started, done, || None);
                self.process_result(state, raw, Value::Array(outputs), frame, info)
            }
            Err(e) => {
                frame.last_event = if distributed {
                    self.event(started, EventType::MapRunFailed, || {
                        Some(EventDetails::MapRunFailedEventDetails(ErrorDetails {
                            error: Some(e.error.clone()),
                            cause: Some(e.cause.clone()),
                        }))
                    })
                } else {
                    self.event(started, EventType::MapStateFailed, || None)
                };
                Err(e)
            }
        }
    }

    /// A JSONPath Map's items: the array `ItemsPath` selects from the effective input.
    fn items_at_path(
        &self,
        state: &State,
        map: &MapState,
        effective: &Value,
        frame: &Frame,
        info: &ContextInfo<'_>,
    ) -> Result<Vec<Value>, StatesError> {
        let items = self
            .with_env(effective, &frame.vars, info, |env| {
                env.read(&map.items_path)
            })
            .map_err(|e| {
                runtime_in_state(
                    &state.name,
                    info.entered_event,
                    format!("Invalid path '{}' : {e}", map.items_path),
                )
            })?;
        match items {
            Value::Array(items) => Ok(items),
            other => Err(runtime_in_state(
                &state.name,
                info.entered_event,
                format!(
                    "Item path {} must point to a JSON array. Found: {other}",
                    map.items_path
                ),
            )),
        }
    }
}
