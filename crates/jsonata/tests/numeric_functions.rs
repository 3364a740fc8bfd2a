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
fn format_number_exponents_and_digit_families() {
    // jsonata-js test suite, function-formatNumber. A mantissa without mandatory integer
    // digits keeps the number below 1: no exponent shift for 0.234 with "#.00e0".
    eq(r#"$formatNumber(0.234, "0.0e0")"#, json!("2.3e-1"));
    eq(r##"$formatNumber(0.234, "#.00e0")"##, json!("0.23e0"));
    eq(r##"$formatNumber(0.123, "#.e9")"##, json!("0.1e0"));
    eq(r#"$formatNumber(0.234, ".00e0")"#, json!(".23e0"));
    // Any digit of the zero digit's family is a mandatory digit, and the fractional part is
    // grouped too.
    eq(
        r#"$formatNumber(12345678.9, "9,999.99")"#,
        json!("12,345,678.90"),
    );
    eq(
        r#"$formatNumber(1234.56789, "9,999.999,999")"#,
        json!("1,234.567,890"),
    );
}

#[test]
fn format_number_refuses_malformed_pictures() {
    // jsonata-js test suite, function-formatNumber: the picture rules of XPath F&O 4.7.3.
    let cases = [
        ("#;#;#", "D3080"),
        ("#.0.0", "D3081"),
        ("#0%%", "D3082"),
        ("#0\u{2030}\u{2030}", "D3083"),
        ("#0%\u{2030}", "D3084"),
        (".e0", "D3085"),
        ("0+.e0", "D3086"),
        ("0,.e0", "D3087"),
        ("0,", "D3088"),
        ("0,,0", "D3089"),
        ("0#.e0", "D3090"),
        ("#0.#0e0", "D3091"),
        ("#0.0e0%", "D3092"),
        ("#0.0e0,0", "D3093"),
    ];
    for (picture, code) in cases {
        assert_eq!(
            fails(&format!("$formatNumber(20, \"{picture}\")"), &json!(null)),
            code,
            "{picture}"
        );
    }
}

#[test]
fn format_integer_pictures() {
    // jsonata-js test suite, function-formatInteger.
    eq(
        "$formatInteger(12340, '###\u{661}')",
        json!("\u{661}\u{662}\u{663}\u{664}\u{660}"),
    );
    eq(
        "$formatInteger(12340, '###\u{ff10}')",
        json!("\u{ff11}\u{ff12}\u{ff13}\u{ff14}\u{ff10}"),
    );
    assert_eq!(
        fails("$formatInteger(12340, '##0\u{ff10}')", &json!(null)),
        "D3131"
    );
    eq(
        "$formatInteger(1234567890, '#,###,##0')",
        json!("1,234,567,890"),
    );
    eq(
        "$formatInteger(1234567890, '#:###,##0')",
        json!("1234:567,890"),
    );
    eq(
        "$formatInteger(1234567890, '##,##,##0')",
        json!("12345,67,890"),
    );
    eq("$formatInteger(-3, '0000')", json!("-0003"));
    eq(
        "$formatInteger(1e+46, 'w')",
        json!("ten billion trillion trillion trillion"),
    );
    eq(
        "$formatInteger(1000000000001, 'w;o')",
        json!("one trillion and first"),
    );
    eq("$formatInteger(123456, 'A')", json!("FZPH"));
    // Numbering sequences other than a, A, i, I, w, W and Ww are not supported.
    assert_eq!(
        fails("$formatInteger(123456, '\u{3b1}')", &json!(null)),
        "D3130"
    );
}

#[test]
fn parse_integer_pictures() {
    // jsonata-js test suite, function-parseInteger.
    eq(
        "$parseInteger('\u{661}\u{662}\u{663}\u{664}\u{660}', '###\u{661}')",
        json!(12340),
    );
    eq(
        "$parseInteger('\u{ff11}\u{ff12}\u{ff13}\u{ff14}\u{ff10}', '###\u{ff10}')",
        json!(12340),
    );
    eq(
        "$parseInteger('1234:567,890', '#:###,##0')",
        json!(1234567890),
    );
    eq("$parseInteger('', 'I')", json!(0));
    eq("$parseInteger('MCMLXXXIV', 'I')", json!(1984));
    eq(
        "$parseInteger('one thousand trillion', 'w')",
        json!(1000000000000000i64),
    );
    eq(
        "$parseInteger('ten billion trillion trillion trillion', 'w')",
        json!(1e46),
    );
    eq(
        "$parseInteger('Seven Hundred and Thirty-Third', 'Ww;o')",
        json!(733),
    );
    eq("$parseInteger('FZPH', 'A')", json!(123456));
    assert_eq!(fails("$parseInteger('50', '#')", &json!(null)), "D3130");
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
