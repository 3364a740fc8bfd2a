//! Errors carry jsonata-js's codes (docs.jsonata.org lists them with each operator and
//! function) and, for syntax errors, the position of the offending token.

mod support;

use leadline_jsonata::{Error, Expression};
use serde_json::json;
use support::{fails, person};

fn syntax(expr: &str) -> (&'static str, usize) {
    match Expression::parse(expr) {
        Err(Error::Syntax { code, position, .. }) => (code, position),
        other => panic!("{expr}: expected a syntax error, got {other:?}"),
    }
}

#[test]
fn syntax_errors_have_codes_and_positions() {
    assert_eq!(syntax("Account."), ("S0207", 8));
    assert_eq!(syntax(r#"  "unterminated"#), ("S0101", 2));
    assert_eq!(syntax("[1, 2"), ("S0203", 5));
    assert_eq!(syntax("(1; 2]"), ("S0202", 5));
    assert_eq!(syntax("Phone.0"), ("S0213", 6));
    assert_eq!(syntax("/* open"), ("S0106", 0));
    assert_eq!(syntax("1 := 2"), ("S0212", 2));
    assert_eq!(syntax(r#""\q""#), ("S0103", 2));
    assert_eq!(syntax("($a := [1,2]; $a[1] := 3; $a)"), ("S0212", 20));
    assert_eq!(syntax("[1!2]"), ("S0204", 2));
}

/// jsonata-js reads tokens as it parses and checks literal path steps after parsing, so the
/// first error in reading order is the one reported.
#[test]
fn the_first_syntax_error_in_reading_order_wins() {
    // The unterminated string starts after `rr`, where the parser already stopped.
    assert_eq!(syntax(r#"$replace("foo", "o, "rr")"#).0, "S0202");
    // `7` is a literal step (S0213), but `a` after it is a syntax error first.
    assert_eq!(syntax("$.7a").0, "S0201");
}

#[test]
fn unsupported_regex_features_are_refused_at_parse_time() {
    // Look-ahead is JavaScript regex syntax the linear-time `regex` crate does not run.
    assert_eq!(syntax("$contains('ab', /a(?=b)/)").0, "S0303");
}

#[test]
fn operator_type_errors() {
    let n = json!(null);
    assert_eq!(fails(r#""a" + 1"#, &n), "T2001");
    assert_eq!(fails(r#"1 + "a""#, &n), "T2002");
    assert_eq!(fails(r#"1 < "a""#, &n), "T2009");
    assert_eq!(fails("{} < 1", &n), "T2010");
    assert_eq!(fails("[1.5..3]", &n), "T2003");
    assert_eq!(fails("[1..3.5]", &n), "T2004");
    assert_eq!(fails(r#"-"a""#, &n), "D1002");
    assert_eq!(fails("1/0", &n), "D1001");
    assert_eq!(fails("$nothing()", &n), "T1006");
    assert_eq!(fails("substring(?, 0, ?)", &n), "T1007");
    assert_eq!(fails("1 ~> 2", &n), "T2006");
}

#[test]
fn constructor_errors() {
    let n = json!(null);
    assert_eq!(fails("{1: 2}", &n), "T1003");
    assert_eq!(
        fails(r#"Phone{type: number, "home": 1}"#, &person()),
        "D1009"
    );
    assert_eq!(fails("Phone^(type = 'x')", &person()), "T2008");
}

#[test]
fn function_errors() {
    let n = json!(null);
    // `<s-nn?:s>`: one number leaves the string to the context item, which is null here.
    assert_eq!(fails("$substring(1)", &n), "T0411");
    assert_eq!(fails("$substring('a', 'b')", &n), "T0410");
    assert_eq!(fails("$length()", &json!(23)), "T0411");
    assert_eq!(fails("$split(12345)", &n), "T0410");
    assert_eq!(fails("$sum(['a'])", &n), "T0412");
    assert_eq!(fails("$sqrt(-1)", &n), "D3060");
    assert_eq!(fails("$single([1, 2])", &n), "D3138");
    assert_eq!(
        fails("$single([1, 2], function($v){ $v > 5 })", &n),
        "D3139"
    );
    assert_eq!(fails("$reduce([1, 2], function($a){ $a })", &n), "D3050");
    assert_eq!(fails(r#"$number("abc")"#, &n), "D3030");
    assert_eq!(fails("$formatBase(10, 40)", &n), "D3100");
    assert_eq!(fails(r#"$replace("abc", "", "x")"#, &n), "D3010");
    assert_eq!(fails(r#"$split("a b", " ", -1)"#, &n), "D3020");
}

#[test]
fn runaway_recursion_is_an_error_not_a_crash() {
    assert_eq!(
        fails("($f := function($x){ $f($x) }; $f(1))", &json!(null)),
        "U1001"
    );
}

#[test]
fn undefined_is_not_null() {
    let p = person();
    support::check("Other.Misc", &p, Some(json!(null)));
    support::check("Other.Nothing", &p, None);
    support::check("Other.Nothing = null", &p, Some(json!(false)));
    support::check("$exists(Other.Misc)", &p, Some(json!(true)));
}

#[test]
fn too_many_arguments_is_a_signature_mismatch() {
    assert_eq!(fails("$count([1], [])", &json!(null)), "T0410");
    assert_eq!(fails("$uppercase('a', 'b')", &json!(null)), "T0410");
}

#[test]
fn keyword_operators_are_field_names_in_operand_position() {
    support::check(
        "and = 1 and or = 2",
        &json!({"and": 1, "or": 2}),
        Some(json!(true)),
    );
}

#[test]
fn reference_suite_error_codes() {
    // Cases of the jsonata-js test suite's "errors" group.
    assert_eq!(
        fails("sum(Account.Order.OrderID)", &support::invoice()),
        "T1005"
    );
    assert_eq!(syntax(r#"[1,2,3]{"num": $}[true]"#).0, "S0209");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(
        Expression::parse(&deep).map(|_| ()).map_err(|e| e.code()),
        Err("U1001")
    );
    assert_eq!(fails("$pad('x', 1e12)", &json!(null)), "D1001");
}
