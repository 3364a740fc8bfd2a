//! The functions Step Functions adds to JSONata ("Transforming data with JSONata in Step
//! Functions"), with the guide's examples; hashes against the standard test vectors.

mod support;

use serde_json::json;
use support::{eq, fails};

#[test]
fn partition() {
    eq(
        "$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)",
        json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
    );
    eq("$partition([1, 2, 3, 4], 3)", json!([[1, 2, 3], [4]]));
    assert_eq!(fails("$partition([1], 0)", &json!(null)), "T0410");
}

#[test]
fn range() {
    eq("$range(0, 10, 2)", json!([0, 2, 4, 6, 8, 10]));
    eq("$range(5, 1, -2)", json!([5, 3, 1]));
    assert_eq!(fails("$range(0, 1, 0)", &json!(null)), "T0410");
}

#[test]
fn hash() {
    eq(
        "$hash('abc', 'SHA-256')",
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    );
    eq(
        "$hash('abc', 'SHA-1')",
        json!("a9993e364706816aba3e25717850c26c9cd0d89d"),
    );
    eq(
        "$hash('', 'MD5')",
        json!("d41d8cd98f00b204e9800998ecf8427e"),
    );
    assert_eq!(fails("$hash('abc', 'CRC32')", &json!(null)), "T0410");
}

#[test]
fn random_with_a_seed_repeats() {
    eq("$random(42) = $random(42)", json!(true));
    eq("$random(7) >= 0 and $random(7) < 1", json!(true));
}

#[test]
fn uuid_is_version_4() {
    eq("$contains($uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)", json!(true));
}

#[test]
fn parse() {
    eq(r#"$parse('{"a": [1, 2]}').a[1]"#, json!(2));
    assert_eq!(fails("$parse('{')", &json!(null)), "D3120");
}

#[test]
fn eval_is_unavailable() {
    assert_eq!(fails("$eval('1 + 1')", &json!(null)), "T1006");
}

#[test]
fn states_binding() {
    let e = leadline_jsonata::Expression::parse("$states.input.count + 1").expect("parses");
    let context =
        leadline_jsonata::Context::default().bind("states", json!({"input": {"count": 41}}));
    let got = e.evaluate_in(None, &context).expect("evaluates");
    assert_eq!(got, Some(json!(42)));
}
