//! Date/time functions over ISO 8601 timestamps and epoch milliseconds. The evaluation's
//! clock comes from the caller (`Context::at_millis`), so `$now()` is deterministic in tests
//! and in the ASL engine. `$fromMillis` and `$now` format with XPath pictures and `±HHMM`
//! zones ([`super::picture`]), and `$toMillis` reads timestamps back with the same pictures.

use std::sync::OnceLock;

use regex::Regex;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("now", "<s?s?:s>", 0, now),
    builtin("millis", "<:n>", 0, millis),
    builtin("fromMillis", "<n-s?s?:s>", 1, from_millis),
    builtin("toMillis", "<s-s?:n>", 1, to_millis),
];

/// The default picture when only a time zone is given (jsonata-js's).
const ISO_PICTURE: &str = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

/// `millis` as `$fromMillis(millis, picture?, zone?)` writes it (arguments `from`, `from + 1`).
fn formatted(millis: i64, a: &Args, from: usize) -> Result<Value, Error> {
    let picture = a.string(from)?;
    let zone = a.string(from + 1)?;
    if picture.is_none() && zone.is_none() {
        return Ok(Value::string(iso8601(millis, a.position)?));
    }
    let zone = match &zone {
        Some(z) => super::picture::parse_zone(z, a.position)?,
        None => super::picture::Zone::default(),
    };
    let picture = picture.as_deref().unwrap_or(ISO_PICTURE);
    let text = super::picture::format(millis, picture, zone, a.position)?;
    Ok(Value::string(text))
}

/// `2017-11-07T15:07:54.972Z`: JavaScript's `Date.prototype.toISOString`, which JSONata uses.
fn iso8601(millis: i64, position: usize) -> Result<String, Error> {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).map_err(
        |_| {
            Error::dynamic(
                "D3110",
                position,
                format!("The timestamp {millis} is out of range"),
            )
        },
    )?;
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    ))
}

fn now(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    formatted(ev.now_millis, a, 0)
}

fn millis(ev: &Evaluator, _: &mut Args) -> Result<Value, Error> {
    Ok(Value::Number(ev.now_millis as f64))
}

fn from_millis(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(ms) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    // JavaScript's Date truncates a fractional timestamp towards zero.
    formatted(ms.trunc() as i64, a, 1)
}

/// ISO 8601 as JSONata accepts it without a picture: a year, optionally month and day, then
/// optionally `T` and a time (seconds and fraction optional) and an offset; without an offset
/// the time is UTC.
fn timestamp_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?)?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$")
            .unwrap_or_else(|e| unreachable!("constant pattern: {e}"))
    })
}

fn to_millis(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    if let Some(picture) = a.string(1)? {
        return Ok(
            match super::picture::parse(&s, &picture, ev.now_millis, a.position)? {
                Some(millis) => Value::Number(millis as f64),
                None => Value::Undefined,
            },
        );
    }
    let bad = || {
        Error::dynamic(
            "D3110",
            a.position,
            format!("Unable to parse the timestamp \"{s}\" as ISO 8601"),
        )
    };
    let caps = timestamp_pattern().captures(&s).ok_or_else(bad)?;
    // An absent month or day is the first ("2018" is 2018-01-01); absent time fields are 0.
    let num_or = |i: usize, absent: u32| {
        caps.get(i)
            .map_or(Ok(absent), |m| m.as_str().parse::<u32>().map_err(|_| bad()))
    };
    let num = |i: usize| num_or(i, 0);
    let fraction = caps.get(7).map_or("0", |m| m.as_str());
    // Milliseconds are the first three fraction digits ("5" is 500 ms).
    let milli: u16 = format!("{fraction:0<3}")[..3].parse().map_err(|_| bad())?;
    let month = Month::try_from(num_or(2, 1)? as u8).map_err(|_| bad())?;
    let date =
        Date::from_calendar_date(num(1)? as i32, month, num_or(3, 1)? as u8).map_err(|_| bad())?;
    let time = Time::from_hms_milli(num(4)? as u8, num(5)? as u8, num(6)? as u8, milli)
        .map_err(|_| bad())?;
    let offset = match caps.get(8).map(|m| m.as_str()) {
        None | Some("Z") => UtcOffset::UTC,
        Some(o) => {
            let digits: String = o[1..].chars().filter(char::is_ascii_digit).collect();
            let (h, m): (i8, i8) = (
                digits[..2].parse().map_err(|_| bad())?,
                digits[2..].parse().map_err(|_| bad())?,
            );
            let sign = if o.starts_with('-') { -1 } else { 1 };
            UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())?
        }
    };
    let t = PrimitiveDateTime::new(date, time).assume_offset(offset);
    Ok(Value::Number((t.unix_timestamp_nanos() / 1_000_000) as f64))
}
