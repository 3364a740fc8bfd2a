//! docs.jsonata.org "Boolean functions", "Array functions", "Object functions" and
//! "Higher order functions".

mod support;

use serde_json::json;
use support::{check, eq, fails, person};

#[test]
fn boolean() {
    // The documentation's $boolean table, row by row.
    eq("$boolean(true)", json!(true));
    eq(r#"$boolean("")"#, json!(false));
    eq(r#"$boolean("0")"#, json!(true));
    eq("$boolean(0)", json!(false));
    eq("$boolean(1)", json!(true));
    eq("$boolean(null)", json!(false));
    eq("$boolean([])", json!(false));
    eq("$boolean([0, false])", json!(false));
    eq("$boolean([0, 1])", json!(true));
    eq("$boolean({})", json!(false));
    eq(r#"$boolean({"a": 1})"#, json!(true));
    eq("$boolean(function(){1})", json!(false));
    eq("$not(true)", json!(false));
    eq(r#"$exists("x")"#, json!(true));
    check("$exists(Other.Nothing)", &person(), Some(json!(false)));
}

#[test]
fn count_and_append() {
    eq("$count([1,2,3,1])", json!(4));
    eq(r#"$count("hello")"#, json!(1));
    eq("$append([1,2,3], [4,5,6])", json!([1, 2, 3, 4, 5, 6]));
    eq("$append(1, 2)", json!([1, 2]));
    eq("$append([1,2,3], 4)", json!([1, 2, 3, 4]));
    eq(r#"$append("Hello", "World")"#, json!(["Hello", "World"]));
}

#[test]
fn sort_reverse_distinct_zip() {
    eq(r#"$reverse(["Hello", "World"])"#, json!(["World", "Hello"]));
    eq("[1..5] ~> $reverse()", json!([5, 4, 3, 2, 1]));
    eq("$distinct([1,2,3,3,4,3,5])", json!([1, 2, 3, 4, 5]));
    eq("$zip([1,2,3], [4,5,6])", json!([[1, 4], [2, 5], [3, 6]]));
    eq("$zip([1,2,3],[4,5],[7,8,9])", json!([[1, 4, 7], [2, 5, 8]]));
    eq("$zip([1,2,3], [4,5,6], nothing)", json!([]));
    eq("$sort([3, 1, 2])", json!([1, 2, 3]));
    eq(
        "$sort([3, 1, 2], function($l, $r) { $l < $r })",
        json!([3, 2, 1]),
    );
    assert_eq!(fails(r#"$sort([1, "a"])"#, &json!(null)), "D3070");
}

#[test]
fn shuffle_keeps_the_items() {
    eq(
        "$sort($shuffle([1..10]))",
        json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    );
}

#[test]
fn objects() {
    let p = person();
    check(
        "$keys(Address)",
        &p,
        Some(json!(["Street", "City", "Postcode"])),
    );
    check("$lookup(Address, 'City')", &p, Some(json!("Winchester")));
    check(
        "$spread(Address)",
        &p,
        Some(json!([{"Street": "Hursley Park"}, {"City": "Winchester"}, {"Postcode": "SO21 2JN"}])),
    );
    eq(r#"$merge([{"a":1},{"b":2}])"#, json!({"a": 1, "b": 2}));
    check(
        r#"$each(Address, function($v, $k) {$k & ": " & $v})"#,
        &p,
        Some(json!([
            "Street: Hursley Park",
            "City: Winchester",
            "Postcode: SO21 2JN"
        ])),
    );
    check(
        "$sift(Address, function($v, $k) {$k ~> /^P/})",
        &p,
        Some(json!({"Postcode": "SO21 2JN"})),
    );
}

#[test]
fn type_error_and_assert() {
    eq("$type(null)", json!("null"));
    eq("$type(1)", json!("number"));
    eq(r#"$type("a")"#, json!("string"));
    eq("$type([])", json!("array"));
    eq("$type({})", json!("object"));
    eq("$type($type)", json!("function"));
    assert_eq!(fails(r#"$error("Oops")"#, &json!(null)), "D3137");
    assert_eq!(fails("$assert(1 = 2)", &json!(null)), "D3141");
}

#[test]
fn higher_order() {
    eq("$map([1..5], $string)", json!(["1", "2", "3", "4", "5"]));
    check(
        "$map(Email.address, function($v, $i, $a) { 'Item ' & ($i+1) & ' of ' & $count($a) & ': ' & $v })",
        &person(),
        Some(json!([
            "Item 1 of 4: fred.smith@my-work.com",
            "Item 2 of 4: fsmith@my-work.com",
            "Item 3 of 4: freddy@my-social.com",
            "Item 4 of 4: frederic.smith@very-serious.com"
        ])),
    );
    check(
        "$filter(Phone, function($v) { $v.type = 'office' }).number",
        &person(),
        Some(json!(["01962 001234", "01962 001235"])),
    );
    check(
        "$single(Phone, function($v) { $v.type = 'mobile' }).number",
        &person(),
        Some(json!("077 7700 1234")),
    );
    eq("$reduce([1..5], function($i, $j){$i * $j})", json!(120));
    eq("$reduce([1..5], function($i, $j){$i + $j}, 10)", json!(25));
}

#[test]
fn sift_and_sort_on_the_invoice() {
    let inv = support::invoice();
    check(
        "Account.Order.Product.$sift(function($v, $k) {$k ~> /^Product/})",
        &inv,
        Some(json!([
            {"Product Name": "Bowler Hat", "ProductID": 858383},
            {"Product Name": "Trilby hat", "ProductID": 858236},
            {"Product Name": "Bowler Hat", "ProductID": 858383},
            {"ProductID": 345664, "Product Name": "Cloak"}
        ])),
    );
    // The documented result lists the products lightest first; their names:
    check(
        "$sort(Account.Order.Product, function($l, $r) { $l.Description.Weight > $r.Description.Weight }).`Product Name`",
        &inv,
        Some(json!(["Trilby hat", "Bowler Hat", "Bowler Hat", "Cloak"])),
    );
}

#[test]
fn parsed_expressions_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<leadline_jsonata::Expression>();
    send_sync::<leadline_jsonata::Context>();
    send_sync::<leadline_jsonata::Error>();
}
