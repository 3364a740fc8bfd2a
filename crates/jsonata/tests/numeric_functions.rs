//! docs.jsonata.org "Numeric functions" and "Aggregation functions".

mod support;

use serde_json::json;
use support::{eq, fails};

#[test]
fn number() {
    eq(r#"$number("5")"#, json!(5));
    eq(
        r#"["1", "2", "3", "4", "5"].$number()"#,
        json!([1, 2, 3, 4, 5]),
    );
    eq(r#"$number("0x12")"#, json!(18));
}

#[test]
fn abs_floor_ceil() {
    eq("$abs(5)", json!(5));
    eq("$abs(-5)", json!(5));
    eq("$floor(5)", json!(5));
    eq("$floor(5.3)", json!(5));
    eq("$floor(5.8)", json!(5));
    eq("$floor(-5.3)", json!(-6));
    eq("$ceil(5)", json!(5));
    eq("$ceil(5.3)", json!(6));
    eq("$ceil(5.8)", json!(6));
    eq("$ceil(-5.3)", json!(-5));
}

#[test]
fn round() {
    eq("$round(123.456)", json!(123));
    eq("$round(123.456, 2)", json!(123.46));
    eq("$round(123.456, -1)", json!(120));
    eq("$round(123.456, -2)", json!(100));
    eq("$round(11.5)", json!(12));
    eq("$round(12.5)", json!(12));
    eq("$round(125, -1)", json!(120));
}

#[test]
fn power_and_sqrt() {
    eq("$power(2, 8)", json!(256));
    eq("$power(2, 0.5)", json!(std::f64::consts::SQRT_2));
    eq("$power(2, -2)", json!(0.25));
    eq("$sqrt(4)", json!(2));
    eq("$sqrt(2)", json!(std::f64::consts::SQRT_2));
}

#[test]
fn random_is_in_the_unit_interval() {
    eq("$random() >= 0 and $random() < 1", json!(true));
}

#[test]
fn format_base() {
    eq("$formatBase(100, 2)", json!("1100100"));
    eq("$formatBase(2555, 16)", json!("9fb"));
}

#[test]
fn aggregation() {
    eq("$sum([5,1,3,7,4])", json!(20));
    eq("$max([5,1,3,7,4])", json!(7));
    eq("$min([5,1,3,7,4])", json!(1));
    eq("$average([5,1,3,7,4])", json!(4));
}

#[test]
fn format_number() {
    eq("$formatNumber(12345.6, '#,###.00')", json!("12,345.60"));
    eq(r#"$formatNumber(1234.5678, "00.000e0")"#, json!("12.346e2"));
    eq(
        r##"$formatNumber(34.555, "#0.00;(#0.00)")"##,
        json!("34.56"),
    );
    eq(
        r##"$formatNumber(-34.555, "#0.00;(#0.00)")"##,
        json!("(34.56)"),
    );
    eq(r#"$formatNumber(0.14, "01%")"#, json!("14%"));
    eq(
        r####"$formatNumber(0.14, "###pm", {"per-mille": "pm"})"####,
        json!("140pm"),
    );
    // The same number and picture as "00.000e0" above (documented as "12.346e2"), in the
    // digit family whose zero is U+245F.
    eq(
        r#"$formatNumber(1234.5678, "①①.①①①e①", {"zero-digit": "\u245f"})"#,
        json!("①②.③④⑥e②"),
    );
}

#[test]
fn format_and_parse_integer() {
    eq(
        "$formatInteger(2789, 'w')",
        json!("two thousand, seven hundred and eighty-nine"),
    );
    eq("$formatInteger(1999, 'I')", json!("MCMXCIX"));
    eq(
        "$parseInteger('twelve thousand, four hundred and seventy-six', 'w')",
        json!(12476),
    );
    eq("$parseInteger('12,345,678', '#,##0')", json!(12345678));
}

#[test]
fn number_accepts_leading_zeros_as_jsonata_js_does() {
    eq("$number('0123')", json!(123));
    eq("$number('-007')", json!(-7));
    eq("$number('000.00123000')", json!(0.00123));
    eq("$number('1e3')", json!(1000));
    for bad in ["'1.'", "'.5'", "'1e'", "'--1'", "'12a'"] {
        assert_eq!(
            fails(&format!("$number({bad})"), &json!(null)),
            "D3030",
            "{bad}"
        );
    }
}
