//! Boolean functions.

use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("boolean", "<x-:b>", 1, boolean),
    builtin("not", "<x-:b>", 1, not),
    builtin("exists", "<x:b>", 1, exists),
];

fn boolean(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let v = a.value(0);
    Ok(if v.is_undefined() {
        Value::Undefined
    } else {
        Value::Bool(v.truthy())
    })
}

fn not(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let v = a.value(0);
    Ok(if v.is_undefined() {
        Value::Undefined
    } else {
        Value::Bool(!v.truthy())
    })
}

fn exists(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(Value::Bool(!a.value(0).is_undefined()))
}
