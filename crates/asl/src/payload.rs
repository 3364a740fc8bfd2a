//! Input/output processing building blocks for JSONPath states: payload templates
//! (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign`), path reads from the state's
//! data, the context object or variables, and the variable scopes.
//!
//! A JSONata state would plug its own evaluator in here: the interpreter only asks
//! for "evaluate this template/expression against this environment".

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::StatesError;
use crate::intrinsics::{self, Call};
use crate::jsonpath::{Path, PathError, Root};

/// A payload template: JSON whose `"key.$"` fields are replaced by a path's or an
/// intrinsic's value (the `.$` is dropped from the key).
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    Literal(Value),
    Path(Path),
    Call(Call),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
}

/// A template problem: JSON pointer suffix (relative to the template) and message.
pub type TemplateProblem = (String, String);

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Template {
    /// Compiles a template, collecting every bad path or call.
    pub fn parse(value: &Value) -> Result<Self, Vec<TemplateProblem>> {
        let mut problems = Vec::new();
        let template = Self::parse_at(value, "", &mut problems);
        if problems.is_empty() {
            Ok(template)
        } else {
            Err(problems)
        }
    }

    fn parse_at(value: &Value, pointer: &str, problems: &mut Vec<TemplateProblem>) -> Self {
        match value {
            Value::Object(object) => {
                let mut fields = Vec::with_capacity(object.len());
                let mut dynamic = false;
                for (key, v) in object {
                    let here = format!("{pointer}/{}", escape_pointer(key));
                    if let Some(name) = key.strip_suffix(".$") {
                        dynamic = true;
                        let Some(text) = v.as_str() else {
                            problems.push((
                                here,
                                format!("The value of the field '{key}' must be a JSONPath or intrinsic function string"),
                            ));
                            continue;
                        };
                        match Self::dynamic(text) {
                            Ok(t) => fields.push((name.to_owned(), t)),
                            Err(message) => problems.push((here, message)),
                        }
                    } else {
                        let t = Self::parse_at(v, &here, problems);
                        dynamic |= !matches!(t, Template::Literal(_));
                        fields.push((key.clone(), t));
                    }
                }
                if dynamic {
                    Template::Object(fields)
                } else {
                    Template::Literal(value.clone())
                }
            }
            Value::Array(items) => {
                let parsed: Vec<Template> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Self::parse_at(v, &format!("{pointer}/{i}"), problems))
                    .collect();
                if parsed.iter().all(|t| matches!(t, Template::Literal(_))) {
                    Template::Literal(value.clone())
                } else {
                    Template::Array(parsed)
                }
            }
            other => Template::Literal(other.clone()),
        }
    }

    /// A `.$` value: an intrinsic call or a path.
    pub fn dynamic(text: &str) -> Result<Self, String> {
        if intrinsics::looks_like_call(text) {
            Call::parse(text)
                .map(Template::Call)
                .map_err(|e| e.to_string())
        } else {
            Path::parse(text)
                .map(Template::Path)
                .map_err(|e| format!("Value must be a valid JSONPath ({e})"))
        }
    }

    /// Every path the template reads (including inside calls), for validation.
    pub fn paths(&self) -> Vec<&Path> {
        match self {
            Template::Literal(_) => Vec::new(),
            Template::Path(p) => vec![p],
            Template::Call(c) => c.paths(),
            Template::Object(fields) => fields.iter().flat_map(|(_, t)| t.paths()).collect(),
            Template::Array(items) => items.iter().flat_map(Template::paths).collect(),
        }
    }

    pub fn eval(&self, env: &Env<'_>) -> Result<Value, StatesError> {
        self.eval_field(env, None)
    }

    fn eval_field(&self, env: &Env<'_>, field: Option<&str>) -> Result<Value, StatesError> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Path(path) => env.read(path).map_err(|_| {
                // AWS's wording for an unresolvable `.$` path (reported as States.Runtime).
                StatesError::runtime(format!(
                    "The JSONPath '{path}' specified for the field '{}.$' could not be found in the input '{}'",
                    field.unwrap_or(""),
                    env.source_text(path)
                ))
            }),
            Template::Call(call) => call.eval(&mut |p: &Path| {
                env.read(p).map_err(|e| {
                    StatesError::runtime(format!(
                        "The JSONPath '{p}' in the intrinsic function for the field '{}.$' could not be resolved: {e}",
                        field.unwrap_or("")
                    ))
                })
            }),
            Template::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (key, t) in fields {
                    out.insert(key.clone(), t.eval_field(env, Some(key))?);
                }
                Ok(Value::Object(out))
            }
            Template::Array(items) => items
                .iter()
                .map(|t| t.eval_field(env, field))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }
}

/// Workflow variables visible to a state: its own scope's, then the enclosing ones'
/// (a Map or Parallel body reads outer variables but its assignments stay inside).
///
/// The serialized size of every value is kept as it is set, so the execution-wide limit on
/// stored variables is checked without serializing them all again on each `Assign`.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    local: HashMap<String, Value>,
    outer: Option<Arc<HashMap<String, Value>>>,
    local_sizes: HashMap<String, usize>,
    local_bytes: usize,
    outer_bytes: usize,
}

impl Variables {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.local
            .get(name)
            .or_else(|| self.outer.as_ref().and_then(|o| o.get(name)))
    }

    pub fn set(&mut self, name: String, value: Value) {
        let size = json_len(&value);
        self.set_sized(name, value, size);
    }

    /// `set` for a value whose serialized size (`json_len`) the caller has measured already.
    pub fn set_sized(&mut self, name: String, value: Value, size: usize) {
        let replaced = self.local_sizes.insert(name.clone(), size).unwrap_or(0);
        self.local_bytes = self.local_bytes - replaced + size;
        self.local.insert(name, value);
    }

    /// Serialized bytes of every variable this scope holds, its own and the outer ones.
    pub fn stored_bytes(&self) -> usize {
        self.outer_bytes + self.local_bytes
    }

    /// Serialized bytes of `name`'s value in this scope's own variables (0 if unset here):
    /// what assigning it again frees.
    pub fn local_bytes_of(&self, name: &str) -> usize {
        self.local_sizes.get(name).copied().unwrap_or(0)
    }

    /// The scope for a nested Parallel branch or Map iteration.
    pub fn child(&self) -> Variables {
        if self.local.is_empty() {
            return Variables {
                outer: self.outer.clone(),
                outer_bytes: self.outer_bytes,
                ..Variables::default()
            };
        }
        let mut all = self.outer.as_deref().cloned().unwrap_or_default();
        let mut outer_bytes = self.stored_bytes();
        for (k, v) in &self.local {
            if let Some(shadowed) = all.insert(k.clone(), v.clone()) {
                outer_bytes -= json_len(&shadowed);
            }
        }
        Variables {
            outer: Some(Arc::new(all)),
            outer_bytes,
            ..Variables::default()
        }
    }

    /// Variables set in this scope (what AWS lists as `assignedVariables`).
    pub fn locals(&self) -> &HashMap<String, Value> {
        &self.local
    }
}

/// The size of `value` serialized as compact JSON, in bytes (UTF-8), without building the text.
pub fn json_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing to a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// The context object, built only when a path actually reads `$$`.
pub struct LazyContext<'a> {
    cell: OnceCell<Value>,
    build: &'a dyn Fn() -> Value,
}

impl<'a> LazyContext<'a> {
    pub fn new(build: &'a dyn Fn() -> Value) -> Self {
        Self {
            cell: OnceCell::new(),
            build,
        }
    }

    pub fn get(&self) -> &Value {
        self.cell.get_or_init(|| (self.build)())
    }
}

/// What a path or template is evaluated against.
pub struct Env<'a> {
    pub data: &'a Value,
    pub context: &'a LazyContext<'a>,
    pub vars: &'a Variables,
}

impl Env<'_> {
    pub fn read(&self, path: &Path) -> Result<Value, PathError> {
        match path.root() {
            Root::Data => path.eval(self.data),
            Root::Context => path.eval(self.context.get()),
            Root::Variable(name) => match self.vars.get(name) {
                Some(value) => path.eval(value),
                None => Err(PathError::NoResults(format!("${name}"))),
            },
        }
    }

    fn source_text(&self, path: &Path) -> String {
        match path.root() {
            Root::Data => self.data.to_string(),
            Root::Context => self.context.get().to_string(),
            Root::Variable(name) => self
                .vars
                .get(name)
                .map(Value::to_string)
                .unwrap_or_else(|| "null".into()),
        }
    }
}
