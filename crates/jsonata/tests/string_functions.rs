//! docs.jsonata.org "String functions": every example with its documented result.

mod support;

use serde_json::json;
use support::{check, eq, person};

#[test]
fn string() {
    eq("$string(5)", json!("5"));
    eq("[1..5].$string()", json!(["1", "2", "3", "4", "5"]));
}

#[test]
fn length() {
    eq(r#"$length("Hello World")"#, json!(11));
}

#[test]
fn substring() {
    eq(r#"$substring("Hello World", 3)"#, json!("lo World"));
    eq(r#"$substring("Hello World", 3, 5)"#, json!("lo Wo"));
    eq(r#"$substring("Hello World", -4)"#, json!("orld"));
    eq(r#"$substring("Hello World", -4, 1)"#, json!("o"));
}

#[test]
fn substring_before_and_after() {
    eq(r#"$substringBefore("Hello World", " ")"#, json!("Hello"));
    eq(r#"$substringAfter("Hello World", " ")"#, json!("World"));
}

#[test]
fn case_and_trim() {
    eq(r#"$uppercase("Hello World")"#, json!("HELLO WORLD"));
    eq(r#"$lowercase("Hello World")"#, json!("hello world"));
    eq(r#"$trim(" Hello \n World ")"#, json!("Hello World"));
}

#[test]
fn pad() {
    eq(r#"$pad("foo", 5)"#, json!("foo  "));
    eq(r#"$pad("foo", -5)"#, json!("  foo"));
    eq(r##"$pad("foo", -5, "#")"##, json!("##foo"));
    eq("$formatBase(35, 2) ~> $pad(-8, '0')", json!("00100011"));
}

#[test]
fn contains() {
    eq(r#"$contains("abracadabra", "bra")"#, json!(true));
    eq(r#"$contains("abracadabra", /a.*a/)"#, json!(true));
    eq(r#"$contains("abracadabra", /ar.*a/)"#, json!(false));
    eq(r#"$contains("Hello World", /wo/)"#, json!(false));
    eq(r#"$contains("Hello World", /wo/i)"#, json!(true));
    check(
        "Phone[$contains(number, /^077/)]",
        &person(),
        Some(json!({"type": "mobile", "number": "077 7700 1234"})),
    );
}

#[test]
fn split_and_join() {
    eq(
        r#"$split("so many words", " ")"#,
        json!(["so", "many", "words"]),
    );
    eq(r#"$split("so many words", " ", 2)"#, json!(["so", "many"]));
    eq(
        r#"$split("too much, punctuation. hard; to read", /[ ,.;]+/)"#,
        json!(["too", "much", "punctuation", "hard", "to", "read"]),
    );
    eq(r#"$join(["a","b","c"])"#, json!("abc"));
    eq(
        r#"$split("too much, punctuation. hard; to read", /[ ,.;]+/, 3) ~> $join(', ')"#,
        json!("too, much, punctuation"),
    );
}

#[test]
fn match_() {
    eq(
        r#"$match("ababbabbcc",/a(b+)/)"#,
        json!([
            {"match": "ab", "index": 0, "groups": ["b"]},
            {"match": "abb", "index": 2, "groups": ["bb"]},
            {"match": "abb", "index": 5, "groups": ["bb"]}
        ]),
    );
}

#[test]
fn replace() {
    eq(
        r#"$replace("John Smith and John Jones", "John", "Mr")"#,
        json!("Mr Smith and Mr Jones"),
    );
    eq(
        r#"$replace("John Smith and John Jones", "John", "Mr", 1)"#,
        json!("Mr Smith and John Jones"),
    );
    eq(r#"$replace("abracadabra", /a.*?a/, "*")"#, json!("*c*bra"));
    // A pattern that matches the empty string would never advance (jsonata-js: D1004).
    assert_eq!(
        support::fails(r#"$replace("abracadabra", /.*?/, "$1")"#, &json!(null)),
        "D1004"
    );
    assert_eq!(
        support::fails(r#"$match("ab", /x*/)"#, &json!(null)),
        "D1004"
    );
    eq(
        r#"$replace("John Smith", /(\w+)\s(\w+)/, "$2, $1")"#,
        json!("Smith, John"),
    );
    eq(
        r#"$replace("265USD", /([0-9]+)USD/, "$$$1")"#,
        json!("$265"),
    );
}

#[test]
fn replace_with_a_function() {
    eq(
        r##"$replace("temperature = 68F today", /(\d+)F/, function($m) { $formatNumber(($number($m.groups[0]) - 32) * 5/9, "#0.0") & "C" })"##,
        json!("temperature = 20.0C today"),
    );
}

#[test]
fn base64() {
    eq(
        r#"$base64encode("myuser:mypass")"#,
        json!("bXl1c2VyOm15cGFzcw=="),
    );
    eq(
        r#"$base64decode("bXl1c2VyOm15cGFzcw==")"#,
        json!("myuser:mypass"),
    );
}

#[test]
fn url_encoding() {
    eq(r#"$encodeUrlComponent("?x=test")"#, json!("%3Fx%3Dtest"));
    eq(
        r#"$encodeUrl("https://mozilla.org/?x=шеллы")"#,
        json!("https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B"),
    );
    eq(r#"$decodeUrlComponent("%3Fx%3Dtest")"#, json!("?x=test"));
    eq(
        r#"$decodeUrl("https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B")"#,
        json!("https://mozilla.org/?x=шеллы"),
    );
}

#[test]
fn numbers_print_as_javascript_does() {
    // $string rounds to 15 significant digits ("0.1 + 0.2" is "0.3"); -0 prints as "0".
    eq("$string(0.1 + 0.2)", json!("0.3"));
    eq("$string(-0)", json!("0"));
    eq("$string(1e-7)", json!("1e-7"));
    // Functions inside a value print as "" (jsonata-js's JSON.stringify replacer).
    eq(
        "$string({\"f\": $sum, \"g\": [function($x){$x}], \"n\": 39.4})",
        json!(r#"{"f":"","g":[""],"n":39.4}"#),
    );
}
