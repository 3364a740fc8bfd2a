//! The built-in function library, one module per group of the JSONata documentation.
//! Arguments arrive evaluated and checked against the function's jsonata-js signature
//! (`signatures`); each function still reads them through `Args`, whose accessors raise
//! T0410 for the value checks a signature cannot express.

pub(crate) mod array;
pub(crate) mod aws;
pub(crate) mod boolean;
pub(crate) mod datetime;
pub(crate) mod format;
pub(crate) mod hof;
pub(crate) mod numeric;
pub(crate) mod object;
pub(crate) mod picture;
pub(crate) mod signatures;
pub(crate) mod string;

use std::rc::Rc;

use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::{Function, Value};

pub(crate) type Implementation = fn(&Evaluator, &mut Args) -> Result<Value, Error>;

pub(crate) struct Builtin {
    pub name: &'static str,
    /// jsonata-js's signature (`<s-nn?:s>`), which checks the arguments before the call
    /// (`signature`); `-` lets the context item stand in for a missing first argument, as in
    /// `Phone.number.$uppercase()`.
    pub signature: &'static str,
    /// How many arguments a higher-order function passes it (jsonata-js uses the JavaScript
    /// function's declared length), so `$map(xs, $string)` does not pass the index as
    /// `$string`'s second argument.
    pub arity: usize,
    pub func: Implementation,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "${}", self.name)
    }
}

pub(crate) const fn builtin(
    name: &'static str,
    signature: &'static str,
    arity: usize,
    func: Implementation,
) -> Builtin {
    Builtin {
        name,
        signature,
        arity,
        func,
    }
}

const GROUPS: &[&[Builtin]] = &[
    string::FUNCTIONS,
    numeric::FUNCTIONS,
    format::FUNCTIONS,
    boolean::FUNCTIONS,
    array::FUNCTIONS,
    object::FUNCTIONS,
    hof::FUNCTIONS,
    datetime::FUNCTIONS,
    aws::FUNCTIONS,
];

fn all() -> impl Iterator<Item = &'static Builtin> {
    GROUPS.iter().flat_map(|g| g.iter())
}

pub(crate) fn lookup(name: &str) -> Option<&'static Builtin> {
    all().find(|b| b.name == name)
}

/// The evaluated arguments of one call, with typed accessors that raise JSONata's errors.
pub(crate) struct Args<'a> {
    name: &'static str,
    values: Vec<Value>,
    pub input: &'a Value,
    pub position: usize,
}

impl<'a> Args<'a> {
    pub fn new(name: &'static str, values: Vec<Value>, input: &'a Value, position: usize) -> Self {
        Args {
            name,
            values,
            input,
            position,
        }
    }

    /// How many arguments were passed (after the signature check).
    pub fn count(&self) -> usize {
        self.values.len()
    }

    pub fn value(&self, i: usize) -> Value {
        self.values.get(i).cloned().unwrap_or(Value::Undefined)
    }

    pub fn mismatch(&self, i: usize) -> Error {
        Error::type_error(
            "T0410",
            self.position,
            format!(
                "Argument {} of function \"{}\" does not match function signature",
                i + 1,
                self.name
            ),
        )
    }

    pub fn string(&self, i: usize) -> Result<Option<Rc<str>>, Error> {
        match self.value(i) {
            Value::Undefined => Ok(None),
            Value::String(s) => Ok(Some(s)),
            _ => Err(self.mismatch(i)),
        }
    }

    pub fn number(&self, i: usize) -> Result<Option<f64>, Error> {
        match self.value(i) {
            Value::Undefined => Ok(None),
            Value::Number(n) => Ok(Some(n)),
            _ => Err(self.mismatch(i)),
        }
    }

    pub fn boolean(&self, i: usize) -> Result<Option<bool>, Error> {
        match self.value(i) {
            Value::Undefined => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            _ => Err(self.mismatch(i)),
        }
    }

    /// An array argument; a single value counts as an array of one.
    pub fn array(&self, i: usize) -> Option<Vec<Value>> {
        match self.value(i) {
            Value::Undefined => None,
            v => Some(v.into_items()),
        }
    }

    pub fn function(&self, i: usize) -> Result<Option<Value>, Error> {
        match self.value(i) {
            Value::Undefined => Ok(None),
            f @ Value::Function(_) => Ok(Some(f)),
            _ => Err(self.mismatch(i)),
        }
    }

    /// Every item of an array argument must be a number (T0412 otherwise).
    pub fn numbers(&self, i: usize) -> Result<Option<Vec<f64>>, Error> {
        let Some(items) = self.array(i) else {
            return Ok(None);
        };
        items
            .iter()
            .map(|v| match v {
                Value::Number(n) => Ok(*n),
                _ => Err(Error::type_error(
                    "T0412",
                    self.position,
                    format!(
                        "Argument {} of function \"{}\" must be an array of numbers",
                        i + 1,
                        self.name
                    ),
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// The arguments a higher-order function passes to `f`: as many of `full` as `f` takes.
pub(crate) fn hof_args(f: &Value, mut full: Vec<Value>) -> Vec<Value> {
    full.truncate(arity(f));
    full
}

fn arity(f: &Value) -> usize {
    match f {
        Value::Function(func) => match &**func {
            Function::Lambda { def, .. } => def.params.len(),
            Function::Builtin(b) => b.arity,
            Function::Partial { args, .. } => args.iter().filter(|a| a.is_none()).count(),
            Function::Chain(first, _) => arity(first),
            Function::Regex(_) | Function::Transform { .. } => 1,
        },
        _ => 0,
    }
}
