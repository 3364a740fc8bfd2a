//! docs.jsonata.org "Date/Time functions" and "Date/Time processing" (picture strings).

mod support;

use leadline_jsonata::{Context, Expression};
use serde_json::json;
use support::{eq, fails};

fn at(expr: &str, millis: i64) -> Option<serde_json::Value> {
    Expression::parse(expr)
        .and_then(|e| e.evaluate_in(None, &Context::default().at_millis(millis)))
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

#[test]
fn to_and_from_millis() {
    eq(
        r#"$toMillis("2017-11-07T15:07:54.972Z")"#,
        json!(1510067274972i64),
    );
    eq(
        "$fromMillis(1510067274972)",
        json!("2017-11-07T15:07:54.972Z"),
    );
    eq(r#"$toMillis("2017-11-07")"#, json!(1510012800000i64));
    eq(
        r#"$toMillis("2017-11-07T16:07:54.972+01:00")"#,
        json!(1510067274972i64),
    );
    assert_eq!(fails(r#"$toMillis("yesterday")"#, &json!(null)), "D3110");
}

#[test]
fn to_millis_with_pictures() {
    // docs.jsonata.org "Date/Time processing": $toMillis reads the pictures $fromMillis writes.
    eq(
        "$toMillis('13/09/2018', '[D]/[M]/[Y]')",
        json!(1536796800000i64),
    );
    eq(
        "$toMillis('13/09/2018 15:37', '[D]/[M]/[Y] [H]:[m]')",
        json!(1536853020000i64),
    );
    eq(
        "$toMillis('Thursday, 13th September 2018', '[FNn], [D1o] [MNn] [Y]')",
        json!(1536796800000i64),
    );
    eq(
        "$toMillis('4/4/2018 11:30 pm', '[D1]/[M1]/[Y0001] [h]:[m] [P]')",
        json!(1522884600000i64),
    );
    eq(
        "$toMillis('2 Feb 2012', '[D1] [MNn,3-3] [Y0001]')",
        json!(1328140800000i64),
    );
    eq(
        "$toMillis('twenty-first August two thousand and seventeen', '[Dw] [MNn] [Yw]')",
        json!(1503273600000i64),
    );
    eq(
        "$toMillis('2018-03-27T14:03:00.123+01:00', '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z]')",
        json!(1522155780123i64),
    );
    eq(
        "$toMillis('2018-094', '[Y0001]-[d001]')",
        json!(1522800000000i64),
    );
    // Components before the first one given come from now; a gap is refused.
    assert_eq!(
        at("$toMillis('13:45', '[H]:[m]')", 1510067274972),
        Some(json!(1510062300000i64))
    );
    assert_eq!(
        fails("$toMillis('2018-22', '[Y]-[D]')", &json!(null)),
        "D3136"
    );
    assert_eq!(at("$toMillis('irrelevant', '[Y]-[M]-[D]')", 0), None);
}

#[test]
fn to_millis_as_jsonata_js_reads_pictures() {
    // Outputs of jsonata 2.0.6 (tools/jsonata-bench), which reads pictures its own way.
    // A year, month or day with a digit count reads exactly that many digits.
    eq(
        "$toMillis('20180305', '[Y0001][M01][D01]')",
        json!(1520208000000i64),
    );
    assert_eq!(at("$toMillis('2018-3-5', '[Y0001]-[M01]-[D01]')", 0), None);
    // Out-of-range fields carry over, as in Date.UTC; years 0-99 are 1900-1999.
    eq(
        "$toMillis('2018-13-05', '[Y]-[M]-[D]')",
        json!(1546646400000i64),
    );
    eq(
        "$toMillis('84-11-05', '[Y,2]-[M]-[D]')",
        json!(468460800000i64),
    );
    // Names are looked up with their case: an unknown one is a component not given.
    eq(
        "$toMillis('5 Nov 2018', '[D] [MNn,3-3] [Y]')",
        json!(1541376000000i64),
    );
    assert_eq!(
        fails(
            "$toMillis('5 november 2018', '[D] [MNn] [Y]')",
            &json!(null)
        ),
        "D3136"
    );
    // A day of the year is lined up with the day of the month: an hour after it is a gap.
    assert_eq!(
        fails("$toMillis('2018-1 12', '[Y]-[d] [H]')", &json!(null)),
        "D3136"
    );
    // Zone hours keep their sign and the minutes are added to them.
    eq(
        "$toMillis('2018-11-05 12:30 +05:30', '[Y]-[M]-[D] [H]:[m] [Z]')",
        json!(1541401200000i64),
    );
    eq(
        "$toMillis('2018-11-05 12:30 -05:30', '[Y]-[M]-[D] [H]:[m] [Z]')",
        json!(1541437200000i64),
    );
}

#[test]
fn now_and_millis_come_from_the_context_clock() {
    assert_eq!(
        at("$now()", 1510067274972),
        Some(json!("2017-11-07T15:07:54.972Z"))
    );
    assert_eq!(
        at("$millis()", 1510067274972),
        Some(json!(1510067274972i64))
    );
    // One instant per evaluation.
    assert_eq!(at("$millis() = $millis()", 5), Some(json!(true)));
}

#[test]
fn from_millis_with_pictures_and_zones() {
    // docs.jsonata.org, $fromMillis.
    eq(
        "$fromMillis(1510067557121, '[M01]/[D01]/[Y0001] [h#1]:[m01][P]')",
        json!("11/07/2017 3:12pm"),
    );
    eq(
        "$fromMillis(1510067557121, '[H01]:[m01]:[s01] [z]', '-0500')",
        json!("10:12:37 GMT-05:00"),
    );
    // docs.jsonata.org, "Date/Time processing": pictures of the XPath format-dateTime kind.
    let t = 1510067557121i64; // 2017-11-07T15:12:37.121Z, a Tuesday
    let pictures = [
        ("[Y0001]-[M01]-[D01]", "2017-11-07"),
        ("[M]/[D]/[Y]", "11/7/2017"),
        ("[D1o] [MNn], [Y]", "7th November, 2017"),
        ("[FNn], [D1o] [MNn,3-3] [Y]", "Tuesday, 7th Nov 2017"),
        ("[F], [MN] [Dw]", "tuesday, NOVEMBER seven"),
        ("[Y,2]-[M01]", "17-11"),
        ("[Y01]", "17"),
        ("[YI]", "MMXVII"),
        ("[Dwo] of [MNn]", "seventh of November"),
        ("[H]:[m]:[s].[f001]", "15:12:37.121"),
        ("[h]:[m01] [PN]", "3:12 PM"),
        ("[d] [W] [X]", "311 45 2017"),
        ("[Z] [Z0101] [Z01t] [z]", "+00:00 +0000 Z GMT+00:00"),
        ("[[[Y]]]", "[2017]"),
    ];
    for (picture, expected) in pictures {
        assert_eq!(
            at(&format!("$fromMillis({t}, '{picture}')"), 0),
            Some(json!(expected)),
            "{picture}"
        );
    }
    // A zone alone gives ISO 8601 at that offset.
    eq(
        "$fromMillis(1510067557121, (), '+0530')",
        json!("2017-11-07T20:42:37.121+05:30"),
    );
    assert_eq!(
        at("$now('[Y0001]-[M01]-[D01]', '+1000')", 1510067557121),
        Some(json!("2017-11-08"))
    );
    assert_eq!(fails("$fromMillis(0, '[Q]')", &json!(null)), "D3132");
    assert_eq!(fails("$fromMillis(0, '[Y')", &json!(null)), "D3135");
}

#[test]
fn pictures_as_jsonata_js_writes_them() {
    // Outputs of jsonata 2.0.6 (the version Step Functions runs, tools/jsonata-bench) for
    // pictures the documentation leaves open. 2017-11-07T15:12:37.121Z, a Tuesday.
    let t = 1510067557121i64;
    let pictures = [
        // Fractional seconds are the milliseconds written as an integer.
        ("[f]", "121"),
        ("[f0001]", "0121"),
        // A maximum width is the number of digits of a month or day.
        ("[D01,*-1]", "7"),
        ("[Dwo,*-3]", "seventh"),
        // Only N upper-cases the am/pm marker.
        ("[PNn]", "pm"),
        ("[PN]", "PM"),
        ("[F1o]", "2nd"),
        // Digits of another family.
        (
            "[Y\u{660}\u{660}\u{660}\u{660}]",
            "\u{662}\u{660}\u{661}\u{667}",
        ),
    ];
    for (picture, expected) in pictures {
        assert_eq!(
            at(&format!("$fromMillis({t}, '{picture}')"), 0),
            Some(json!(expected)),
            "{picture}"
        );
    }
    // The time zone is read with parseInt and split into hours (the hundreds, rounded down)
    // and minutes, both signed: "-0530" is six and a half hours behind, written -06:30.
    let zones = [
        ("+0530", "[Z0101]", "+0530"),
        ("530", "[Z]", "+05:30"),
        ("-0530", "[H01]:[m01] [Z]", "08:42 -06:30"),
    ];
    for (zone, picture, expected) in zones {
        assert_eq!(
            at(&format!("$fromMillis({t}, '{picture}', '{zone}')"), 0),
            Some(json!(expected)),
            "{zone} {picture}"
        );
    }
}

#[test]
fn week_of_month() {
    // jsonata-js test suite, function-fromMillis: `[w]` counts weeks from Monday, week 1 of a
    // month holding its first Thursday; `[x]` is the month those weeks belong to.
    let cases = [
        (1359460800000i64, "Week: 5 of January"), // Tue 29 Jan 2013
        (1359633600000, "Week: 5 of January"),    // Thu 31 Jan 2013
        (1359720000000, "Week: 5 of January"),    // Fri 1 Feb 2013
        (1514808000000, "Week: 1 of January"),    // Mon 1 Jan 2018
        (1483272000000, "Week: 5 of December"),   // Sun 1 Jan 2017
        (1533038400000, "Week: 1 of August"),     // Tue 31 Jul 2018
        (1419940800000, "Week: 1 of January"),    // Tue 30 Dec 2014
    ];
    for (millis, expected) in cases {
        assert_eq!(
            at(&format!("$fromMillis({millis}, 'Week: [w] of [xNn]')"), 0),
            Some(json!(expected)),
            "{millis}"
        );
    }
    // Thursday 1 January 1970 is in the first week of January (the week from Monday 29
    // December 1969 holds the month's first Thursday).
    eq("$fromMillis(0, '[w] [x] [X]')", json!("1 1 1970"));
    // Reading a date back from week components is not supported, as in jsonata-js.
    assert_eq!(
        fails("$toMillis('2018-3-2-5', '[X]-[x]-[w]-[F1]')", &json!(null)),
        "D3136"
    );
    assert_eq!(
        fails("$toMillis('2018-32-5', '[X]-[W]-[F1]')", &json!(null)),
        "D3136"
    );
}

#[test]
fn format_integer_ordinals() {
    // docs.jsonata.org, $formatInteger: `;o` writes ordinals.
    eq("$formatInteger(2, 'w;o')", json!("second"));
    eq("$formatInteger(21, '1;o')", json!("21st"));
    eq("$formatInteger(28, '#0;o')", json!("28th"));
    eq("$formatInteger(1234, '###0;o')", json!("1234th"));
    // A decimal pattern needs a mandatory digit: '#' alone is a numbering sequence, which
    // jsonata-js does not support.
    assert_eq!(fails("$formatInteger(112, '#;o')", &json!(null)), "D3130");
    eq("$formatInteger(3, 'Ww;o')", json!("Third"));
    eq("$formatInteger(42, 'w;o')", json!("forty-second"));
}
