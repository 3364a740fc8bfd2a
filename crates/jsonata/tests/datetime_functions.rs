//! docs.jsonata.org "Date/Time functions" (ISO 8601 forms; pictures are not implemented yet).

mod support;

use leadline_jsonata::{Context, Expression};
use serde_json::json;
use support::{eq, fails};

fn at(expr: &str, millis: i64) -> Option<serde_json::Value> {
    Expression::parse(expr)
        .and_then(|e| e.evaluate_in(None, &Context::default().at_millis(millis)))
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

#[test]
fn to_and_from_millis() {
    eq(
        r#"$toMillis("2017-11-07T15:07:54.972Z")"#,
        json!(1510067274972i64),
    );
    eq(
        "$fromMillis(1510067274972)",
        json!("2017-11-07T15:07:54.972Z"),
    );
    eq(r#"$toMillis("2017-11-07")"#, json!(1510012800000i64));
    eq(
        r#"$toMillis("2017-11-07T16:07:54.972+01:00")"#,
        json!(1510067274972i64),
    );
    assert_eq!(fails(r#"$toMillis("yesterday")"#, &json!(null)), "D3110");
    assert_eq!(fails("$fromMillis(0, '[Y]')", &json!(null)), "T0410");
}

#[test]
fn now_and_millis_come_from_the_context_clock() {
    assert_eq!(
        at("$now()", 1510067274972),
        Some(json!("2017-11-07T15:07:54.972Z"))
    );
    assert_eq!(
        at("$millis()", 1510067274972),
        Some(json!(1510067274972i64))
    );
    // One instant per evaluation.
    assert_eq!(at("$millis() = $millis()", 5), Some(json!(true)));
}
