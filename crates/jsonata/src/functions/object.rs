//! Object functions, and `$error`/`$assert`/`$type`, which the documentation lists with them.

use std::rc::Rc;

use super::{builtin, hof_args, Args, Builtin};
use crate::error::Error;
use crate::evaluator::{lookup as lookup_key, Evaluator};
use crate::value::{Object, Value};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("keys", "<x-:a<s>>", 1, keys),
    builtin("lookup", "<x-s:x>", 2, lookup),
    builtin("spread", "<x-:a<o>>", 1, spread),
    builtin("merge", "<a<o>:o>", 1, merge),
    builtin("sift", "<o-f?:o>", 2, sift),
    builtin("each", "<o-f:a>", 2, each),
    builtin("error", "<s?:x>", 1, error),
    builtin("assert", "<bs?:x>", 2, assert),
    builtin("type", "<x:s>", 1, type_of),
];

fn object(a: &Args, i: usize) -> Result<Option<Rc<Object>>, Error> {
    match a.value(i) {
        Value::Undefined => Ok(None),
        Value::Object(o) => Ok(Some(o)),
        _ => Err(a.mismatch(i)),
    }
}

fn keys(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let mut out: Vec<String> = Vec::new();
    for item in a.value(0).into_items() {
        if let Value::Object(o) = item {
            for k in o.keys() {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
        }
    }
    Ok(Value::sequence(
        out.into_iter().map(Value::string).collect(),
    ))
}

fn lookup(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let key = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    Ok(lookup_key(&a.value(0), &key))
}

fn spread(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let v = a.value(0);
    let mut out = Vec::new();
    match &v {
        Value::Array(items, _) => {
            for item in items.iter() {
                if let Value::Object(o) = item {
                    out.extend(singletons(o));
                } else {
                    out.push(item.clone());
                }
            }
        }
        Value::Object(o) => out.extend(singletons(o)),
        _ => return Ok(v),
    }
    Ok(Value::sequence(out))
}

fn singletons(o: &Object) -> impl Iterator<Item = Value> + '_ {
    o.iter()
        .map(|(k, v)| Value::Object(Rc::new(Object::from([(k.clone(), v.clone())]))))
}

fn merge(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(items) = a.array(0) else {
        return Ok(Value::Undefined);
    };
    let mut out = Object::new();
    for item in items {
        match item {
            Value::Object(o) => out.extend(o.iter().map(|(k, v)| (k.clone(), v.clone()))),
            _ => return Err(a.mismatch(0)),
        }
    }
    Ok(Value::Object(Rc::new(out)))
}

fn sift(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(o) = object(a, 0)? else {
        return Ok(Value::Undefined);
    };
    let f = a.function(1)?.ok_or_else(|| a.mismatch(1))?;
    let mut out = Object::new();
    for (k, v) in o.iter() {
        let args = hof_args(
            &f,
            vec![
                v.clone(),
                Value::string(k.as_str()),
                Value::Object(o.clone()),
            ],
        );
        if ev.apply(&f, args, a.input, a.position)?.truthy() {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(if out.is_empty() {
        Value::Undefined
    } else {
        Value::Object(Rc::new(out))
    })
}

fn each(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(o) = object(a, 0)? else {
        return Ok(Value::Undefined);
    };
    let f = a.function(1)?.ok_or_else(|| a.mismatch(1))?;
    let mut out = Vec::with_capacity(o.len());
    for (k, v) in o.iter() {
        let args = hof_args(
            &f,
            vec![
                v.clone(),
                Value::string(k.as_str()),
                Value::Object(o.clone()),
            ],
        );
        let r = ev.apply(&f, args, a.input, a.position)?;
        if !r.is_undefined() {
            out.push(r);
        }
    }
    Ok(Value::sequence(out))
}

fn error(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let message = a.string(0)?.map_or_else(
        || "$error() function evaluated".to_string(),
        |s| s.to_string(),
    );
    Err(Error::Raised {
        code: "D3137",
        message,
    })
}

fn assert(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let ok = a.boolean(0)?.ok_or_else(|| a.mismatch(0))?;
    if ok {
        return Ok(Value::Undefined);
    }
    let message = a.string(1)?.map_or_else(
        || "$assert() statement failed".to_string(),
        |s| s.to_string(),
    );
    Err(Error::Raised {
        code: "D3141",
        message,
    })
}

fn type_of(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let v = a.value(0);
    Ok(if v.is_undefined() {
        Value::Undefined
    } else {
        Value::string(v.type_name())
    })
}
