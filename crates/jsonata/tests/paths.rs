//! docs.jsonata.org "Simple Queries", "Navigating JSON Arrays", "Predicate Queries",
//! "Wildcards" and "Building result structures", against the Person sample document.

mod support;

use serde_json::json;
use support::{check, person};

#[test]
fn simple_queries() {
    let p = person();
    check("Surname", &p, Some(json!("Smith")));
    check("Age", &p, Some(json!(28)));
    check("Address.City", &p, Some(json!("Winchester")));
    check("Other.Misc", &p, Some(json!(null)));
    check("Other.Nothing", &p, None);
    check("Other.`Over 18 ?`", &p, Some(json!(true)));
}

#[test]
fn navigating_arrays() {
    let p = person();
    check(
        "Phone[0]",
        &p,
        Some(json!({"type": "home", "number": "0203 544 1234"})),
    );
    check(
        "Phone[1]",
        &p,
        Some(json!({"type": "office", "number": "01962 001234"})),
    );
    check(
        "Phone[-1]",
        &p,
        Some(json!({"type": "mobile", "number": "077 7700 1234"})),
    );
    check(
        "Phone[-2]",
        &p,
        Some(json!({"type": "office", "number": "01962 001235"})),
    );
    check("Phone[8]", &p, None);
    check("Phone[0].number", &p, Some(json!("0203 544 1234")));
    let all = json!([
        "0203 544 1234",
        "01962 001234",
        "01962 001235",
        "077 7700 1234"
    ]);
    check("Phone.number", &p, Some(all.clone()));
    // The index applies per Phone item, each of which has one number.
    check("Phone.number[0]", &p, Some(all));
    check("(Phone.number)[0]", &p, Some(json!("0203 544 1234")));
    check(
        "Phone[[0..1]]",
        &p,
        Some(json!([
            {"type": "home", "number": "0203 544 1234"},
            {"type": "office", "number": "01962 001234"}
        ])),
    );
}

#[test]
fn top_level_arrays() {
    let data = json!([
        {"ref": [1, 2]},
        {"ref": [3, 4]}
    ]);
    check("$[0]", &data, Some(json!({"ref": [1, 2]})));
    check("$[0].ref", &data, Some(json!([1, 2])));
    check("$[0].ref[0]", &data, Some(json!(1)));
    check("$.ref", &data, Some(json!([1, 2, 3, 4])));
}

#[test]
fn predicates() {
    let p = person();
    check(
        "Phone[type='mobile']",
        &p,
        Some(json!({"type": "mobile", "number": "077 7700 1234"})),
    );
    check(
        "Phone[type='mobile'].number",
        &p,
        Some(json!("077 7700 1234")),
    );
    check(
        "Phone[type='office'].number",
        &p,
        Some(json!(["01962 001234", "01962 001235"])),
    );
}

#[test]
fn singleton_arrays() {
    let p = person();
    check("Address[].City", &p, Some(json!(["Winchester"])));
    check("Phone[0][].number", &p, Some(json!(["0203 544 1234"])));
    check(
        "Phone[type='office'].number[]",
        &p,
        Some(json!(["01962 001234", "01962 001235"])),
    );
}

#[test]
fn wildcards() {
    let p = person();
    check(
        "Address.*",
        &p,
        Some(json!(["Hursley Park", "Winchester", "SO21 2JN"])),
    );
    check("*.Postcode", &p, Some(json!("SO21 2JN")));
    check("**.Postcode", &p, Some(json!(["SO21 2JN", "E1 6RF"])));
}

#[test]
fn array_constructors() {
    let p = person();
    check(
        "Email.address",
        &p,
        Some(json!([
            "fred.smith@my-work.com",
            "fsmith@my-work.com",
            "freddy@my-social.com",
            "frederic.smith@very-serious.com"
        ])),
    );
    check(
        "Email.[address]",
        &p,
        Some(json!([
            ["fred.smith@my-work.com", "fsmith@my-work.com"],
            ["freddy@my-social.com", "frederic.smith@very-serious.com"]
        ])),
    );
    check(
        "[Address, Other.`Alternative.Address`].City",
        &p,
        Some(json!(["Winchester", "London"])),
    );
}

#[test]
fn object_constructors() {
    let p = person();
    check(
        "Phone.{type: number}",
        &p,
        Some(json!([
            {"home": "0203 544 1234"},
            {"office": "01962 001234"},
            {"office": "01962 001235"},
            {"mobile": "077 7700 1234"}
        ])),
    );
    check(
        "Phone{type: number}",
        &p,
        Some(
            json!({"home": "0203 544 1234", "office": ["01962 001234", "01962 001235"], "mobile": "077 7700 1234"}),
        ),
    );
    check(
        "Phone{type: number[]}",
        &p,
        Some(
            json!({"home": ["0203 544 1234"], "office": ["01962 001234", "01962 001235"], "mobile": ["077 7700 1234"]}),
        ),
    );
}
