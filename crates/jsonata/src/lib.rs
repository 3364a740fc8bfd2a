//! JSONata 2.0, the query language of Step Functions' JSONata mode, as a library over
//! `serde_json`: this crate owns the lexer, the Pratt parser, the evaluator (JSONata's
//! sequence semantics) and the built-in function library. It knows nothing of ASL; the
//! `crates/asl` engine binds `$states` and maps errors to `States.QueryEvaluationError`.
//!
//! ```
//! use leadline_jsonata::Expression;
//! let e = Expression::parse("$sum(items.price)").unwrap();
//! let input = serde_json::json!({"items": [{"price": 2}, {"price": 3}]});
//! assert_eq!(e.evaluate(Some(&input)).unwrap(), Some(serde_json::json!(5)));
//! ```

mod ast;
mod error;
mod evaluator;
mod functions;
mod lexer;
mod parser;
mod pattern;
mod signature;
mod stack;
mod value;

use std::collections::BTreeSet;
use std::rc::Rc;

pub use error::Error;

use evaluator::{Evaluator, Scope};
use value::{ArrayFlags, Value};

/// A parsed expression, reusable across inputs.
#[derive(Debug, Clone)]
pub struct Expression {
    ast: ast::Node,
}

impl Expression {
    pub fn parse(source: &str) -> Result<Self, Error> {
        Ok(Expression {
            ast: parser::parse(source)?,
        })
    }

    /// The names of the variables the expression reads (`$name`, without the `$`; `$$` is
    /// `"$"`), so that a caller with many variables binds only these.
    pub fn variables(&self) -> BTreeSet<&str> {
        let mut names = BTreeSet::new();
        self.ast.visit(true, &mut |node, _| {
            if let ast::Kind::Var(name) = &node.kind {
                if !name.is_empty() {
                    names.insert(name.as_str());
                }
            }
        });
        names
    }

    /// Whether the expression reads `$variable.field` (a path starting with that variable
    /// whose next step is that name), e.g. `$states.errorOutput`.
    pub fn reads_field(&self, variable: &str, field: &str) -> bool {
        let mut found = false;
        self.ast.visit(true, &mut |node, _| {
            if let ast::Kind::Path { steps, .. } = &node.kind {
                if let [first, second, ..] = steps.as_slice() {
                    found |= matches!(&first.kind, ast::Kind::Var(v) if v == variable)
                        && matches!(&second.kind, ast::Kind::Name(n) if n == field);
                }
            }
        });
        found
    }

    /// Field names read straight from the expression's input (`a` in `a.b[x > 1]`, but not
    /// `b` or `x`), with their positions: without an input they can only ever read nothing.
    pub fn input_names(&self) -> Vec<(&str, usize)> {
        let mut names = Vec::new();
        self.ast.visit(true, &mut |node, top| {
            if let (ast::Kind::Name(name), true) = (&node.kind, top) {
                names.push((name.as_str(), node.position));
            }
        });
        names
    }

    /// Evaluates against `input` (`None`: no input) at the current system time. `Ok(None)` is
    /// JSONata's *undefined*, the result of a query that matched nothing.
    pub fn evaluate(
        &self,
        input: Option<&serde_json::Value>,
    ) -> Result<Option<serde_json::Value>, Error> {
        self.evaluate_in(input, &Context::default())
    }

    /// Evaluates with the variables and clock of `context`.
    pub fn evaluate_in(
        &self,
        input: Option<&serde_json::Value>,
        context: &Context,
    ) -> Result<Option<serde_json::Value>, Error> {
        let root = input.map_or(Value::Undefined, Value::from_json);
        self.evaluate_value(root, context, &[])
    }

    /// Evaluates with `$name` also bound to values converted beforehand, so that the
    /// expressions of one template pay for converting a large binding once.
    pub fn evaluate_bound(
        &self,
        input: Option<&Input>,
        context: &Context,
        bound: &[(&str, &Input)],
    ) -> Result<Option<serde_json::Value>, Error> {
        let root = input.map_or(Value::Undefined, |i| i.0.clone());
        self.evaluate_value(root, context, bound)
    }

    /// Evaluates against an input converted beforehand, so that many evaluations over one
    /// document pay for the conversion from `serde_json` once.
    pub fn evaluate_input(
        &self,
        input: &Input,
        context: &Context,
    ) -> Result<Option<serde_json::Value>, Error> {
        self.evaluate_value(input.0.clone(), context, &[])
    }

    fn evaluate_value(
        &self,
        root: Value,
        context: &Context,
        bound: &[(&str, &Input)],
    ) -> Result<Option<serde_json::Value>, Error> {
        let scope = Rc::new(Scope::default());
        scope.bind("$", root.clone());
        for (name, value) in &context.bindings {
            scope.bind(name, Value::from_json(value));
        }
        for (name, value) in bound {
            scope.bind(name, value.0.clone());
        }
        // A top-level array is wrapped in a sequence of one, as jsonata-js does, so that path
        // steps map over the array while `$` and `*` still see the array itself.
        let input = match root {
            Value::Array(..) => Value::Array(
                Rc::new(vec![root]),
                ArrayFlags {
                    sequence: true,
                    outer_wrapper: true,
                    ..ArrayFlags::default()
                },
            ),
            other => other,
        };
        let now = context.now_millis.unwrap_or_else(system_millis);
        let result = Evaluator::new(now).eval(&self.ast, &input, &scope)?;
        Ok(result.to_json())
    }
}

/// A document converted once to the engine's values (shared, not copied, by evaluations and
/// clones). Not `Send`: it lives within one thread's evaluations.
#[derive(Debug, Clone)]
pub struct Input(Value);

impl Input {
    pub fn new(json: &serde_json::Value) -> Self {
        Input(Value::from_json(json))
    }
}

/// What an evaluation sees besides its input: bound variables (e.g. `states` for `$states`)
/// and the instant `$now()`/`$millis()` report. Callers with their own clock (the ASL engine)
/// set it; otherwise the system clock is read once per evaluation.
#[derive(Debug, Clone, Default)]
pub struct Context {
    bindings: serde_json::Map<String, serde_json::Value>,
    now_millis: Option<i64>,
}

impl Context {
    /// Binds `$name` to `value`.
    pub fn bind(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.bindings.insert(name.into(), value);
        self
    }

    /// Fixes the evaluation time, in milliseconds since the Unix epoch.
    pub fn at_millis(mut self, millis: i64) -> Self {
        self.now_millis = Some(millis);
        self
    }
}

fn system_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
