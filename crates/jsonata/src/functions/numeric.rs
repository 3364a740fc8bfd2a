//! Numeric and aggregation functions.

use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::{format_number, Value};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("number", "<(nsb)-:n>", 1, number),
    builtin("abs", "<n-:n>", 1, abs),
    builtin("floor", "<n-:n>", 1, floor),
    builtin("ceil", "<n-:n>", 1, ceil),
    builtin("round", "<n-n?:n>", 2, round),
    builtin("power", "<n-n:n>", 2, power),
    builtin("sqrt", "<n-:n>", 1, sqrt),
    builtin("formatBase", "<n-n?:s>", 2, format_base),
    builtin("sum", "<a<n>:n>", 1, sum),
    builtin("max", "<a<n>:n>", 1, max),
    builtin("min", "<a<n>:n>", 1, min),
    builtin("average", "<a<n>:n>", 1, average),
];

fn finite(n: f64, code: &'static str, position: usize) -> Result<Value, Error> {
    if n.is_finite() {
        Ok(Value::Number(n))
    } else {
        Err(Error::dynamic(
            code,
            position,
            format!("Number out of range: {n}"),
        ))
    }
}

/// `$number`: JSON number syntax, plus the `0x`/`0o`/`0b` prefixes JSONata 2.0 accepts.
fn number(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let v = a.value(0);
    let unconvertible = || Error::dynamic("D3030", a.position, "Unable to cast value to a number");
    Ok(match v {
        Value::Undefined => Value::Undefined,
        Value::Number(n) => Value::Number(n),
        Value::Bool(b) => Value::Number(if b { 1.0 } else { 0.0 }),
        Value::String(s) => {
            let t = s.trim();
            let radix = [
                ("0x", 16),
                ("0X", 16),
                ("0o", 8),
                ("0O", 8),
                ("0b", 2),
                ("0B", 2),
            ]
            .iter()
            .find_map(|(p, r)| t.strip_prefix(p).map(|rest| (rest, *r)));
            let n = match radix {
                Some((digits, r)) => i64::from_str_radix(digits, r)
                    .map(|n| n as f64)
                    .map_err(|_| unconvertible())?,
                // JSON's number grammar, except that leading zeros are allowed ("007"), as
                // jsonata-js's cast allows them.
                None if json_number_with_leading_zeros(t) => {
                    t.parse::<f64>().map_err(|_| unconvertible())?
                }
                None => return Err(unconvertible()),
            };
            finite(n, "D3030", a.position)?
        }
        _ => return Err(a.mismatch(0)),
    })
}

fn unary(a: &Args, f: fn(f64) -> f64) -> Result<Value, Error> {
    Ok(a.number(0)?
        .map_or(Value::Undefined, |n| Value::Number(f(n))))
}

fn abs(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    unary(a, f64::abs)
}

fn floor(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    unary(a, f64::floor)
}

fn ceil(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    unary(a, f64::ceil)
}

/// Shifts the decimal point by `places` through the decimal text, as jsonata-js does, so
/// that `123.456` shifted by 2 is exactly `12345.6` rather than a binary neighbour.
fn shift(n: f64, places: i32) -> f64 {
    let text = format!("{n:e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mantissa}e{}", exp + places).parse().unwrap_or(n)
}

/// Round half to even ("banker's rounding") at `precision` decimal places.
pub(crate) fn round_half_even(n: f64, precision: i32) -> f64 {
    let shifted = shift(n, precision);
    let mut r = (shifted + 0.5).floor();
    if (r - shifted).abs() == 0.5 && r % 2.0 != 0.0 {
        r -= 1.0;
    }
    shift(r, -precision)
}

fn round(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(n) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    let precision = a.number(1)?.unwrap_or(0.0) as i32;
    Ok(Value::Number(round_half_even(n, precision)))
}

fn power(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(base) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    let exp = a.number(1)?.ok_or_else(|| a.mismatch(1))?;
    finite(base.powf(exp), "D3061", a.position)
}

fn sqrt(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    match a.number(0)? {
        None => Ok(Value::Undefined),
        Some(n) if n < 0.0 => Err(Error::dynamic(
            "D3060",
            a.position,
            format!(
                "The sqrt function cannot be applied to a negative number: {}",
                format_number(n)
            ),
        )),
        Some(n) => Ok(Value::Number(n.sqrt())),
    }
}

fn format_base(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(n) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    let radix = a.number(1)?.unwrap_or(10.0);
    if !(2.0..=36.0).contains(&radix) {
        return Err(Error::dynamic(
            "D3100",
            a.position,
            format!(
                "The radix of the formatBase function must be between 2 and 36.  It was given {}",
                format_number(radix)
            ),
        ));
    }
    let radix = radix as u32;
    let n = n.round() as i64;
    let mut digits = Vec::new();
    let mut m = n.unsigned_abs();
    loop {
        digits.push(std::char::from_digit((m % u64::from(radix)) as u32, radix).unwrap_or('?'));
        m /= u64::from(radix);
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        digits.push('-');
    }
    Ok(Value::string(digits.into_iter().rev().collect::<String>()))
}

fn sum(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.numbers(0)?
        .map_or(Value::Undefined, |ns| Value::Number(ns.iter().sum())))
}

fn max(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.numbers(0)?
        .and_then(|ns| ns.into_iter().reduce(f64::max))
        .map_or(Value::Undefined, Value::Number))
}

fn min(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.numbers(0)?
        .and_then(|ns| ns.into_iter().reduce(f64::min))
        .map_or(Value::Undefined, Value::Number))
}

fn average(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(match a.numbers(0)? {
        Some(ns) if !ns.is_empty() => Value::Number(ns.iter().sum::<f64>() / ns.len() as f64),
        _ => Value::Undefined,
    })
}

fn json_number_with_leading_zeros(t: &str) -> bool {
    let body = t.strip_prefix('-').unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int)
        && frac.is_none_or(digits)
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}
