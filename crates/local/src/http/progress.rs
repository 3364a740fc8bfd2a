//! Each state's progress in one execution, as the web page colours its graph: running,
//! succeeded, failed, skipped (the state that recorded a branch as skipped by the plan, never a
//! failure) or cached (every job it ran was a memoized result, `"cached": true`).
//!
//! Events are attributed to the state *run* they belong to by following `previousEventId` back
//! to a `…StateEntered` event. Parallel branches and Map iterations interleave their events in
//! the history, so "the state entered last" would blame the wrong state; the chain does not.

use std::collections::{BTreeMap, HashMap};

use leadline_asl::history::{EventDetails, EventType, HistoryEvent};
use leadline_lambdas::parameters::BRANCHES;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Running,
    Succeeded,
    Failed,
    Skipped,
    Cached,
}

/// One state's progress; states never entered have none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateProgress {
    pub status: StepStatus,
    /// How often the state was entered (Map items, loops, redrives).
    pub entered: u32,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// Why the branch this state recorded as skipped was skipped.
    pub reason: Option<String>,
    /// The results of the tasks the state ran (job results carry outputs, CIDs, `cached`).
    pub results: Vec<Value>,
    /// The state's last output.
    pub output: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Running,
    Succeeded,
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// One entry into a state, up to its exit.
#[derive(Debug)]
struct StateRun {
    state: String,
    /// Redrives counted so far: a redrive's runs supersede the failed ones before it.
    epoch: u32,
    outcome: Outcome,
    input: Option<Value>,
    output: Option<Value>,
    results: Vec<Value>,
    skipped: Option<String>,
}

fn json_text(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

fn entered_name(event: &HistoryEvent) -> Option<&str> {
    match &event.details {
        Some(EventDetails::StateEnteredEventDetails(d)) => Some(&d.name),
        _ => None,
    }
}

/// A job result's `cached` flag, also inside a Lambda's `Payload`.
fn cached(result: &Value) -> bool {
    let flag = |v: &Value| v.get("cached").and_then(Value::as_bool);
    flag(result)
        .or_else(|| result.get("Payload").and_then(flag))
        .unwrap_or(false)
}

fn failure(event: &HistoryEvent) -> Option<Outcome> {
    let (error, cause) = match &event.details {
        Some(
            EventDetails::TaskFailedEventDetails(d) | EventDetails::TaskTimedOutEventDetails(d),
        ) => (d.error.clone(), d.cause.clone()),
        Some(
            EventDetails::LambdaFunctionFailedEventDetails(d)
            | EventDetails::LambdaFunctionTimedOutEventDetails(d)
            | EventDetails::ActivityFailedEventDetails(d)
            | EventDetails::ActivityTimedOutEventDetails(d)
            | EventDetails::MapRunFailedEventDetails(d),
        ) => (d.error.clone(), d.cause.clone()),
        // A failing JSONata expression (Output, Arguments, Assign, Condition, ...) fails the
        // state it names, like a failed task, whether or not a Catch then handles it.
        Some(EventDetails::EvaluationFailedEventDetails(d)) => (d.error.clone(), d.cause.clone()),
        _ => match event.event_type {
            EventType::TaskStartFailed
            | EventType::TaskSubmitFailed
            | EventType::LambdaFunctionScheduleFailed
            | EventType::LambdaFunctionStartFailed
            | EventType::ActivityScheduleFailed
            | EventType::ParallelStateFailed
            | EventType::MapStateFailed
            | EventType::FailStateEntered => (None, None),
            _ => return None,
        },
    };
    Some(Outcome::Failed { error, cause })
}

fn execution_end(event: &HistoryEvent) -> Option<Outcome> {
    let details = match &event.details {
        Some(
            EventDetails::ExecutionFailedEventDetails(d)
            | EventDetails::ExecutionAbortedEventDetails(d)
            | EventDetails::ExecutionTimedOutEventDetails(d),
        ) => Some(d),
        _ => None,
    };
    matches!(
        event.event_type,
        EventType::ExecutionFailed | EventType::ExecutionAborted | EventType::ExecutionTimedOut
    )
    .then(|| Outcome::Failed {
        error: details.and_then(|d| d.error.clone()),
        cause: details.and_then(|d| d.cause.clone()),
    })
}

/// The branches (`processor`, `products`) an output records as skipped that its input did not.
fn newly_skipped(input: Option<&Value>, output: &Value) -> Option<String> {
    BRANCHES.iter().find_map(|branch| {
        let outcome = output.get(branch)?;
        let before = input.and_then(|i| i.get(branch));
        (outcome.get("status")? == "skipped" && before != Some(outcome)).then(|| {
            outcome
                .get("reason")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{branch} skipped"), str::to_owned)
        })
    })
}

struct Attribution<'a> {
    by_id: HashMap<u64, &'a HistoryEvent>,
}

impl Attribution<'_> {
    /// The `…StateEntered` event that opened the run `event` belongs to: the first one up
    /// the `previousEventId` chain that `fits`.
    fn run_of(&self, event: &HistoryEvent, fits: impl Fn(&HistoryEvent) -> bool) -> Option<u64> {
        let mut current = self.by_id.get(&event.previous_event_id)?;
        // Each step goes to a smaller id, so the walk ends; the bound guards corrupt histories.
        for _ in 0..self.by_id.len() {
            if entered_name(current).is_some() && fits(current) {
                return Some(current.id);
            }
            if current.previous_event_id >= current.id {
                return None;
            }
            current = self.by_id.get(&current.previous_event_id)?;
        }
        None
    }
}

/// Every entered state's progress, by state name.
pub fn progress(history: &[HistoryEvent]) -> BTreeMap<String, StateProgress> {
    let attribution = Attribution {
        by_id: history.iter().map(|e| (e.id, e)).collect(),
    };
    let mut runs: BTreeMap<u64, StateRun> = BTreeMap::new();
    let mut epoch = 0;
    for event in history {
        if let Some(name) = entered_name(event) {
            runs.insert(
                event.id,
                StateRun {
                    state: name.to_owned(),
                    epoch,
                    outcome: Outcome::Running,
                    input: match &event.details {
                        Some(EventDetails::StateEnteredEventDetails(d)) => json_text(&d.input),
                        _ => None,
                    },
                    output: None,
                    results: Vec::new(),
                    skipped: None,
                },
            );
            if event.event_type == EventType::FailStateEntered {
                if let Some(run) = runs.get_mut(&event.id) {
                    run.outcome = Outcome::Failed {
                        error: None,
                        cause: None,
                    };
                }
            }
            continue;
        }
        if event.event_type == EventType::ExecutionRedriven {
            epoch += 1;
            continue;
        }
        if let Some(end) = execution_end(event) {
            for run in runs.values_mut() {
                match (&run.outcome, &end) {
                    (Outcome::Running, _) => run.outcome = end.clone(),
                    // A Fail state learns its error from the execution's.
                    (Outcome::Failed { error: None, .. }, Outcome::Failed { .. })
                        if run.epoch == epoch =>
                    {
                        run.outcome = end.clone()
                    }
                    _ => {}
                }
            }
            continue;
        }
        if let Some(EventDetails::StateExitedEventDetails(exited)) = &event.details {
            let Some(at) = attribution.run_of(event, |e| entered_name(e) == Some(&exited.name))
            else {
                continue;
            };
            if let Some(run) = runs.get_mut(&at) {
                let output = json_text(&exited.output);
                run.skipped = output
                    .as_ref()
                    .and_then(|o| newly_skipped(run.input.as_ref(), o));
                run.output = output;
                // A caught failure stays a failure of this state.
                if run.outcome == Outcome::Running {
                    run.outcome = Outcome::Succeeded;
                }
            }
            continue;
        }
        let state_level = matches!(
            event.event_type,
            EventType::ParallelStateFailed | EventType::MapStateFailed
        );
        let Some(at) = attribution.run_of(event, |e| {
            !state_level
                || matches!(
                    e.event_type,
                    EventType::ParallelStateEntered | EventType::MapStateEntered
                )
        }) else {
            continue;
        };
        let Some(run) = runs.get_mut(&at) else {
            continue;
        };
        if let Some(failed) = failure(event) {
            run.outcome = failed;
            continue;
        }
        match &event.details {
            Some(EventDetails::TaskSucceededEventDetails(t)) => {
                run.results.extend(json_text(&t.output));
            }
            Some(
                EventDetails::LambdaFunctionSucceededEventDetails(o)
                | EventDetails::ActivitySucceededEventDetails(o),
            ) => run.results.extend(json_text(&o.output)),
            // A retry after a failure runs again.
            _ if matches!(
                event.event_type,
                EventType::TaskScheduled
                    | EventType::LambdaFunctionScheduled
                    | EventType::ActivityScheduled
            ) =>
            {
                run.outcome = Outcome::Running
            }
            _ => {}
        }
    }
    summarize(runs.into_values())
}

fn summarize(runs: impl Iterator<Item = StateRun>) -> BTreeMap<String, StateProgress> {
    let mut by_state: BTreeMap<String, Vec<StateRun>> = BTreeMap::new();
    for run in runs {
        by_state.entry(run.state.clone()).or_default().push(run);
    }
    by_state
        .into_iter()
        .map(|(name, runs)| {
            let entered = runs.len() as u32;
            // Runs of the latest redrive that entered the state decide its status.
            let latest = runs.iter().map(|r| r.epoch).max().unwrap_or(0);
            let current: Vec<&StateRun> = runs.iter().filter(|r| r.epoch == latest).collect();
            let failed = current.iter().rev().find_map(|r| match &r.outcome {
                Outcome::Failed { error, cause } => Some((error.clone(), cause.clone())),
                _ => None,
            });
            let skipped = current.iter().rev().find_map(|r| r.skipped.clone());
            let results: Vec<Value> = runs.iter().flat_map(|r| r.results.clone()).collect();
            let current_results: Vec<&Value> =
                current.iter().flat_map(|r| r.results.iter()).collect();
            let status = if current.iter().any(|r| r.outcome == Outcome::Running) {
                StepStatus::Running
            } else if failed.is_some() {
                StepStatus::Failed
            } else if skipped.is_some() {
                StepStatus::Skipped
            } else if !current_results.is_empty() && current_results.iter().all(|r| cached(r)) {
                StepStatus::Cached
            } else {
                StepStatus::Succeeded
            };
            let (error, cause) = failed.unwrap_or((None, None));
            let output = runs.iter().rev().find_map(|r| r.output.clone());
            (
                name,
                StateProgress {
                    status,
                    entered,
                    error,
                    cause,
                    reason: skipped,
                    results,
                    output,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use leadline_asl::history::{
        ErrorDetails, EvaluationFailedDetails, PayloadDetails, StateEnteredDetails,
        StateExitedDetails, TaskErrorDetails, TaskResultDetails,
    };
    use serde_json::json;

    use super::*;

    /// Builds histories with explicit `previousEventId` links, as the engine records them.
    #[derive(Default)]
    struct History(Vec<HistoryEvent>);

    impl History {
        fn push(
            &mut self,
            previous: u64,
            event_type: EventType,
            details: Option<EventDetails>,
        ) -> u64 {
            let id = self.0.len() as u64 + 1;
            self.0.push(HistoryEvent {
                timestamp: id as f64,
                event_type,
                id,
                previous_event_id: previous,
                details,
            });
            id
        }

        fn enter(&mut self, previous: u64, kind: &str, name: &str, input: Value) -> u64 {
            self.push(
                previous,
                EventType::entered(kind),
                Some(EventDetails::StateEnteredEventDetails(
                    StateEnteredDetails {
                        name: name.into(),
                        input: input.to_string(),
                        input_details: PayloadDetails::default(),
                    },
                )),
            )
        }

        fn exit(&mut self, previous: u64, kind: &str, name: &str, output: Value) -> u64 {
            self.push(
                previous,
                EventType::exited(kind).unwrap_or(EventType::PassStateExited),
                Some(EventDetails::StateExitedEventDetails(StateExitedDetails {
                    name: name.into(),
                    output: output.to_string(),
                    output_details: PayloadDetails::default(),
                    assigned_variables: BTreeMap::new(),
                })),
            )
        }

        fn task(&mut self, previous: u64, result: Result<Value, &str>) -> u64 {
            let scheduled = self.push(previous, EventType::TaskScheduled, None);
            match result {
                Ok(output) => self.push(
                    scheduled,
                    EventType::TaskSucceeded,
                    Some(EventDetails::TaskSucceededEventDetails(TaskResultDetails {
                        resource_type: "ecs".into(),
                        resource: "runTask.sync".into(),
                        output: output.to_string(),
                        output_details: PayloadDetails::default(),
                    })),
                ),
                Err(error) => self.push(
                    scheduled,
                    EventType::TaskFailed,
                    Some(EventDetails::TaskFailedEventDetails(TaskErrorDetails {
                        resource_type: "ecs".into(),
                        resource: "runTask.sync".into(),
                        error: Some(error.into()),
                        cause: Some("exit 2".into()),
                    })),
                ),
            }
        }
    }

    fn statuses(progress: &BTreeMap<String, StateProgress>) -> Vec<(&str, StepStatus, u32)> {
        progress
            .iter()
            .map(|(name, p)| (name.as_str(), p.status, p.entered))
            .collect()
    }

    /// Two Parallel branches interleave: QC (cached) and COG (fails after a retry); the plan
    /// skipped the processor. Each outcome lands on its own state.
    #[test]
    fn interleaved_branches_skips_and_cache_hits_land_on_their_states() {
        let mut h = History::default();
        let start = h.push(0, EventType::ExecutionStarted, None);
        let skip_in = h.enter(start, "Pass", "ProcessorSkipped", json!({"survey": "S"}));
        let skip_out = h.exit(
            skip_in,
            "Pass",
            "ProcessorSkipped",
            json!({"survey": "S", "processor": {"status": "skipped", "reason": "no raw sonar"}}),
        );
        let par = h.enter(skip_out, "Parallel", "Grid", json!({}));
        let started = h.push(par, EventType::ParallelStateStarted, None);
        let qc = h.enter(started, "Task", "QC", json!({}));
        let cog = h.enter(started, "Task", "COG", json!({}));
        let cog_failed = h.task(cog, Err("Job.ExitCode.2"));
        let qc_done = h.task(
            qc,
            Ok(json!({"cached": true, "outputs": {"qc.json": {"cid": "bafkreia", "size": 3}}})),
        );
        h.exit(qc_done, "Task", "QC", json!({}));
        let cog_retry = h.task(cog_failed, Err("Job.ExitCode.2"));
        let par_failed = h.push(started, EventType::ParallelStateFailed, None);
        h.push(
            par_failed.max(cog_retry),
            EventType::ExecutionFailed,
            Some(EventDetails::ExecutionFailedEventDetails(ErrorDetails {
                error: Some("Job.ExitCode.2".into()),
                cause: Some("exit 2".into()),
            })),
        );
        let progress = progress(&h.0);
        assert_eq!(
            statuses(&progress),
            [
                ("COG", StepStatus::Failed, 1),
                ("Grid", StepStatus::Failed, 1),
                ("ProcessorSkipped", StepStatus::Skipped, 1),
                ("QC", StepStatus::Cached, 1),
            ]
        );
        assert_eq!(progress["COG"].error.as_deref(), Some("Job.ExitCode.2"));
        assert_eq!(
            progress["ProcessorSkipped"].reason.as_deref(),
            Some("no raw sonar")
        );
        assert_eq!(
            progress["QC"].results[0]["outputs"]["qc.json"]["cid"],
            json!("bafkreia")
        );
    }

    #[test]
    fn a_retry_that_succeeds_and_a_redrive_clear_failures() {
        let mut h = History::default();
        let start = h.push(0, EventType::ExecutionStarted, None);
        let a = h.enter(start, "Task", "A", json!({}));
        let failed = h.task(a, Err("Job.Interrupted"));
        let ok = h.task(failed, Ok(json!({"cached": false})));
        let a_out = h.exit(ok, "Task", "A", json!({"a": 1}));
        let b = h.enter(a_out, "Task", "B", json!({}));
        let b_failed = h.task(b, Err("Job.ExitCode.1"));
        h.push(b_failed, EventType::ExecutionFailed, None);
        let before = progress(&h.0);
        assert_eq!(
            statuses(&before),
            [
                ("A", StepStatus::Succeeded, 1),
                ("B", StepStatus::Failed, 1)
            ]
        );
        assert_eq!(before["A"].output, Some(json!({"a": 1})));

        let redriven = h.push(b_failed, EventType::ExecutionRedriven, None);
        let b2 = h.enter(redriven, "Task", "B", json!({}));
        let b2_ok = h.task(b2, Ok(json!({})));
        h.exit(b2_ok, "Task", "B", json!({}));
        let after = progress(&h.0);
        assert_eq!(
            statuses(&after),
            [
                ("A", StepStatus::Succeeded, 1),
                ("B", StepStatus::Succeeded, 2)
            ]
        );
    }

    /// A JSONata Output that fails after the task succeeded, caught by the state's Catch:
    /// the state shows the evaluation failure, the catcher's target runs on.
    #[test]
    fn a_caught_evaluation_failure_fails_its_state() {
        let mut h = History::default();
        let start = h.push(0, EventType::ExecutionStarted, None);
        let a = h.enter(start, "Task", "A", json!({}));
        let done = h.task(a, Ok(json!({})));
        let failed = h.push(
            done,
            EventType::EvaluationFailed,
            Some(EventDetails::EvaluationFailedEventDetails(
                EvaluationFailedDetails {
                    error: Some("States.QueryEvaluationError".into()),
                    cause: Some("undefined".into()),
                    location: Some("Output".into()),
                    state: "A".into(),
                },
            )),
        );
        let a_out = h.exit(
            failed,
            "Task",
            "A",
            json!({"Error": "States.QueryEvaluationError"}),
        );
        let b = h.enter(a_out, "Pass", "B", json!({}));
        h.exit(b, "Pass", "B", json!({}));
        let progress = progress(&h.0);
        assert_eq!(
            statuses(&progress),
            [
                ("A", StepStatus::Failed, 1),
                ("B", StepStatus::Succeeded, 1)
            ]
        );
        assert_eq!(
            progress["A"].error.as_deref(),
            Some("States.QueryEvaluationError")
        );
        assert_eq!(progress["A"].cause.as_deref(), Some("undefined"));
    }

    #[test]
    fn running_states_and_fail_states() {
        let mut h = History::default();
        let start = h.push(0, EventType::ExecutionStarted, None);
        let a = h.enter(start, "Task", "A", json!({}));
        h.push(a, EventType::TaskScheduled, None);
        assert_eq!(statuses(&progress(&h.0)), [("A", StepStatus::Running, 1)]);

        let mut h = History::default();
        let start = h.push(0, EventType::ExecutionStarted, None);
        let fail = h.enter(start, "Fail", "Invalid", json!({}));
        h.push(
            fail,
            EventType::ExecutionFailed,
            Some(EventDetails::ExecutionFailedEventDetails(ErrorDetails {
                error: Some("Survey.Invalid".into()),
                cause: None,
            })),
        );
        let progress = progress(&h.0);
        assert_eq!(progress["Invalid"].status, StepStatus::Failed);
        assert_eq!(progress["Invalid"].error.as_deref(), Some("Survey.Invalid"));
    }
}
