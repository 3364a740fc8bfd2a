//! docs.jsonata.org "Expressions", "Path Operators", "Sorting, Grouping and Aggregation",
//! "Programming constructs" and "Other Operators" (transform).

mod support;

use leadline_jsonata::Expression;
use serde_json::json;
use support::{check, eq, fails, invoice, person};

fn numbers() -> serde_json::Value {
    json!({"Numbers": [1, 2.4, 3.5, 10, 20.9, 30]})
}

#[test]
fn numeric_operators() {
    let n = numbers();
    check("Numbers[0] + Numbers[1]", &n, Some(json!(3.4)));
    check("Numbers[0] - Numbers[4]", &n, Some(json!(-19.9)));
    check("Numbers[0] * Numbers[5]", &n, Some(json!(30)));
    check(
        "Numbers[0] / Numbers[4]",
        &n,
        Some(json!(0.04784688995215311)),
    );
    check("Numbers[2] % Numbers[5]", &n, Some(json!(3.5)));
    check("-Numbers[3]", &n, Some(json!(-10)));
}

#[test]
fn comparison_and_boolean_operators() {
    let n = numbers();
    check("Numbers[0] = 1", &n, Some(json!(true)));
    check("Numbers[0] != 1", &n, Some(json!(false)));
    check("Numbers[1] > 2", &n, Some(json!(true)));
    check("Numbers[1] >= 2.4", &n, Some(json!(true)));
    check(
        "(Numbers[2] != 0) and (Numbers[5] != Numbers[1])",
        &n,
        Some(json!(true)),
    );
    check(
        "(Numbers[2] != 0) or (Numbers[5] = Numbers[1])",
        &n,
        Some(json!(true)),
    );
    check(
        r#""01962 001234" in Phone.number"#,
        &person(),
        Some(json!(true)),
    );
    eq(r#""Hello" & "World""#, json!("HelloWorld"));
}

#[test]
fn range_operator() {
    eq("[1..5]", json!([1, 2, 3, 4, 5]));
    eq("[1..3, 7..9]", json!([1, 2, 3, 7, 8, 9]));
    eq("[1..5].($*$)", json!([1, 4, 9, 16, 25]));
}

#[test]
fn grouping() {
    let inv = invoice();
    check(
        "Account.Order.Product{`Product Name`: Price}",
        &inv,
        Some(json!({"Bowler Hat": [34.45, 34.45], "Trilby hat": 21.67, "Cloak": 107.99})),
    );
    check(
        r#"Account.Order.Product { `Product Name`: {"Price": Price, "Qty": Quantity} }"#,
        &inv,
        Some(json!({
            "Bowler Hat": {"Price": [34.45, 34.45], "Qty": [2, 4]},
            "Trilby hat": {"Price": 21.67, "Qty": 1},
            "Cloak": {"Price": 107.99, "Qty": 1}
        })),
    );
}

#[test]
fn sorting() {
    let p = person();
    check(
        "Phone^(>number)",
        &p,
        Some(json!([
            {"type": "mobile", "number": "077 7700 1234"},
            {"type": "home", "number": "0203 544 1234"},
            {"type": "office", "number": "01962 001235"},
            {"type": "office", "number": "01962 001234"}
        ])),
    );
    check(
        "$sort(Phone, function($l, $r) { $substring($l.number,1,3) > $substring($r.number,1,3) })",
        &p,
        Some(json!([
            {"type": "office", "number": "01962 001234"},
            {"type": "office", "number": "01962 001235"},
            {"type": "home", "number": "0203 544 1234"},
            {"type": "mobile", "number": "077 7700 1234"}
        ])),
    );
    // Path Operators: "sorts all of the products into order of increasing price".
    check(
        "Account.Order.Product^(Price).Price",
        &invoice(),
        Some(json!([21.67, 34.45, 34.45, 107.99])),
    );
    check(
        "Account.Order.Product^(>Price, <Quantity).Quantity",
        &invoice(),
        Some(json!([1, 2, 4, 1])),
    );
}

#[test]
fn programming_constructs() {
    eq(
        "($volume := function($l, $w, $h){ $l * $w * $h }; $volume(10, 10, 5))",
        json!(500),
    );
    eq(
        "($factorial := function($x){ $x <= 1 ? 1 : $x * $factorial($x-1) }; $factorial(4))",
        json!(24),
    );
    eq(
        r#"($first5 := $substring(?, 0, 5); $first5("Hello, World"))"#,
        json!("Hello"),
    );
    eq(
        "($twice := function($f) { function($x){ $f($f($x)) } }; $add3 := function($y){ $y + 3 }; $add6 := $twice($add3); $add6(7))",
        json!(13),
    );
    eq(
        r#"($normalize := $uppercase ~> $trim; $normalize("   Some   Words  "))"#,
        json!("SOME WORDS"),
    );
    check(
        r#"Account.Order.Product.(Price < 50 ? "Cheap" : "Expensive")"#,
        &invoice(),
        Some(json!(["Cheap", "Cheap", "Cheap", "Expensive"])),
    );
}

/// "Function signatures" (docs.jsonata.org/programming): a lambda's `<…>` types its
/// arguments; `-` takes a missing one from the context, an array parameter wraps a single
/// value. Expected values are jsonata-js's (its test suite, function-signatures).
#[test]
fn lambda_signatures() {
    eq("λ($arg)<b:b>{$not($arg)}(true)", json!(false));
    eq("function($x,$y)<n-n:n>{$x+$y}(2, 6)", json!(8));
    eq(
        "[1..5].function($x,$y)<n-n:n>{$x+$y}(6)",
        json!([7, 8, 9, 10, 11]),
    );
    check(
        "Account.Order.Product.Description.Colour.λ($str)<s->{$uppercase($str)}()",
        &invoice(),
        Some(json!(["PURPLE", "ORANGE", "PURPLE", "BLACK"])),
    );
    eq(
        r#"λ($arr, $sep)<a<s>s?:s>{$join($arr, $sep)}("a", "-")"#,
        json!("a"),
    );
    eq("λ($arr)<a<a<n>>>{$arr}([[1]])", json!([[1]]));
    eq(r#"λ($num)<(ns)-:n>{$number($num)}("5")"#, json!(5));
    let n = json!(null);
    assert_eq!(
        fails(r#"λ($arg1, $arg2)<nn:a>{[$arg1, $arg2]}(1, "2")"#, &n),
        "T0410"
    );
    assert_eq!(
        fails("λ($arg1, $arg2)<nn:a>{[$arg1, $arg2]}(1, 3, 2)", &n),
        "T0410"
    );
    assert_eq!(fails(r#"λ($arr)<a<n>>{$arr}([1, 2, "3"])"#, &n), "T0412");
    assert_eq!(
        fails(r#"($fun := λ($arr)<a<n>>{$arr}; $fun("f"))"#, &n),
        "T0412"
    );
    assert_eq!(fails("λ($arg)<n<n>>{$arg}(5)", &n), "S0401");
    assert_eq!(fails("λ($arr)<(sa<n>)>>{$arr}([[1]])", &n), "S0402");
    // A recursive call is checked too.
    assert_eq!(
        fails(
            "($f := function($s, $x)<sn:s>{ $x > 0 ? $f([$s, $s], $x - 1) : $s }; $f('a', 2))",
            &n
        ),
        "T0410"
    );
}

/// jsonata-js runs a call in tail position without growing the stack ("Tail call
/// optimization", docs.jsonata.org/programming), so loops written as recursion run deep.
#[test]
fn tail_calls_run_in_constant_stack() {
    eq(
        "($even := function($n) { $n = 0 ? true : $odd($n-1) }; $odd := function($n) { $n = 0 ? false : $even($n-1) }; $odd(6555))",
        json!(true),
    );
    eq(
        "($factorial := function($n){( $iter := function($n, $acc) { $n = 0 ? $acc : $iter($n - 1, $n * $acc) }; $iter($n, 1) )}; $factorial(5))",
        json!(120),
    );
    // A recursion that never ends is still an error, not a hang.
    assert_eq!(
        fails("($inf := function(){ $inf() }; $inf())", &json!(null)),
        "U1001"
    );
}

#[test]
fn comments_and_blocks() {
    eq("/* a comment */ (1 + 2; 3 * 4)", json!(12));
}

#[test]
fn transform() {
    let inv = invoice();
    let got = leadline_jsonata::Expression::parse(
        "$ ~> |Account.Order.Product|{'Total': Price * Quantity}, ['Description', 'SKU']|",
    )
    .and_then(|e| e.evaluate(Some(&inv)))
    .expect("transform evaluates");
    let expected = json!({"Account": {"Account Name": "Firefly", "Order": [
        {"OrderID": "order103", "Product": [
            {"Product Name": "Bowler Hat", "ProductID": 858383, "Price": 34.45, "Quantity": 2, "Total": 68.9},
            {"Product Name": "Trilby hat", "ProductID": 858236, "Price": 21.67, "Quantity": 1, "Total": 21.67}
        ]},
        {"OrderID": "order104", "Product": [
            {"Product Name": "Bowler Hat", "ProductID": 858383, "Price": 34.45, "Quantity": 4, "Total": 137.8},
            {"ProductID": 345664, "Product Name": "Cloak", "Price": 107.99, "Quantity": 1, "Total": 107.99}
        ]}
    ]}});
    assert_eq!(got, Some(expected));
    // The input document itself is unchanged.
    check(
        "Account.Order[0].Product[0].SKU",
        &inv,
        Some(json!("0406654608")),
    );
}

#[test]
fn parent_operator() {
    check(
        "Account.Order.Product.{ 'Product': `Product Name`, 'Order': %.OrderID, 'Account': %.%.`Account Name` }",
        &invoice(),
        Some(json!([
            {"Product": "Bowler Hat", "Order": "order103", "Account": "Firefly"},
            {"Product": "Trilby hat", "Order": "order103", "Account": "Firefly"},
            {"Product": "Bowler Hat", "Order": "order104", "Account": "Firefly"},
            {"Product": "Cloak", "Order": "order104", "Account": "Firefly"}
        ])),
    );
    // In a predicate, % is the parent of the item being tested.
    check(
        "Account.Order.Product[%.OrderID = 'order104'].SKU",
        &invoice(),
        Some(json!(["040657863", "0406654603"])),
    );
    assert_eq!(support::fails("%.x", &json!({"x": 1})), "S0217");
    // A step that reads % runs item by item: the array it builds is not kept whole.
    check(
        "Account.Order.Product.[`Product Name`, %.OrderID]",
        &invoice(),
        Some(json!([
            "Bowler Hat",
            "order103",
            "Trilby hat",
            "order103",
            "Bowler Hat",
            "order104",
            "Cloak",
            "order104"
        ])),
    );
    // Only a named step has a parent; `%()` calls nothing.
    assert_eq!(
        support::fails("{'hello': 'world'}.%", &json!(null)),
        "S0217"
    );
    assert_eq!(support::fails("$.%", &json!({})), "S0217");
    assert_eq!(support::fails("%()", &json!({})), "T1006");
}

/// After a run of `@` joins the context is still the joins' input, so `%` is that input's
/// parent level: the library in `library.loans@$L.books@$B` (jsonata-js's suite, parent.json).
#[test]
fn parent_after_context_bindings() {
    let data = json!({"library": {
        "books": [{"title": "SICP", "isbn": "1"}, {"title": "Dragon", "isbn": "2"}],
        "loans": [{"isbn": "2", "customer": "c1"}],
        "customers": [{"id": "c1", "name": "Joe"}]
    }});
    check(
        "library.loans@$L.books@$B[$L.isbn=$B.isbn].{ 'book': $B.title, 'parent': $keys(%) }",
        &data,
        Some(json!({"book": "Dragon", "parent": ["books", "loans", "customers"]})),
    );
    check(
        "library.loans@$L.books@$B[$L.isbn=$B.isbn].customers@$C[$C.id=$L.customer].{ 'customer': $C.name, 'grandparent': $keys(%.%) }",
        &data,
        Some(json!({"customer": "Joe", "grandparent": "library"})),
    );
}

/// The reference implementation's test suite (jsonata-js `test/test-suite/groups/joins`), on
/// its "library" dataset.
fn library() -> serde_json::Value {
    json!({"library": {
        "books": [
            {"title": "Structure and Interpretation of Computer Programs", "authors": ["Abelson", "Sussman"], "isbn": "9780262510875", "price": 38.90, "copies": 2},
            {"title": "The C Programming Language", "authors": ["Kernighan", "Richie"], "isbn": "9780131103627", "price": 33.59, "copies": 3},
            {"title": "The AWK Programming Language", "authors": ["Aho", "Kernighan", "Weinberger"], "isbn": "9780201079814", "copies": 1},
            {"title": "Compilers: Principles, Techniques, and Tools", "authors": ["Aho", "Lam", "Sethi", "Ullman"], "isbn": "9780201100884", "price": 23.38, "copies": 1}
        ],
        "loans": [
            {"customer": "10001", "isbn": "9780262510875", "return": "2016-12-05"},
            {"customer": "10003", "isbn": "9780201100884", "return": "2016-10-22"},
            {"customer": "10003", "isbn": "9780262510875", "return": "2016-12-22"}
        ]
    }})
}

#[test]
fn context_binding_joins() {
    check(
        "library.loans@$l.books@$b[$l.isbn=$b.isbn].{ 'title': $b.title, 'customer': $l.customer }",
        &library(),
        Some(json!([
            {"title": "Structure and Interpretation of Computer Programs", "customer": "10001"},
            {"title": "Compilers: Principles, Techniques, and Tools", "customer": "10003"},
            {"title": "Structure and Interpretation of Computer Programs", "customer": "10003"}
        ])),
    );
}

#[test]
fn positional_binding() {
    check(
        "library.books#$pos.$[$substring(title,0,3) = 'The'].$pos",
        &library(),
        Some(json!([1, 2])),
    );
    // After a sort, positions are in sorted order; after a predicate, in the filtered
    // sequence (jsonata-js's suite, joins/index.json).
    let digits = json!([3, 1, 4, 1, 5, 9]);
    check("$^($)#$pos[$pos<3]", &digits, Some(json!([1, 1, 3])));
    check("$[[1..4]]#$pos[$pos>=2]", &digits, Some(json!([1, 5])));
}

#[test]
fn grouping_sees_join_bindings() {
    // The pattern of the reference suite's employee map-reduce joins, on the library data: the
    // key and value expressions of the grouping read the variables bound by @.
    check(
        "library.loans@$l.books@$b[$l.isbn=$b.isbn]{ $b.title: $l.customer }",
        &library(),
        Some(json!({
            "Structure and Interpretation of Computer Programs": ["10001", "10003"],
            "Compilers: Principles, Techniques, and Tools": "10003"
        })),
    );
}

#[test]
fn variables_lists_every_variable_read() {
    let e = Expression::parse("$map($states.input.items, function($v) { $v * $rate }) ~> $sum")
        .unwrap();
    let names: Vec<&str> = e.variables().into_iter().collect();
    assert_eq!(names, ["map", "rate", "states", "sum", "v"]);
    assert!(Expression::parse("$$.a").unwrap().variables().contains("$"));
}

#[test]
fn input_names_are_first_steps_read_from_the_input_only() {
    let names = |s: &str| -> Vec<String> {
        Expression::parse(s)
            .unwrap()
            .input_names()
            .into_iter()
            .map(|(n, _)| n.to_owned())
            .collect()
    };
    assert_eq!(
        names("$states.input.items[value > 3].name"),
        Vec::<String>::new()
    );
    assert_eq!(names("phone.number"), ["phone"]);
    assert_eq!(names("1 + a"), ["a"]);
    assert_eq!(names("$map($states.input.a, function($x) { b })"), ["b"]);
    assert_eq!(
        names("$states.input^(price){kind: $sum(price)}"),
        Vec::<String>::new()
    );
}

#[test]
fn a_prepared_input_evaluates_like_a_converted_one() {
    let data = json!({"orders": [{"total": 3, "big": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9}}, {"total": 4}]});
    let input = leadline_jsonata::Input::new(&data);
    let context = leadline_jsonata::Context::default();
    for text in [
        "$sum(orders.total)",
        "orders.big.i",
        "orders[total > 3]",
        "$",
    ] {
        let e = Expression::parse(text).unwrap();
        assert_eq!(
            e.evaluate_input(&input, &context).unwrap(),
            e.evaluate(Some(&data)).unwrap(),
            "{text}"
        );
    }
    let sum = Expression::parse("$sum(orders.total) + orders[0].big.i").unwrap();
    assert_eq!(
        sum.evaluate_input(&input, &context).unwrap(),
        Some(json!(16))
    );
}

#[test]
fn reads_field_finds_a_variables_field_anywhere() {
    let e = Expression::parse("$count($states.errorOutput.Cause) + 1").unwrap();
    assert!(e.reads_field("states", "errorOutput"));
    assert!(!e.reads_field("states", "input"));
    let e = Expression::parse("$states.input.errorOutput").unwrap();
    assert!(!e.reads_field("states", "errorOutput"));
}
