//! Conformance suite: behaviour documented in the AWS Step Functions Developer Guide and
//! the Amazon States Language specification, with the documented outputs, errors and
//! causes. Time is tokio's paused clock: Wait, Retry and timeouts run instantly.

mod conformance {
    mod choice;
    pub mod common;
    mod errors;
    mod evaluation_failed;
    mod history;
    mod intrinsics;
    mod io_processing;
    mod jsonata;
    mod map_parallel;
    mod tasks;
    mod validate;
    mod variable_limits;
}
