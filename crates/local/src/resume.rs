//! Where a resumed or redriven execution restarts, read from its recorded history.
//!
//! The interpreter restarts a top-level walk from (state, raw input, variables); the history
//! holds all three: `…StateEntered` events carry the state's name and raw input, and
//! `…StateExited` events the variables a state assigned. Work inside the restarted state that
//! had already finished is not redone: the twin's task memo answers those tasks.

use std::collections::HashMap;

use leadline_asl::history::{EventDetails, EventType, HistoryEvent};
use leadline_asl::interpreter::ResumePoint;
use leadline_asl::StateMachine;
use serde_json::Value;

/// Why an execution restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// The twin died while the execution ran: continue with the last state it entered.
    Resume,
    /// `RedriveExecution`: rerun from the top-level state in which the last attempt failed
    /// (the state whose work failed, not the `Fail` state its Catch led to).
    Redrive,
}

struct Span {
    state: String,
    input: String,
    failed: bool,
}

fn is_failure(event: EventType) -> bool {
    let name = format!("{event:?}");
    name.ends_with("Failed") || name.ends_with("TimedOut") || name.ends_with("Aborted")
}

/// The point to restart from, or `None` when the history never entered a top-level state
/// (the execution then simply starts over).
pub fn restart_point(
    machine: &StateMachine,
    events: &[HistoryEvent],
    restart: Restart,
) -> Result<Option<ResumePoint>, String> {
    // Only the latest attempt counts: a state that failed before the last redrive and then
    // succeeded is done.
    let attempt_start = events
        .iter()
        .rposition(|e| e.event_type == EventType::ExecutionRedriven)
        .map_or(0, |at| at + 1);
    let mut variables = HashMap::new();
    let mut spans: Vec<Span> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        match &event.details {
            Some(EventDetails::StateEnteredEventDetails(entered))
                if index >= attempt_start && machine.graph.states.contains_key(&entered.name) =>
            {
                spans.push(Span {
                    state: entered.name.clone(),
                    input: entered.input.clone(),
                    failed: false,
                });
            }
            Some(EventDetails::StateExitedEventDetails(exited))
                if machine.graph.states.contains_key(&exited.name) =>
            {
                for (name, text) in &exited.assigned_variables {
                    let value = serde_json::from_str::<Value>(text)
                        .map_err(|e| format!("variable {name} in the history: {e}"))?;
                    variables.insert(name.clone(), value);
                }
            }
            _ if is_failure(event.event_type) && event.event_type != EventType::ExecutionFailed => {
                if let Some(span) = spans.last_mut() {
                    span.failed = true;
                }
            }
            _ => {}
        }
    }
    let chosen = match restart {
        Restart::Resume => spans.last(),
        Restart::Redrive => spans.iter().find(|s| s.failed).or(spans.last()),
    };
    let Some(span) = chosen else { return Ok(None) };
    let input = serde_json::from_str(&span.input)
        .map_err(|e| format!("the recorded input of state {}: {e}", span.state))?;
    Ok(Some(ResumePoint {
        state: span.state.clone(),
        input,
        variables,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadline_asl::history::{PayloadDetails, StateEnteredDetails, StateExitedDetails};

    fn machine() -> StateMachine {
        leadline_asl::parse_str(
            r#"{"StartAt":"A","States":{
                "A":{"Type":"Pass","Next":"B"},
                "B":{"Type":"Map","ItemProcessor":{"StartAt":"Inner","States":{
                    "Inner":{"Type":"Pass","End":true}}},
                    "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Failed"}],"Next":"C"},
                "C":{"Type":"Pass","End":true},
                "Failed":{"Type":"Fail"}}}"#,
            Default::default(),
        )
        .unwrap()
    }

    fn event(id: u64, event_type: EventType, details: Option<EventDetails>) -> HistoryEvent {
        HistoryEvent {
            timestamp: id as f64,
            event_type,
            id,
            previous_event_id: id.saturating_sub(1),
            details,
        }
    }

    fn entered(id: u64, event_type: EventType, name: &str, input: &str) -> HistoryEvent {
        event(
            id,
            event_type,
            Some(EventDetails::StateEnteredEventDetails(
                StateEnteredDetails {
                    name: name.into(),
                    input: input.into(),
                    input_details: PayloadDetails::default(),
                },
            )),
        )
    }

    fn exited(id: u64, event_type: EventType, name: &str) -> HistoryEvent {
        event(
            id,
            event_type,
            Some(EventDetails::StateExitedEventDetails(StateExitedDetails {
                name: name.into(),
                output: "{}".into(),
                output_details: PayloadDetails::default(),
                assigned_variables: [("seen".to_string(), "[1]".to_string())].into(),
            })),
        )
    }

    /// A → B (Map; its inner state failed; caught) → Failed.
    fn failed_history() -> Vec<HistoryEvent> {
        vec![
            event(1, EventType::ExecutionStarted, None),
            entered(2, EventType::PassStateEntered, "A", r#"{"a":1}"#),
            exited(3, EventType::PassStateExited, "A"),
            entered(4, EventType::MapStateEntered, "B", r#"{"b":2}"#),
            entered(5, EventType::PassStateEntered, "Inner", r#"{"i":3}"#),
            event(6, EventType::MapStateFailed, None),
            exited(7, EventType::MapStateExited, "B"),
            entered(8, EventType::FailStateEntered, "Failed", r#"{"f":4}"#),
            event(9, EventType::ExecutionFailed, None),
        ]
    }

    #[test]
    fn redrive_restarts_at_the_state_that_failed_not_its_fail_state() {
        let point = restart_point(&machine(), &failed_history(), Restart::Redrive)
            .unwrap()
            .unwrap();
        assert_eq!(point.state, "B");
        assert_eq!(point.input, serde_json::json!({"b": 2}));
        assert_eq!(point.variables["seen"], serde_json::json!([1]));
    }

    #[test]
    fn resume_continues_with_the_last_top_level_state_entered() {
        let mut history = failed_history();
        history.truncate(5);
        let point = restart_point(&machine(), &history, Restart::Resume)
            .unwrap()
            .unwrap();
        assert_eq!(point.state, "B", "Inner is not a top-level state");
    }

    #[test]
    fn a_second_redrive_ignores_failures_the_first_one_repaired() {
        let mut history = failed_history();
        history.push(event(10, EventType::ExecutionRedriven, None));
        history.push(entered(11, EventType::MapStateEntered, "B", r#"{"b":2}"#));
        history.push(exited(12, EventType::MapStateExited, "B"));
        history.push(entered(13, EventType::PassStateEntered, "C", r#"{"c":5}"#));
        history.push(event(14, EventType::ExecutionAborted, None));
        let point = restart_point(&machine(), &history, Restart::Redrive)
            .unwrap()
            .unwrap();
        assert_eq!(point.state, "C");
    }

    #[test]
    fn nothing_entered_means_start_over() {
        let history = vec![event(1, EventType::ExecutionStarted, None)];
        assert!(restart_point(&machine(), &history, Restart::Resume)
            .unwrap()
            .is_none());
    }
}
