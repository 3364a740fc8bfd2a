//! Runtime values. JSONata needs more than JSON: `undefined` (distinct from `null`), functions
//! as values, and flags on arrays that drive sequence semantics (a *sequence* of one item
//! collapses to the item; a constructed array does not flatten into a path's results).
//! Arrays and objects are reference-counted so paths share rather than copy the input, and so
//! a transform can find its matches in a cloned document by identity.

use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Number;

use crate::ast::LambdaDef;
use crate::evaluator::Scope;

pub(crate) type Object = IndexMap<String, Value>;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ArrayFlags {
    /// A result sequence (collapses when it holds one item).
    pub sequence: bool,
    /// `[]` was applied: a sequence of one stays an array.
    pub keep_singleton: bool,
    /// Built by an array constructor in a path step: kept whole, not flattened.
    pub cons: bool,
    /// The top-level input array, wrapped so that `$[0]` and `*` see its items.
    pub outer_wrapper: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(Rc<str>),
    Array(Rc<Vec<Value>>, ArrayFlags),
    Object(Rc<Object>),
    Function(Rc<Function>),
}

pub(crate) enum Function {
    /// A lambda closes over its scope and over the context item it was defined in.
    Lambda {
        def: Arc<LambdaDef>,
        scope: Rc<Scope>,
        input: Value,
    },
    Builtin(&'static crate::functions::Builtin),
    /// A partial application: `None` arguments are the `?` placeholders.
    Partial {
        func: Value,
        args: Vec<Option<Value>>,
    },
    Regex(Arc<regex::Regex>),
    /// `|pattern|update,delete|`.
    Transform {
        node: Rc<crate::ast::Node>,
        scope: Rc<Scope>,
    },
    /// `f ~> g` where both are functions: `g(f(x))`.
    Chain(Value, Value),
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<function>")
    }
}

impl Value {
    pub fn string(s: impl Into<Rc<str>>) -> Self {
        Value::String(s.into())
    }

    pub fn array(items: Vec<Value>) -> Self {
        Value::Array(Rc::new(items), ArrayFlags::default())
    }

    pub fn sequence(items: Vec<Value>) -> Self {
        Value::Array(
            Rc::new(items),
            ArrayFlags {
                sequence: true,
                ..ArrayFlags::default()
            },
        )
    }

    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// The items of an array, or the value itself as a one-item list (`undefined` as none).
    pub fn into_items(self) -> Vec<Value> {
        match self {
            Value::Undefined => Vec::new(),
            Value::Array(items, _) => Rc::try_unwrap(items).unwrap_or_else(|rc| (*rc).clone()),
            other => vec![other],
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(..) => "array",
            Value::Object(_) => "object",
            Value::Function(_) => "function",
        }
    }

    /// JSONata's truthiness (`$boolean`): empty strings, zero, empty arrays and objects, null
    /// and functions are false; an array is true if any item is.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null | Value::Function(_) => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Array(items, _) => items.iter().any(Value::truthy),
            Value::Object(o) => !o.is_empty(),
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(a) => Value::array(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Object(Rc::new(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// JSON for the value; `None` for `undefined` and functions, which JSON cannot hold
    /// (inside objects they are left out, inside arrays they become null, as `JSON.stringify`
    /// does).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self {
            Value::Undefined | Value::Function(_) => return None,
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(items, _) => serde_json::Value::Array(
                items
                    .iter()
                    .filter(|v| !v.is_undefined())
                    .map(|v| v.to_json().unwrap_or(serde_json::Value::Null))
                    .collect(),
            ),
            Value::Object(o) => serde_json::Value::Object(
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect(),
            ),
        })
    }
}

/// Integral values become JSON integers, so `1 + 1` is `2` rather than `2.0`.
pub(crate) fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        serde_json::Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// JSONata's `=`: structural equality over JSON values.
pub(crate) fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x, _), Value::Array(y, _)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// How JavaScript prints a number, which JSONata's string conversions inherit: integers
/// without a fraction up to 1e21, otherwise the shortest round-trip form.
pub(crate) fn format_number(n: f64) -> String {
    if n == 0.0 {
        // Including -0, which JavaScript prints as "0".
        "0".to_string()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else if n.abs() >= 1e21 || (n != 0.0 && n.abs() < 1e-6) {
        // JS uses exponent notation here, with an explicit sign on the exponent.
        let s = format!("{n:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        n.to_string()
    }
}
