//! Shared by the documentation-example tests: the sample documents of docs.jsonata.org and
//! an assertion that evaluates an expression and compares it with the documented output.

#![allow(dead_code)] // each test binary uses a different subset

use leadline_jsonata::Expression;
use serde_json::{json, Value};

/// The "Person" sample document used throughout docs.jsonata.org.
pub fn person() -> Value {
    json!({
        "FirstName": "Fred",
        "Surname": "Smith",
        "Age": 28,
        "Address": {"Street": "Hursley Park", "City": "Winchester", "Postcode": "SO21 2JN"},
        "Phone": [
            {"type": "home", "number": "0203 544 1234"},
            {"type": "office", "number": "01962 001234"},
            {"type": "office", "number": "01962 001235"},
            {"type": "mobile", "number": "077 7700 1234"}
        ],
        "Email": [
            {"type": "work", "address": ["fred.smith@my-work.com", "fsmith@my-work.com"]},
            {"type": "home", "address": ["freddy@my-social.com", "frederic.smith@very-serious.com"]}
        ],
        "Other": {
            "Over 18 ?": true,
            "Misc": null,
            "Alternative.Address": {"Street": "Brick Lane", "City": "London", "Postcode": "E1 6RF"}
        }
    })
}

/// Evaluates `expr` against `input`; `None` expects JSONata's "no match" (undefined).
#[track_caller]
pub fn check(expr: &str, input: &Value, expected: Option<Value>) {
    let parsed = Expression::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let got = parsed
        .evaluate(Some(input))
        .unwrap_or_else(|e| panic!("{expr}: {e}"));
    assert_eq!(got, expected, "{expr}");
}

/// Evaluates `expr` without input and compares with the documented JSON result.
#[track_caller]
pub fn eq(expr: &str, expected: Value) {
    check(expr, &Value::Null, Some(expected));
}

/// The error code `expr` fails with.
#[track_caller]
pub fn fails(expr: &str, input: &Value) -> &'static str {
    match Expression::parse(expr).and_then(|e| e.evaluate(Some(input))) {
        Ok(v) => panic!("{expr}: expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}
