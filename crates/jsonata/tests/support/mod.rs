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

/// The "Invoice" sample document of docs.jsonata.org (jsonata-js test dataset5).
pub fn invoice() -> Value {
    let product = |name: &str,
                   id: u32,
                   sku: &str,
                   colour: &str,
                   dims: [f64; 4],
                   price: f64,
                   qty: u32| {
        json!({
            "Product Name": name, "ProductID": id, "SKU": sku,
            "Description": {"Colour": colour, "Width": dims[0], "Height": dims[1], "Depth": dims[2], "Weight": dims[3]},
            "Price": price, "Quantity": qty
        })
    };
    json!({"Account": {"Account Name": "Firefly", "Order": [
        {"OrderID": "order103", "Product": [
            product("Bowler Hat", 858383, "0406654608", "Purple", [300.0, 200.0, 210.0, 0.75], 34.45, 2),
            product("Trilby hat", 858236, "0406634348", "Orange", [300.0, 200.0, 210.0, 0.6], 21.67, 1)
        ]},
        {"OrderID": "order104", "Product": [
            product("Bowler Hat", 858383, "040657863", "Purple", [300.0, 200.0, 210.0, 0.75], 34.45, 4),
            product("Cloak", 345664, "0406654603", "Black", [30.0, 20.0, 210.0, 2.0], 107.99, 1)
        ]}
    ]}})
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
