//! Array functions.

use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::{append as append_values, merge_sort, Evaluator};
use crate::value::{deep_equal, Value};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("count", "<a:n>", 1, count),
    builtin("append", "<xx:a>", 2, append),
    builtin("sort", "<af?:a>", 2, sort),
    builtin("reverse", "<a:a>", 1, reverse),
    builtin("shuffle", "<a:a>", 1, shuffle),
    builtin("distinct", "<x:x>", 1, distinct),
    builtin("zip", "<a+>", 1, zip),
];

fn count(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(Value::Number(a.array(0).map_or(0, |xs| xs.len()) as f64))
}

fn append(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(append_values(a.value(0), a.value(1)))
}

/// Without a function, all numbers or all strings in ascending order (D3070 otherwise);
/// with one, `f($l, $r)` true means `$l` belongs after `$r`. Both sorts are stable.
fn sort(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(items) = a.array(0) else {
        return Ok(Value::Undefined);
    };
    let sorted = match a.function(1)? {
        Some(f) => merge_sort(items, &mut |x, y| {
            Ok(ev
                .apply(&f, vec![x.clone(), y.clone()], a.input, a.position)?
                .truthy())
        })?,
        None => {
            let all_numbers = items.iter().all(|v| matches!(v, Value::Number(_)));
            let all_strings = items.iter().all(|v| matches!(v, Value::String(_)));
            if !all_numbers && !all_strings {
                return Err(Error::dynamic("D3070", a.position, "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"));
            }
            merge_sort(items, &mut |x, y| {
                Ok(match (x, y) {
                    (Value::Number(p), Value::Number(q)) => p > q,
                    (Value::String(p), Value::String(q)) => p > q,
                    _ => false,
                })
            })?
        }
    };
    Ok(Value::array(sorted))
}

fn reverse(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.array(0).map_or(Value::Undefined, |mut xs| {
        xs.reverse();
        Value::array(xs)
    }))
}

fn shuffle(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.array(0).map_or(Value::Undefined, |mut xs| {
        fastrand::shuffle(&mut xs);
        Value::array(xs)
    }))
}

fn distinct(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let v = a.value(0);
    // Like jsonata-js, a non-array or an array of at most one item comes back as it is.
    match &v {
        Value::Array(items, _) if items.len() > 1 => {}
        _ => return Ok(v),
    }
    let mut out: Vec<Value> = Vec::new();
    for item in v.into_items() {
        if !out.iter().any(|seen| deep_equal(seen, &item)) {
            out.push(item);
        }
    }
    Ok(Value::array(out))
}

/// `$zip` takes any number of arrays; the result is as long as the shortest.
fn zip(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    // A missing argument is an empty array, so it empties the result.
    let arrays: Vec<Vec<Value>> = (0..a.count())
        .map(|i| a.array(i).unwrap_or_default())
        .collect();
    let len = arrays.iter().map(Vec::len).min().unwrap_or(0);
    Ok(Value::array(
        (0..len)
            .map(|i| Value::array(arrays.iter().map(|xs| xs[i].clone()).collect()))
            .collect(),
    ))
}
