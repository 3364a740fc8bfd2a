//! Higher-order functions over arrays. Each passes the callback only as many of
//! (value, index, array) as it declares.

use super::{builtin, hof_args, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("map", "<af>", 2, map),
    builtin("filter", "<af>", 2, filter),
    builtin("single", "<af?>", 2, single),
    builtin("reduce", "<afj?:j>", 3, reduce),
];

/// The array argument and the callback, applied to each item: `(item, callback result)`.
fn each_item(ev: &Evaluator, a: &Args) -> Result<Option<Vec<(Value, Value)>>, Error> {
    let Some(items) = a.array(0) else {
        return Ok(None);
    };
    let f = a.function(1)?.ok_or_else(|| a.mismatch(1))?;
    let whole = Value::array(items.clone());
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let args = hof_args(
            &f,
            vec![item.clone(), Value::Number(i as f64), whole.clone()],
        );
        let r = ev.apply(&f, args, a.input, a.position)?;
        out.push((item, r));
    }
    Ok(Some(out))
}

fn map(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(each_item(ev, a)?.map_or(Value::Undefined, |rs| {
        Value::sequence(
            rs.into_iter()
                .map(|(_, r)| r)
                .filter(|r| !r.is_undefined())
                .collect(),
        )
    }))
}

fn filter(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(each_item(ev, a)?.map_or(Value::Undefined, |rs| {
        Value::sequence(
            rs.into_iter()
                .filter(|(_, r)| r.truthy())
                .map(|(v, _)| v)
                .collect(),
        )
    }))
}

/// The one item that satisfies the test (every item, without one): D3138 for more, D3139 for
/// none.
fn single(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(items) = a.array(0) else {
        return Ok(Value::Undefined);
    };
    let matching: Vec<Value> = if a.function(1)?.is_some() {
        each_item(ev, a)?
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, r)| r.truthy())
            .map(|(v, _)| v)
            .collect()
    } else {
        items
    };
    match matching.len() {
        1 => Ok(matching.into_iter().next().unwrap_or(Value::Undefined)),
        0 => Err(Error::dynamic(
            "D3139",
            a.position,
            "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
        )),
        _ => Err(Error::dynamic(
            "D3138",
            a.position,
            "The $single() function expected exactly 1 matching result.  Instead it matched more.",
        )),
    }
}

fn reduce(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(items) = a.array(0) else {
        return Ok(Value::Undefined);
    };
    let f = a.function(1)?.ok_or_else(|| a.mismatch(1))?;
    if hof_args(&f, vec![Value::Null, Value::Null]).len() < 2 {
        return Err(Error::dynamic(
            "D3050",
            a.position,
            "The second argument of reduce function must be a function with at least two arguments",
        ));
    }
    let whole = Value::array(items.clone());
    let mut iter = items.into_iter().enumerate();
    let mut acc = match a.value(2) {
        Value::Undefined => match iter.next() {
            Some((_, first)) => first,
            None => return Ok(Value::Undefined),
        },
        init => init,
    };
    for (i, item) in iter {
        let args = hof_args(&f, vec![acc, item, Value::Number(i as f64), whole.clone()]);
        acc = ev.apply(&f, args, a.input, a.position)?;
    }
    Ok(acc)
}
