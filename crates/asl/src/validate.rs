//! Definition checking: turns ASL JSON into the typed [`StateMachine`], reporting every
//! problem with a JSON pointer in AWS's `CODE: message at /pointer` style.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use crate::choice::ChoiceRule;
use crate::error::{names, Diagnostic, DiagnosticCode, InvalidDefinition};
use crate::intrinsics::{self, Call};
use crate::jsonata::{expression_text, JsonataTemplate, Query};
use crate::jsonpath::{Path, Root};
use crate::model::*;
use crate::payload::Template;
use crate::timestamp;

/// Options that the definition itself does not carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidateOptions {
    pub workflow_type: WorkflowType,
}

/// Parses and validates a definition given as JSON text.
pub fn parse_str(text: &str, options: ValidateOptions) -> Result<StateMachine, InvalidDefinition> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        InvalidDefinition(vec![Diagnostic {
            code: DiagnosticCode::InvalidJson,
            message: format!("Invalid JSON: {e}"),
            pointer: String::new(),
        }])
    })?;
    parse(&value, options)
}

/// Parses and validates a definition; on failure, returns every diagnostic.
pub fn parse(
    definition: &Value,
    options: ValidateOptions,
) -> Result<StateMachine, InvalidDefinition> {
    let mut checker = Checker {
        diagnostics: Vec::new(),
        options,
        state_names: HashMap::new(),
        machine_language: QueryLanguage::JsonPath,
    };
    let machine = checker.machine(definition);
    match machine {
        Some(machine) if checker.diagnostics.is_empty() => Ok(machine),
        _ => {
            let mut diagnostics = checker.diagnostics;
            diagnostics.sort_by(|a, b| a.pointer.cmp(&b.pointer));
            diagnostics.dedup();
            Err(InvalidDefinition(diagnostics))
        }
    }
}

/// Every problem in a definition (empty when valid).
pub fn validate(definition: &Value, options: ValidateOptions) -> Vec<Diagnostic> {
    parse(definition, options)
        .err()
        .map(|e| e.0)
        .unwrap_or_default()
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn allowed_fields(kind: &str, ql: QueryLanguage) -> &'static [&'static str] {
    match (kind, ql) {
        ("Pass", QueryLanguage::JsonPath) => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "Result",
            "ResultPath",
            "Assign",
        ],
        ("Pass", QueryLanguage::Jsonata) => &["Next", "End", "Output", "Assign"],
        ("Task", QueryLanguage::JsonPath) => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Assign",
        ],
        ("Task", QueryLanguage::Jsonata) => &[
            "Next",
            "End",
            "Arguments",
            "Output",
            "Retry",
            "Catch",
            "Resource",
            "TimeoutSeconds",
            "HeartbeatSeconds",
            "Credentials",
            "Assign",
        ],
        ("Choice", QueryLanguage::JsonPath) => {
            &["InputPath", "OutputPath", "Choices", "Default", "Assign"]
        }
        ("Choice", QueryLanguage::Jsonata) => &["Output", "Choices", "Default", "Assign"],
        ("Wait", QueryLanguage::JsonPath) => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Seconds",
            "Timestamp",
            "SecondsPath",
            "TimestampPath",
            "Assign",
        ],
        ("Wait", QueryLanguage::Jsonata) => {
            &["Next", "End", "Output", "Seconds", "Timestamp", "Assign"]
        }
        ("Succeed", QueryLanguage::JsonPath) => &["InputPath", "OutputPath"],
        ("Succeed", QueryLanguage::Jsonata) => &["Output"],
        ("Fail", QueryLanguage::JsonPath) => &["Error", "ErrorPath", "Cause", "CausePath"],
        ("Fail", QueryLanguage::Jsonata) => &["Error", "Cause"],
        ("Parallel", QueryLanguage::JsonPath) => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Branches",
            "Assign",
        ],
        ("Parallel", QueryLanguage::Jsonata) => &[
            "Next",
            "End",
            "Arguments",
            "Output",
            "Retry",
            "Catch",
            "Branches",
            "Assign",
        ],
        ("Map", QueryLanguage::JsonPath) => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "ItemsPath",
            "Iterator",
            "ItemProcessor",
            "ItemSelector",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ItemReader",
            "ResultWriter",
            "ItemBatcher",
            "Label",
            "Assign",
        ],
        ("Map", QueryLanguage::Jsonata) => &[
            "Next",
            "End",
            "Output",
            "Retry",
            "Catch",
            "Items",
            "ItemProcessor",
            "ItemSelector",
            "MaxConcurrency",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "ItemReader",
            "ResultWriter",
            "ItemBatcher",
            "Label",
            "Assign",
        ],
        _ => &[],
    }
}

/// Fields that exist only in JSONPath states (a JSONata state naming them is "mixing").
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "ItemsPath",
    "Iterator",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
    "Result",
];
const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items"];

struct Checker {
    diagnostics: Vec<Diagnostic>,
    options: ValidateOptions,
    /// Names are unique across the whole machine, nested branches included.
    state_names: HashMap<String, String>,
    /// States without `QueryLanguage` use the machine's, also inside Map and Parallel.
    machine_language: QueryLanguage,
}

impl Checker {
    fn push(
        &mut self,
        code: DiagnosticCode,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            code,
            message: message.into(),
            pointer: pointer.into(),
        });
    }

    fn schema(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.push(DiagnosticCode::SchemaValidationFailed, pointer, message);
    }

    fn string(&mut self, obj: &Map<String, Value>, key: &str, ptr: &str) -> Option<String> {
        match obj.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.schema(
                    format!("{ptr}/{key}"),
                    format!("The value of '{key}' must be a string"),
                );
                None
            }
        }
    }

    fn uint(&mut self, obj: &Map<String, Value>, key: &str, ptr: &str, min: u64) -> Option<u64> {
        let value = obj.get(key)?;
        match value.as_u64() {
            Some(n) if n >= min && n <= 99_999_999 => Some(n),
            _ => {
                self.schema(
                    format!("{ptr}/{key}"),
                    format!("The value of '{key}' must be an integer between {min} and 99999999"),
                );
                None
            }
        }
    }

    fn number(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        ptr: &str,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        let value = obj.get(key)?;
        match value.as_f64() {
            Some(n) if n >= min && n <= max => Some(n),
            _ => {
                self.schema(
                    format!("{ptr}/{key}"),
                    format!("The value of '{key}' must be a number between {min} and {max}"),
                );
                None
            }
        }
    }

    /// A path-valued field (`InputPath`, `ItemsPath`, ...): absent → `$`, `null` → Null.
    fn path_or_null(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        ptr: &str,
        reference: bool,
        allow_null: bool,
    ) -> PathOrNull {
        match obj.get(key) {
            None => PathOrNull::default(),
            Some(Value::Null) if allow_null => PathOrNull::Null,
            Some(Value::String(text)) => {
                match self.path(text, &format!("{ptr}/{key}"), reference) {
                    Some(path) => PathOrNull::Path(path),
                    None => PathOrNull::default(),
                }
            }
            Some(_) => {
                self.schema(format!("{ptr}/{key}"), "Value must be a valid JSONPath.");
                PathOrNull::default()
            }
        }
    }

    fn path(&mut self, text: &str, pointer: &str, reference: bool) -> Option<Path> {
        match Path::parse(text) {
            Ok(path) if reference && !path.is_reference() => {
                self.schema(pointer, "Value must be a valid ReferencePath.");
                None
            }
            Ok(path) => Some(path),
            Err(e) => {
                self.schema(pointer, format!("Value must be a valid JSONPath. ({e})"));
                None
            }
        }
    }

    fn template(&mut self, obj: &Map<String, Value>, key: &str, ptr: &str) -> Option<Template> {
        let value = obj.get(key)?;
        let here = format!("{ptr}/{key}");
        if key != "Parameters" && key != "ItemSelector" && !value.is_object() {
            self.schema(here, format!("The value of '{key}' must be an object"));
            return None;
        }
        match Template::parse(value) {
            Ok(t) => Some(t),
            Err(problems) => {
                for (suffix, message) in problems {
                    self.schema(format!("{here}{suffix}"), message);
                }
                None
            }
        }
    }

    /// `Assign` in JSONPath mode: keys ending in `.$` are paths or intrinsic calls.
    fn assign(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        ql: QueryLanguage,
    ) -> Option<Template> {
        let value = obj.get("Assign")?;
        let here = format!("{ptr}/Assign");
        let Some(fields) = value.as_object() else {
            self.schema(here, "The value of 'Assign' must be an object");
            return None;
        };
        for key in fields.keys() {
            let name = match ql {
                QueryLanguage::JsonPath => key.strip_suffix(".$").unwrap_or(key),
                QueryLanguage::Jsonata => key,
            };
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                // 80 characters, not bytes: names may be any Unicode letters.
                && name.chars().count() <= 80;
            if !valid {
                self.schema(
                    format!("{here}/{}", escape(key)),
                    format!("'{name}' is not a valid variable name"),
                );
            } else if name == "states" {
                self.schema(
                    format!("{here}/{}", escape(key)),
                    "'states' is a reserved variable name ($states)",
                );
            }
        }
        match ql {
            QueryLanguage::JsonPath => self.template(obj, "Assign", ptr),
            QueryLanguage::Jsonata => None,
        }
    }

    /// A JSONata template field (`Output`, `Arguments`, `Assign`, `Items`, ...).
    fn jsonata(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        ptr: &str,
        field: &str,
    ) -> Option<JsonataTemplate> {
        let value = obj.get(key)?;
        match JsonataTemplate::parse(value, field) {
            Ok(t) => Some(t),
            Err(problems) => {
                for (code, suffix, message) in problems {
                    self.push(code, format!("{ptr}/{}{suffix}", escape(key)), message);
                }
                None
            }
        }
    }

    /// A JSONata state's scalar field written as `{% … %}`: `Some` when it is one (`None`
    /// inside when the expression is invalid), `None` when the field holds a literal.
    fn query(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        ptr: &str,
        field: &str,
    ) -> Option<Option<Box<Query>>> {
        let text = obj.get(key)?.as_str()?;
        expression_text(text)?;
        Some(match Query::parse(text, field) {
            Ok(q) => Some(Box::new(q)),
            Err((code, _, message)) => {
                self.push(code, format!("{ptr}/{}", escape(key)), message);
                None
            }
        })
    }

    /// A number field that a JSONata state may also write as an expression.
    fn number_or_query(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        ptr: &str,
        field: &str,
        literal: impl FnOnce(&mut Self) -> Option<Dynamic>,
    ) -> Option<Dynamic> {
        match self.query(obj, key, ptr, field) {
            Some(q) => q.map(Dynamic::Query),
            None => literal(self),
        }
    }

    fn dynamic_number(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        ptr: &str,
        min: u64,
    ) -> Option<Dynamic> {
        let path_key = format!("{key}Path");
        match (obj.contains_key(key), obj.get(&path_key)) {
            (true, Some(_)) => {
                self.schema(
                    ptr,
                    format!("'{key}' and '{path_key}' are mutually exclusive"),
                );
                None
            }
            (true, None) => self
                .uint(obj, key, ptr, min)
                .map(|n| Dynamic::Literal(Value::from(n))),
            (false, Some(Value::String(text))) => self
                .path(text, &format!("{ptr}/{path_key}"), true)
                .map(Dynamic::Path),
            (false, Some(_)) => {
                self.schema(
                    format!("{ptr}/{path_key}"),
                    "Value must be a valid ReferencePath.",
                );
                None
            }
            (false, None) => None,
        }
    }

    fn machine(&mut self, definition: &Value) -> Option<StateMachine> {
        let Some(obj) = definition.as_object() else {
            self.schema("", "A state machine definition must be a JSON object");
            return None;
        };
        for key in obj.keys() {
            if ![
                "StartAt",
                "States",
                "Comment",
                "Version",
                "TimeoutSeconds",
                "QueryLanguage",
            ]
            .contains(&key.as_str())
            {
                self.schema(
                    format!("/{}", escape(key)),
                    format!("Field '{key}' is not supported by Step Functions"),
                );
            }
        }
        let query_language = self.query_language(obj, "", QueryLanguage::JsonPath);
        self.machine_language = query_language;
        let comment = self.string(obj, "Comment", "");
        let version = self.string(obj, "Version", "");
        if let Some(v) = &version {
            if v != "1.0" {
                self.schema("/Version", "The value of 'Version' must be \"1.0\"");
            }
        }
        let timeout_seconds = self.uint(obj, "TimeoutSeconds", "", 1);
        let graph = self.graph(
            obj,
            "",
            query_language,
            WorkflowTypeScope(self.options.workflow_type),
        )?;
        Some(StateMachine {
            comment,
            version,
            timeout_seconds,
            query_language,
            graph,
        })
    }

    fn query_language(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        inherited: QueryLanguage,
    ) -> QueryLanguage {
        match obj.get("QueryLanguage") {
            None => inherited,
            Some(Value::String(s)) if s == "JSONPath" => {
                if inherited == QueryLanguage::Jsonata {
                    // AWS: a JSONata machine cannot contain JSONPath states (its wording).
                    self.schema(
                        format!("{ptr}/QueryLanguage"),
                        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                    );
                }
                QueryLanguage::JsonPath
            }
            Some(Value::String(s)) if s == "JSONata" => QueryLanguage::Jsonata,
            Some(_) => {
                self.schema(
                    format!("{ptr}/QueryLanguage"),
                    "The value of 'QueryLanguage' must be one of [JSONPath, JSONata]",
                );
                inherited
            }
        }
    }

    fn graph(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        ql: QueryLanguage,
        scope: WorkflowTypeScope,
    ) -> Option<Graph> {
        let start_at = match obj.get("StartAt") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.schema(
                    format!("{ptr}/StartAt"),
                    "The value of 'StartAt' must be a string",
                );
                None
            }
            None => {
                self.schema(ptr.to_owned(), "These fields are required: [StartAt]");
                None
            }
        };
        let states_obj = match obj.get("States") {
            Some(Value::Object(o)) if !o.is_empty() => Some(o),
            Some(_) => {
                self.schema(
                    format!("{ptr}/States"),
                    "'States' must be a non-empty object",
                );
                None
            }
            None => {
                self.schema(ptr.to_owned(), "These fields are required: [States]");
                None
            }
        };
        let states_obj = states_obj?;
        let mut states = HashMap::new();
        for (name, value) in states_obj {
            let sptr = format!("{ptr}/States/{}", escape(name));
            if name.is_empty() || name.chars().count() > 80 {
                self.schema(sptr.clone(), "State names must be 1 to 80 characters long");
            }
            if let Some(previous) = self.state_names.insert(name.clone(), sptr.clone()) {
                self.schema(
                    sptr.clone(),
                    format!("Duplicate state name '{name}' (also at {previous})"),
                );
            }
            if let Some(state) = self.state(name, value, &sptr, ql, scope) {
                states.insert(name.clone(), state);
            }
        }
        let start_at = start_at?;
        if !states_obj.contains_key(&start_at) {
            self.push(
                DiagnosticCode::MissingTransitionTarget,
                format!("{ptr}/StartAt"),
                format!("Missing 'Next' target: {start_at}"),
            );
        }
        self.check_transitions(states_obj, ptr, &start_at);
        Some(Graph { start_at, states })
    }

    /// Missing targets, unreachable states and the existence of a terminal state,
    /// checked on the raw JSON so they are reported even when a state failed to parse.
    fn check_transitions(&mut self, states: &Map<String, Value>, ptr: &str, start_at: &str) {
        let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut terminal = false;
        for (name, state) in states {
            let Some(state) = state.as_object() else {
                continue;
            };
            // Targets with where they sit (field, list index); pointers are only
            // formatted for a missing target, which keeps big machines quick to check.
            let mut targets: Vec<Target<'_>> = Vec::new();
            for field in ["Next", "Default"] {
                if let Some(Value::String(next)) = state.get(field) {
                    targets.push((field, None, next));
                }
            }
            for list in ["Choices", "Catch"] {
                if let Some(Value::Array(items)) = state.get(list) {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(Value::String(next)) = item.get("Next") {
                            targets.push(("Next", Some((list, i)), next));
                        }
                    }
                }
            }
            let kind = state.get("Type").and_then(Value::as_str).unwrap_or("");
            if state.get("End") == Some(&Value::Bool(true)) || kind == "Succeed" || kind == "Fail" {
                terminal = true;
            }
            for (field, within, target) in &targets {
                if !states.contains_key(*target) {
                    let sptr = format!("{ptr}/States/{}", escape(name));
                    let pointer = match within {
                        Some((list, i)) => format!("{sptr}/{list}/{i}/{field}"),
                        None => format!("{sptr}/{field}"),
                    };
                    self.push(
                        DiagnosticCode::MissingTransitionTarget,
                        pointer,
                        format!("Missing 'Next' target: {target}"),
                    );
                }
            }
            edges.insert(
                name.as_str(),
                targets.into_iter().map(|(_, _, t)| t).collect(),
            );
        }
        if !terminal {
            self.schema(ptr.to_owned(), "Workflow has no terminal state");
        }
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        if states.contains_key(start_at) {
            queue.push_back(start_at);
        }
        while let Some(name) = queue.pop_front() {
            if !seen.insert(name) {
                continue;
            }
            for next in edges.get(name).into_iter().flatten() {
                if states.contains_key(*next) {
                    queue.push_back(next);
                }
            }
        }
        for name in states.keys() {
            if !seen.contains(name.as_str()) {
                self.push(
                    DiagnosticCode::UnreachableState,
                    format!("{ptr}/States/{}", escape(name)),
                    format!("State \"{name}\" is not reachable."),
                );
            }
        }
    }

    fn state(
        &mut self,
        name: &str,
        value: &Value,
        ptr: &str,
        inherited: QueryLanguage,
        scope: WorkflowTypeScope,
    ) -> Option<State> {
        let Some(obj) = value.as_object() else {
            self.schema(ptr.to_owned(), "A state must be a JSON object");
            return None;
        };
        let ql = self.query_language(obj, ptr, inherited);
        let kind_name = match obj.get("Type") {
            Some(Value::String(t)) => t.as_str(),
            Some(_) | None => {
                self.schema(ptr.to_owned(), "These fields are required: [Type]");
                return None;
            }
        };
        let allowed = allowed_fields(kind_name, ql);
        if allowed.is_empty() {
            self.schema(
                format!("{ptr}/Type"),
                "The value of 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]",
            );
            return None;
        }
        for key in obj.keys() {
            if COMMON.contains(&key.as_str()) || allowed.contains(&key.as_str()) {
                continue;
            }
            let other = match ql {
                QueryLanguage::Jsonata => JSONPATH_ONLY,
                QueryLanguage::JsonPath => JSONATA_ONLY,
            };
            let message = if other.contains(&key.as_str()) {
                other_language(ql, key)
            } else {
                format!("Field '{key}' is not supported by Step Functions for a {kind_name} state")
            };
            self.schema(format!("{ptr}/{}", escape(key)), message);
        }

        let comment = self.string(obj, "Comment", ptr);
        let transition = match kind_name {
            "Choice" | "Succeed" | "Fail" => None,
            _ => self.transition(obj, ptr),
        };
        let jsonpath = ql == QueryLanguage::JsonPath;
        let input_path = self.path_or_null(obj, "InputPath", ptr, false, true);
        let output_path = self.path_or_null(obj, "OutputPath", ptr, false, true);
        let result_path = self.path_or_null(obj, "ResultPath", ptr, true, true);
        if let PathOrNull::Path(p) = &result_path {
            if *p.root() != Root::Data {
                self.schema(
                    format!("{ptr}/ResultPath"),
                    "Value must be a valid ReferencePath.",
                );
            }
        }
        let parameters = if jsonpath {
            self.template(obj, "Parameters", ptr)
        } else {
            None
        };
        let result_selector = if jsonpath {
            self.template(obj, "ResultSelector", ptr)
        } else {
            None
        };
        let assign = self.assign(obj, ptr, ql);
        let retry = self.retriers(obj, ptr);
        let catch = self.catchers(obj, ptr, ql);
        let mut jsonata = (ql == QueryLanguage::Jsonata).then(|| {
            Box::new(JsonataFields {
                arguments: self.jsonata(obj, "Arguments", ptr, "Arguments"),
                output: self.jsonata(obj, "Output", ptr, "Output"),
                assign: self.jsonata(obj, "Assign", ptr, "Assign"),
                credentials: self.jsonata(obj, "Credentials", ptr, "Credentials"),
                ..JsonataFields::default()
            })
        });

        let kind = match kind_name {
            "Pass" => StateKind::Pass {
                result: obj.get("Result").cloned(),
            },
            "Task" => StateKind::Task(Box::new(self.task(obj, ptr, jsonpath, scope)?)),
            "Choice" => self.choice(obj, ptr, ql, jsonata.as_deref_mut())?,
            "Wait" => StateKind::Wait(self.wait(obj, ptr, jsonpath)?),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail {
                error: self.fail_field(obj, "Error", ptr, jsonpath),
                cause: self.fail_field(obj, "Cause", ptr, jsonpath),
            },
            "Parallel" => {
                let branches = match obj.get("Branches") {
                    Some(Value::Array(items)) if !items.is_empty() => items,
                    Some(_) => {
                        self.schema(
                            format!("{ptr}/Branches"),
                            "'Branches' must be a non-empty array",
                        );
                        return None;
                    }
                    None => {
                        self.schema(ptr.to_owned(), "These fields are required: [Branches]");
                        return None;
                    }
                };
                let mut graphs = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    let bptr = format!("{ptr}/Branches/{i}");
                    match branch.as_object() {
                        Some(b) => {
                            self.only_fields(b, &bptr, &["StartAt", "States", "Comment"]);
                            graphs.extend(self.graph(b, &bptr, self.machine_language, scope));
                        }
                        None => self.schema(bptr, "A branch must be an object"),
                    }
                }
                StateKind::Parallel { branches: graphs }
            }
            "Map" => StateKind::Map(Box::new(self.map(
                obj,
                ptr,
                ql,
                scope,
                jsonata.as_deref_mut(),
            )?)),
            _ => return None,
        };
        Some(State {
            name: name.to_owned(),
            comment,
            query_language: ql,
            input_path,
            output_path,
            parameters,
            result_selector,
            result_path,
            assign,
            retry,
            catch,
            transition,
            jsonata,
            kind,
        })
    }

    fn only_fields(&mut self, obj: &Map<String, Value>, ptr: &str, allowed: &[&str]) {
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                self.schema(
                    format!("{ptr}/{}", escape(key)),
                    format!("Field '{key}' is not supported by Step Functions"),
                );
            }
        }
    }

    fn transition(&mut self, obj: &Map<String, Value>, ptr: &str) -> Option<Transition> {
        let next = self.string(obj, "Next", ptr);
        let end = match obj.get("End") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.schema(format!("{ptr}/End"), "The value of 'End' must be a boolean");
                false
            }
        };
        match (next, end) {
            (Some(_), true) => {
                self.schema(ptr.to_owned(), "'Next' and 'End' are mutually exclusive");
                None
            }
            (Some(next), false) => Some(Transition::Next(next)),
            (None, true) => Some(Transition::End),
            (None, false) => {
                if obj.contains_key("Next") {
                    return None;
                }
                self.schema(ptr.to_owned(), "These fields are required: [Next | End]");
                None
            }
        }
    }

    fn error_equals(&mut self, item: &Map<String, Value>, ptr: &str) -> Vec<String> {
        let Some(Value::Array(list)) = item.get("ErrorEquals") else {
            self.schema(ptr.to_owned(), "These fields are required: [ErrorEquals]");
            return Vec::new();
        };
        if list.is_empty() {
            self.schema(
                format!("{ptr}/ErrorEquals"),
                "'ErrorEquals' must not be empty",
            );
        }
        let mut out = Vec::new();
        for (i, v) in list.iter().enumerate() {
            match v.as_str() {
                Some(s) => out.push(s.to_owned()),
                None => self.schema(
                    format!("{ptr}/ErrorEquals/{i}"),
                    "Error names must be strings",
                ),
            }
        }
        if out.iter().any(|e| e == names::ALL) && out.len() > 1 {
            self.schema(
                format!("{ptr}/ErrorEquals"),
                "States.ALL must appear alone in its ErrorEquals array",
            );
        }
        out
    }

    fn check_all_last(&mut self, lists: &[Vec<String>], ptr: &str, field: &str) {
        for (i, list) in lists.iter().enumerate() {
            if list.iter().any(|e| e == names::ALL) && i + 1 != lists.len() {
                self.schema(
                    format!("{ptr}/{field}/{i}/ErrorEquals"),
                    format!("States.ALL must appear only in the last {field} element"),
                );
            }
        }
    }

    /// The objects of the array `field` with their pointers; a non-array field or a non-object
    /// element is reported (as "'<field>' must be an array" / "<what> must be an object").
    fn object_items<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        field: &str,
        ptr: &str,
        what: &str,
    ) -> Vec<(String, &'a Map<String, Value>)> {
        let Some(value) = obj.get(field) else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.schema(
                format!("{ptr}/{field}"),
                format!("'{field}' must be an array"),
            );
            return Vec::new();
        };
        let mut objects = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_ptr = format!("{ptr}/{field}/{i}");
            match item.as_object() {
                Some(item) => objects.push((item_ptr, item)),
                None => self.schema(item_ptr, format!("{what} must be an object")),
            }
        }
        objects
    }

    fn retriers(&mut self, obj: &Map<String, Value>, ptr: &str) -> Vec<Retrier> {
        let mut out = Vec::new();
        for (rptr, item) in self.object_items(obj, "Retry", ptr, "A retrier") {
            self.only_fields(
                item,
                &rptr,
                &[
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ],
            );
            let error_equals = self.error_equals(item, &rptr);
            let jitter = match item.get("JitterStrategy") {
                None => Jitter::None,
                Some(Value::String(s)) if s == "FULL" => Jitter::Full,
                Some(Value::String(s)) if s == "NONE" => Jitter::None,
                Some(_) => {
                    self.schema(
                        format!("{rptr}/JitterStrategy"),
                        "The value of 'JitterStrategy' must be one of [FULL, NONE]",
                    );
                    Jitter::None
                }
            };
            let max_attempts = match item.get("MaxAttempts") {
                None => 3,
                Some(v) => match v.as_u64() {
                    Some(n) if n <= 99_999_999 => n as u32,
                    _ => {
                        self.schema(
                            format!("{rptr}/MaxAttempts"),
                            "'MaxAttempts' must be a non-negative integer",
                        );
                        3
                    }
                },
            };
            out.push(Retrier {
                error_equals,
                interval_seconds: self
                    .uint(item, "IntervalSeconds", &rptr, 1)
                    .map(|n| n as f64)
                    .unwrap_or(1.0),
                max_attempts,
                backoff_rate: self
                    .number(item, "BackoffRate", &rptr, 1.0, f64::MAX)
                    .unwrap_or(2.0),
                max_delay_seconds: self
                    .uint(item, "MaxDelaySeconds", &rptr, 1)
                    .map(|n| n as f64),
                jitter,
            });
        }
        let lists: Vec<Vec<String>> = out.iter().map(|r| r.error_equals.clone()).collect();
        self.check_all_last(&lists, ptr, "Retry");
        out
    }

    fn catchers(&mut self, obj: &Map<String, Value>, ptr: &str, ql: QueryLanguage) -> Vec<Catcher> {
        let mut out = Vec::new();
        for (cptr, item) in self.object_items(obj, "Catch", ptr, "A catcher") {
            self.only_fields(
                item,
                &cptr,
                &[
                    "ErrorEquals",
                    "Next",
                    "ResultPath",
                    "Assign",
                    "Output",
                    "Comment",
                ],
            );
            let other_field = match ql {
                QueryLanguage::JsonPath => "Output",
                QueryLanguage::Jsonata => "ResultPath",
            };
            if item.contains_key(other_field) {
                self.schema(
                    format!("{cptr}/{other_field}"),
                    other_language(ql, other_field),
                );
            }
            let error_equals = self.error_equals(item, &cptr);
            let next = match self.string(item, "Next", &cptr) {
                Some(n) => n,
                None => {
                    if !item.contains_key("Next") {
                        self.schema(cptr.clone(), "These fields are required: [Next]");
                    }
                    continue;
                }
            };
            let result_path = self.path_or_null(item, "ResultPath", &cptr, true, true);
            let assign = self.assign(item, &cptr, ql);
            let (jsonata_output, jsonata_assign) = if ql == QueryLanguage::Jsonata {
                let field = cptr
                    .rsplit_once("/Catch/")
                    .map_or(String::new(), |(_, i)| format!("Catch[{i}]/"));
                (
                    self.jsonata(item, "Output", &cptr, &format!("{field}Output")),
                    self.jsonata(item, "Assign", &cptr, &format!("{field}Assign")),
                )
            } else {
                (None, None)
            };
            out.push(Catcher {
                error_equals,
                next,
                result_path,
                assign,
                jsonata_output,
                jsonata_assign,
            });
        }
        let lists: Vec<Vec<String>> = out.iter().map(|c| c.error_equals.clone()).collect();
        self.check_all_last(&lists, ptr, "Catch");
        out
    }

    fn task(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        jsonpath: bool,
        scope: WorkflowTypeScope,
    ) -> Option<TaskState> {
        let resource = match obj.get("Resource") {
            Some(Value::String(r)) => r.clone(),
            Some(_) => {
                self.schema(
                    format!("{ptr}/Resource"),
                    "The value of 'Resource' must be a string",
                );
                return None;
            }
            None => {
                self.schema(ptr.to_owned(), "These fields are required: [Resource]");
                return None;
            }
        };
        if !resource.starts_with("arn:") {
            self.push(
                DiagnosticCode::InvalidResource,
                format!("{ptr}/Resource"),
                format!("Value is not a valid resource ARN: {resource}"),
            );
        }
        if scope.0 == WorkflowType::Express
            && (resource.ends_with(".waitForTaskToken") || resource.contains(".sync"))
        {
            self.schema(
                format!("{ptr}/Resource"),
                "Express state machines do not support the '.sync' and '.waitForTaskToken' service integration patterns",
            );
        }
        let mut seconds = |key: &str| {
            if jsonpath {
                self.dynamic_number(obj, key, ptr, 1)
            } else {
                self.number_or_query(obj, key, ptr, key, |c| {
                    c.uint(obj, key, ptr, 1).map(|n| Dynamic::Literal(n.into()))
                })
            }
        };
        let timeout_seconds = seconds("TimeoutSeconds");
        let heartbeat_seconds = seconds("HeartbeatSeconds");
        if let (Some(Dynamic::Literal(t)), Some(Dynamic::Literal(h))) =
            (&timeout_seconds, &heartbeat_seconds)
        {
            if h.as_u64() >= t.as_u64() {
                self.schema(
                    format!("{ptr}/HeartbeatSeconds"),
                    "'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'",
                );
            }
        }
        let credentials = if jsonpath {
            self.template(obj, "Credentials", ptr)
        } else {
            None
        };
        Some(TaskState {
            resource,
            timeout_seconds,
            heartbeat_seconds,
            credentials,
        })
    }

    fn wait(&mut self, obj: &Map<String, Value>, ptr: &str, jsonpath: bool) -> Option<WaitFor> {
        let present: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
            .into_iter()
            .filter(|k| obj.contains_key(*k))
            .collect();
        if present.len() != 1 {
            self.schema(
                ptr.to_owned(),
                "A Wait state must have exactly one of [Seconds, Timestamp, SecondsPath, TimestampPath]",
            );
            return None;
        }
        let key = present[0];
        let value = &obj[key];
        let here = format!("{ptr}/{key}");
        if !jsonpath {
            if let Some(query) = self.query(obj, key, ptr, key) {
                return Some(match key {
                    "Seconds" => WaitFor::SecondsQuery(query?),
                    _ => WaitFor::TimestampQuery(query?),
                });
            }
        }
        match key {
            "Seconds" => self.uint(obj, "Seconds", ptr, 0).map(WaitFor::Seconds),
            "Timestamp" => match value.as_str() {
                Some(s) if timestamp::parse(s).is_some() => Some(WaitFor::Timestamp(s.to_owned())),
                _ => {
                    self.schema(here, "Value is not a valid timestamp");
                    None
                }
            },
            _ => {
                let Some(text) = value.as_str() else {
                    self.schema(here, "Value must be a valid ReferencePath.");
                    return None;
                };
                let path = self.path(text, &here, true)?;
                Some(if key == "SecondsPath" {
                    WaitFor::SecondsPath(path)
                } else {
                    WaitFor::TimestampPath(path)
                })
            }
        }
    }

    fn fail_field(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        ptr: &str,
        jsonpath: bool,
    ) -> Option<Dynamic> {
        if !jsonpath {
            if let Some(query) = self.query(obj, key, ptr, key) {
                return query.map(Dynamic::Query);
            }
        }
        let path_key = format!("{key}Path");
        match (obj.get(key), obj.get(&path_key)) {
            (Some(_), Some(_)) => {
                self.schema(
                    ptr.to_owned(),
                    format!("'{key}' and '{path_key}' are mutually exclusive"),
                );
                None
            }
            (Some(Value::String(s)), None) => Some(Dynamic::Literal(Value::String(s.clone()))),
            (Some(_), None) => {
                self.schema(
                    format!("{ptr}/{key}"),
                    format!("The value of '{key}' must be a string"),
                );
                None
            }
            (None, Some(Value::String(text))) => {
                let here = format!("{ptr}/{path_key}");
                if intrinsics::looks_like_call(text) {
                    match Call::parse(text) {
                        Ok(call) => Some(Dynamic::Call(call)),
                        Err(e) => {
                            self.schema(here, e.to_string());
                            None
                        }
                    }
                } else {
                    self.path(text, &here, true).map(Dynamic::Path)
                }
            }
            (None, Some(_)) => {
                self.schema(
                    format!("{ptr}/{path_key}"),
                    "Value must be a valid ReferencePath.",
                );
                None
            }
            (None, None) => None,
        }
    }

    fn choice(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        ql: QueryLanguage,
        mut jsonata: Option<&mut JsonataFields>,
    ) -> Option<StateKind> {
        let default = self.string(obj, "Default", ptr);
        let items = match obj.get("Choices") {
            Some(Value::Array(items)) if !items.is_empty() => items,
            Some(_) => {
                self.schema(
                    format!("{ptr}/Choices"),
                    "'Choices' must be a non-empty array",
                );
                return None;
            }
            None => {
                self.schema(ptr.to_owned(), "These fields are required: [Choices]");
                return None;
            }
        };
        let mut choices = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let cptr = format!("{ptr}/Choices/{i}");
            let Some(rule) = item.as_object() else {
                self.schema(cptr, "A Choice rule must be an object");
                continue;
            };
            let next = match rule.get("Next") {
                Some(Value::String(n)) => n.clone(),
                _ => {
                    self.schema(cptr.clone(), "These fields are required: [Next]");
                    continue;
                }
            };
            let assign = self.assign(rule, &cptr, ql);
            if let Some(fields) = jsonata.as_deref_mut() {
                self.only_fields(
                    rule,
                    &cptr,
                    &["Condition", "Next", "Output", "Assign", "Comment"],
                );
                let field = format!("Choices[{i}]/");
                let condition = match rule.get("Condition") {
                    Some(Value::String(text)) if expression_text(text).is_some() => {
                        match Query::parse(text, &format!("{field}Condition")) {
                            Ok(q) => Some(q),
                            Err((code, _, message)) => {
                                self.push(code, format!("{cptr}/Condition"), message);
                                None
                            }
                        }
                    }
                    Some(_) => {
                        self.schema(
                            format!("{cptr}/Condition"),
                            "The value of 'Condition' must be a JSONata expression string {% … %}",
                        );
                        None
                    }
                    None => {
                        self.schema(cptr.clone(), "These fields are required: [Condition]");
                        None
                    }
                };
                let output = self.jsonata(rule, "Output", &cptr, &format!("{field}Output"));
                let assign = self.jsonata(rule, "Assign", &cptr, &format!("{field}Assign"));
                if let Some(condition) = condition {
                    fields.choices.push(JsonataChoice {
                        condition,
                        next,
                        output,
                        assign,
                    });
                }
                continue;
            }
            let mut problems = Vec::new();
            let parsed = ChoiceRule::parse(rule, &cptr, &["Next", "Assign"], &mut problems);
            for (pointer, message) in problems {
                self.schema(pointer, message);
            }
            if let Some(rule) = parsed {
                choices.push(ChoiceBranch { rule, next, assign });
            }
        }
        Some(StateKind::Choice { choices, default })
    }

    fn map(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        ql: QueryLanguage,
        scope: WorkflowTypeScope,
        jsonata: Option<&mut JsonataFields>,
    ) -> Option<MapState> {
        let (key, processor) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
            (Some(_), Some(_)) => {
                self.schema(
                    ptr.to_owned(),
                    "'ItemProcessor' and 'Iterator' are mutually exclusive",
                );
                return None;
            }
            (Some(p), None) => ("ItemProcessor", p),
            (None, Some(p)) => ("Iterator", p),
            (None, None) => {
                self.schema(ptr.to_owned(), "These fields are required: [ItemProcessor]");
                return None;
            }
        };
        let pptr = format!("{ptr}/{key}");
        let Some(processor) = processor.as_object() else {
            self.schema(pptr, format!("'{key}' must be an object"));
            return None;
        };
        self.only_fields(
            processor,
            &pptr,
            &["StartAt", "States", "Comment", "ProcessorConfig"],
        );
        let mut mode = MapMode::Inline;
        if let Some(config) = processor.get("ProcessorConfig") {
            let cptr = format!("{pptr}/ProcessorConfig");
            match config.as_object() {
                Some(config) => {
                    self.only_fields(config, &cptr, &["Mode", "ExecutionType"]);
                    let execution_type = match config.get("ExecutionType").and_then(Value::as_str) {
                        None | Some("STANDARD") => WorkflowType::Standard,
                        Some("EXPRESS") => WorkflowType::Express,
                        Some(_) => {
                            self.schema(
                                format!("{cptr}/ExecutionType"),
                                "The value of 'ExecutionType' must be one of [STANDARD, EXPRESS]",
                            );
                            WorkflowType::Standard
                        }
                    };
                    match config.get("Mode").and_then(Value::as_str) {
                        None | Some("INLINE") => {}
                        Some("DISTRIBUTED") => {
                            if !config.contains_key("ExecutionType") {
                                self.schema(
                                    cptr.clone(),
                                    "These fields are required: [ExecutionType]",
                                );
                            }
                            mode = MapMode::Distributed { execution_type };
                        }
                        Some(_) => self.schema(
                            format!("{cptr}/Mode"),
                            "The value of 'Mode' must be one of [INLINE, DISTRIBUTED]",
                        ),
                    }
                }
                None => self.schema(cptr, "'ProcessorConfig' must be an object"),
            }
        }
        for distributed_only in [
            "ItemReader",
            "ResultWriter",
            "ItemBatcher",
            "Label",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
        ] {
            if obj.contains_key(distributed_only) && mode == MapMode::Inline {
                self.schema(
                    format!("{ptr}/{distributed_only}"),
                    format!("The field '{distributed_only}' is only supported in DISTRIBUTED mode"),
                );
            }
        }
        let mut external = |key: &str| match obj.get(key) {
            Some(Value::Object(o)) => Some(Value::Object(o.clone())),
            Some(_) => {
                self.schema(format!("{ptr}/{key}"), format!("'{key}' must be an object"));
                None
            }
            None => None,
        };
        let item_reader = external("ItemReader");
        let result_writer = external("ResultWriter");
        let child_scope = match mode {
            MapMode::Distributed {
                execution_type: WorkflowType::Express,
            } => WorkflowTypeScope(WorkflowType::Express),
            _ => scope,
        };
        let graph = self.graph(processor, &pptr, self.machine_language, child_scope);
        let items_path = match self.path_or_null(obj, "ItemsPath", ptr, true, false) {
            PathOrNull::Path(p) => p,
            PathOrNull::Null => Path::identity(),
        };
        let item_selector = match (
            obj.contains_key("ItemSelector"),
            obj.contains_key("Parameters"),
        ) {
            (true, true) => {
                self.schema(
                    ptr.to_owned(),
                    "'ItemSelector' and 'Parameters' are mutually exclusive",
                );
                None
            }
            (true, false) if ql == QueryLanguage::JsonPath => {
                self.template(obj, "ItemSelector", ptr)
            }
            (false, true) => self.template(obj, "Parameters", ptr),
            _ => None,
        };
        let jsonpath = ql == QueryLanguage::JsonPath;
        let mut number = |key: &str, dynamic: &dyn Fn(&mut Self) -> Option<Dynamic>| {
            if jsonpath {
                dynamic(self)
            } else {
                self.number_or_query(obj, key, ptr, key, dynamic)
            }
        };
        let max_concurrency = number("MaxConcurrency", &|c| {
            c.dynamic_number(obj, "MaxConcurrency", ptr, 0)
        });
        let tolerated_failure_percentage = number("ToleratedFailurePercentage", &|c| {
            c.dynamic_percentage(obj, ptr)
        });
        let tolerated_failure_count = number("ToleratedFailureCount", &|c| {
            c.dynamic_number(obj, "ToleratedFailureCount", ptr, 0)
        });
        let label = self.string(obj, "Label", ptr);
        let item_batcher = self.item_batcher(obj, ptr, jsonpath);
        if let Some(fields) = jsonata {
            fields.items = self.jsonata(obj, "Items", ptr, "Items");
            fields.item_selector = self.jsonata(obj, "ItemSelector", ptr, "ItemSelector");
            if let Some(Value::Object(batcher)) = obj.get("ItemBatcher") {
                fields.batch_input = self.jsonata(
                    batcher,
                    "BatchInput",
                    &format!("{ptr}/ItemBatcher"),
                    "ItemBatcher/BatchInput",
                );
            }
        }
        Some(MapState {
            processor: graph?,
            mode,
            items_path,
            item_selector,
            max_concurrency,
            tolerated_failure_percentage,
            tolerated_failure_count,
            label,
            item_batcher,
            item_reader,
            result_writer,
        })
    }

    fn item_batcher(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        jsonpath: bool,
    ) -> Option<ItemBatcher> {
        let value = obj.get("ItemBatcher")?;
        let bptr = format!("{ptr}/ItemBatcher");
        let Some(batcher) = value.as_object() else {
            self.schema(bptr, "'ItemBatcher' must be an object");
            return None;
        };
        self.only_fields(
            batcher,
            &bptr,
            &[
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                "BatchInput",
            ],
        );
        let mut limit = |key: &str| {
            if jsonpath {
                self.dynamic_number(batcher, key, &bptr, 1)
            } else {
                self.number_or_query(batcher, key, &bptr, &format!("ItemBatcher/{key}"), |c| {
                    c.dynamic_number(batcher, key, &bptr, 1)
                })
            }
        };
        let max_items_per_batch = limit("MaxItemsPerBatch");
        let max_input_bytes_per_batch = limit("MaxInputBytesPerBatch");
        if max_items_per_batch.is_none() && max_input_bytes_per_batch.is_none() {
            self.schema(
                bptr.clone(),
                "'ItemBatcher' needs MaxItemsPerBatch(Path) or MaxInputBytesPerBatch(Path)",
            );
        }
        let batch_input = if jsonpath {
            self.template(batcher, "BatchInput", &bptr)
        } else {
            None
        };
        Some(ItemBatcher {
            max_items_per_batch,
            max_input_bytes_per_batch,
            batch_input,
        })
    }

    fn dynamic_percentage(&mut self, obj: &Map<String, Value>, ptr: &str) -> Option<Dynamic> {
        let key = "ToleratedFailurePercentage";
        match (obj.get(key), obj.get("ToleratedFailurePercentagePath")) {
            (Some(_), Some(_)) => {
                self.schema(
                    ptr.to_owned(),
                    format!("'{key}' and '{key}Path' are mutually exclusive"),
                );
                None
            }
            (Some(_), None) => self
                .number(obj, key, ptr, 0.0, 100.0)
                .map(|n| Dynamic::Literal(n.into())),
            (None, Some(Value::String(text))) => self
                .path(text, &format!("{ptr}/{key}Path"), true)
                .map(Dynamic::Path),
            (None, Some(_)) => {
                self.schema(
                    format!("{ptr}/{key}Path"),
                    "Value must be a valid ReferencePath.",
                );
                None
            }
            (None, None) => None,
        }
    }
}

/// AWS's diagnostic for a field of the other query language in a `ql` state.
fn other_language(ql: QueryLanguage, field: &str) -> String {
    let (this, other) = match ql {
        QueryLanguage::JsonPath => ("JSONPath", "JSONata"),
        QueryLanguage::Jsonata => ("JSONata", "JSONPath"),
    };
    format!("The QueryLanguage is set to '{this}', but field '{field}' is only supported for the '{other}' QueryLanguage")
}

/// A transition target: (field, list and index it sits in, target state name).
type Target<'a> = (&'a str, Option<(&'a str, usize)>, &'a str);

/// The workflow type governing a sub-graph (a distributed Map may run EXPRESS children).
#[derive(Debug, Clone, Copy)]
struct WorkflowTypeScope(WorkflowType);
