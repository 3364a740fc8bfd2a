//! JSONata states: the `{% … %}` expressions of a state's fields, compiled once at validation
//! and evaluated with the reserved `$states` (`input`, `result`, `errorOutput`, `context`) and
//! the workflow variables. A failing or undefined expression is `States.QueryEvaluationError`
//! with AWS's cause, which names the expression and the field it was written in.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use leadline_jsonata::{Context, Expression, Input};
use serde_json::{Map, Value};

use crate::error::{DiagnosticCode, StatesError};
use crate::payload::{LazyContext, Variables};

/// One `{% … %}` expression and the field it sits in (`Output/a/b[0]`, `Choices[1]/Condition`).
#[derive(Debug, Clone)]
pub struct Query {
    source: String,
    field: String,
    expression: Expression,
    /// Workflow variables (and `states`) the expression reads: only these are bound.
    variables: Vec<String>,
}

/// A field's value: JSON in which every string written `{% … %}` is an expression.
#[derive(Debug, Clone)]
pub enum JsonataTemplate {
    Literal(Value),
    Query(Box<Query>),
    Object(Vec<(String, JsonataTemplate)>),
    Array(Vec<JsonataTemplate>),
}

/// A template problem: (code, JSON pointer suffix relative to the field, message).
pub type JsonataProblem = (DiagnosticCode, String, String);

/// The text between `{%` and `%}` when `text` is a JSONata expression string.
pub fn expression_text(text: &str) -> Option<&str> {
    text.strip_prefix("{%")?.strip_suffix("%}")
}

impl Query {
    /// Compiles `{% … %}` text for `field`; problems carry AWS's validation codes.
    /// `$states.errorOutput` is accepted only in a catcher's fields (`field` starts `Catch[`),
    /// the one place it is set.
    pub fn parse(text: &str, field: &str) -> Result<Self, JsonataProblem> {
        let source = expression_text(text).unwrap_or(text).trim();
        let expression = Expression::parse(source).map_err(|e| {
            (
                DiagnosticCode::InvalidJsonataExpression,
                String::new(),
                format!("Invalid JSONata expression '{source}': {e}"),
            )
        })?;
        let unsupported = |message: String| {
            (
                DiagnosticCode::UnsupportedJsonataExpression,
                String::new(),
                message,
            )
        };
        let variables: Vec<String> = expression
            .variables()
            .into_iter()
            .map(str::to_owned)
            .collect();
        if variables.iter().any(|v| v == "$") {
            return Err(unsupported("Reference to '$$' is not supported.".into()));
        }
        if !field.starts_with("Catch[") && expression.reads_field("states", "errorOutput") {
            return Err(unsupported(
                "$states.errorOutput is only available in a Catch's Output and Assign.".into(),
            ));
        }
        // States have no context item: a bare name could only ever read nothing.
        if let Some((name, _)) = expression.input_names().first() {
            return Err(unsupported(format!(
                "Reference to '{name}' at the top level is not supported."
            )));
        }
        Ok(Query {
            source: source.to_owned(),
            field: field.to_owned(),
            expression,
            variables,
        })
    }

    /// The expression's value; undefined (a query that matched nothing) is an error, since
    /// JSON cannot carry it.
    pub fn eval(&self, states: &States<'_>) -> Result<Value, StatesError> {
        let context = Context::default().at_millis(states.now_millis);
        let values: Vec<(&str, Input)> = self
            .variables
            .iter()
            .filter_map(|name| Some((name.as_str(), states.converted(name)?)))
            .collect();
        let bound: Vec<(&str, &Input)> = values.iter().map(|(n, v)| (*n, v)).collect();
        match self.expression.evaluate_bound(None, &context, &bound) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(self.error("returned nothing (undefined).")),
            Err(e) => Err(self.error(format!(
                "threw an error during evaluation. {}: {}",
                e.code(),
                e.message()
            ))),
        }
    }

    /// `States.QueryEvaluationError` about this expression: `what` follows its field.
    pub fn error(&self, what: impl std::fmt::Display) -> StatesError {
        StatesError::query_evaluation(
            format!(
                "The JSONata expression '{}' specified for the field '{}' {what}",
                self.source, self.field
            ),
            Some(self.location().to_owned()),
        )
    }

    /// The state field the expression belongs to, as `EvaluationFailed` names it: `Output`
    /// for `Output/a/b[0]`, `Condition` for `Choices[1]/Condition`, `Assign` for
    /// `Catch[0]/Assign/x`, `MaxItemsPerBatch` for `ItemBatcher/MaxItemsPerBatch`.
    pub fn location(&self) -> &str {
        let mut field = self.field.as_str();
        for prefix in ["Choices[", "Catch["] {
            if let Some((_, inner)) = field.strip_prefix(prefix).and_then(|r| r.split_once("]/")) {
                field = inner;
            }
        }
        let field = field.strip_prefix("ItemBatcher/").unwrap_or(field);
        field.split(['/', '[']).next().unwrap_or(field)
    }
}

impl JsonataTemplate {
    /// Compiles a field's value; `field` names it in runtime causes (`Output`, `Arguments`).
    pub fn parse(value: &Value, field: &str) -> Result<Self, Vec<JsonataProblem>> {
        let mut problems = Vec::new();
        let template = Self::parse_at(value, field, "", &mut problems);
        if problems.is_empty() {
            Ok(template)
        } else {
            Err(problems)
        }
    }

    fn parse_at(
        value: &Value,
        field: &str,
        pointer: &str,
        problems: &mut Vec<JsonataProblem>,
    ) -> Self {
        match value {
            Value::String(s) if expression_text(s).is_some() => match Query::parse(s, field) {
                Ok(q) => JsonataTemplate::Query(Box::new(q)),
                Err((code, _, message)) => {
                    problems.push((code, pointer.to_owned(), message));
                    JsonataTemplate::Literal(Value::Null)
                }
            },
            Value::Object(object) => {
                let fields: Vec<(String, JsonataTemplate)> = object
                    .iter()
                    .map(|(k, v)| {
                        let here = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                        let t = Self::parse_at(v, &format!("{field}/{k}"), &here, problems);
                        (k.clone(), t)
                    })
                    .collect();
                if fields
                    .iter()
                    .all(|(_, t)| matches!(t, JsonataTemplate::Literal(_)))
                {
                    JsonataTemplate::Literal(value.clone())
                } else {
                    JsonataTemplate::Object(fields)
                }
            }
            Value::Array(items) => {
                let parsed: Vec<JsonataTemplate> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        Self::parse_at(
                            v,
                            &format!("{field}[{i}]"),
                            &format!("{pointer}/{i}"),
                            problems,
                        )
                    })
                    .collect();
                if parsed
                    .iter()
                    .all(|t| matches!(t, JsonataTemplate::Literal(_)))
                {
                    JsonataTemplate::Literal(value.clone())
                } else {
                    JsonataTemplate::Array(parsed)
                }
            }
            other => JsonataTemplate::Literal(other.clone()),
        }
    }

    pub fn eval(&self, states: &States<'_>) -> Result<Value, StatesError> {
        match self {
            JsonataTemplate::Literal(v) => Ok(v.clone()),
            JsonataTemplate::Query(q) => q.eval(states),
            JsonataTemplate::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (key, t) in fields {
                    out.insert(key.clone(), t.eval(states)?);
                }
                Ok(Value::Object(out))
            }
            JsonataTemplate::Array(items) => items
                .iter()
                .map(|t| t.eval(states))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }

    /// The expression when the whole field is one (`"{% … %}"`), to name it in a cause.
    pub fn query(&self) -> Option<&Query> {
        match self {
            JsonataTemplate::Query(q) => Some(q),
            _ => None,
        }
    }
}

/// What a JSONata state's expressions see: `$states` (built only when read) and variables.
pub struct States<'a> {
    pub input: &'a Value,
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
    pub context: &'a LazyContext<'a>,
    pub vars: &'a Variables,
    /// `$now()`/`$millis()`: the engine's clock, not the system's.
    pub now_millis: i64,
    /// `$states` and the variables read so far, converted once for all the expressions
    /// evaluated with this `States` (a template's fields, a Choice's rules).
    built: OnceCell<Input>,
    variables: RefCell<HashMap<String, Input>>,
}

impl<'a> States<'a> {
    pub fn new(
        input: &'a Value,
        context: &'a LazyContext<'a>,
        vars: &'a Variables,
        now_millis: i64,
    ) -> Self {
        States {
            input,
            result: None,
            error_output: None,
            context,
            vars,
            now_millis,
            built: OnceCell::new(),
            variables: RefCell::new(HashMap::new()),
        }
    }

    pub fn with_result(mut self, result: &'a Value) -> Self {
        self.result = Some(result);
        self
    }

    pub fn with_error_output(mut self, error_output: &'a Value) -> Self {
        self.error_output = Some(error_output);
        self
    }

    /// `$name` converted for the engine: `states`, or a workflow variable (`None` if unset).
    fn converted(&self, name: &str) -> Option<Input> {
        if name == "states" {
            return Some(self.states().clone());
        }
        if let Some(v) = self.variables.borrow().get(name) {
            return Some(v.clone());
        }
        let value = Input::new(self.vars.get(name)?);
        self.variables
            .borrow_mut()
            .insert(name.to_owned(), value.clone());
        Some(value)
    }

    fn states(&self) -> &Input {
        self.built.get_or_init(|| {
            let mut states = Map::new();
            states.insert("input".into(), self.input.clone());
            if let Some(result) = self.result {
                states.insert("result".into(), result.clone());
            }
            if let Some(error_output) = self.error_output {
                states.insert("errorOutput".into(), error_output.clone());
            }
            states.insert("context".into(), self.context.get().clone());
            Input::new(&Value::Object(states))
        })
    }
}
