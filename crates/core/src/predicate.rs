//! Predicates: the small language that decides which branches of a run apply (Amplify-style).
//!
//! A predicate is written as JSON or TOML and evaluated against a JSON *subject*. For a file the
//! subject is `{"name", "path", "class", "size", …}`; for a whole survey it is a summary with
//! `files`, the list of file subjects, so quantifiers can look inside:
//!
//! | form | holds when |
//! |---|---|
//! | `true` / `false` | always / never |
//! | `{"all": [P, …]}`, `{"any": [P, …]}`, `{"not": P}` | every / some / not |
//! | `{"name": PAT}`, `{"path": PAT}`, `{"class": PAT}` | the subject's field matches `PAT` |
//! | `{"field": "a.b", "gt": 3}` (`eq ne lt le gt ge`) | the dotted field compares so |
//! | `{"any_file": P}`, `{"all_files": P}` | some / every entry of `files` satisfies `P` |
//!
//! `PAT` is a glob (`"*.all"`, `"raw/**"`, `?`; ASCII case-insensitive, because file
//! extensions arrive in either case) or `{"regex": "…"}`. A missing field never matches, so a
//! predicate over absent data is false rather than an error.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("predicate at {at}: {message}")]
pub struct PredicateError {
    /// Where in the predicate the problem is, as a path (`any[1].name`).
    pub at: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub enum Predicate {
    Const(bool),
    All(Vec<Predicate>),
    Any(Vec<Predicate>),
    Not(Box<Predicate>),
    Matches { field: Field, pattern: Pattern },
    Compare { field: String, op: Op, value: Value },
    AnyFile(Box<Predicate>),
    AllFiles(Box<Predicate>),
}

/// The string fields a pattern can look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Path,
    Class,
}

impl Field {
    fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Path => "path",
            Self::Class => "class",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Pattern {
    Glob(String),
    Regex(regex_lite::Regex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

const OPS: [(&str, Op); 6] = [
    ("eq", Op::Eq),
    ("ne", Op::Ne),
    ("lt", Op::Lt),
    ("le", Op::Le),
    ("gt", Op::Gt),
    ("ge", Op::Ge),
];

/// The result of evaluating a predicate, with a short account of why, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub holds: bool,
    pub why: String,
}

impl Predicate {
    /// Parses the JSON form. TOML parses through `serde_json::to_value` of the TOML value.
    pub fn parse(value: &Value) -> Result<Self, PredicateError> {
        parse_at(value, "$")
    }

    /// Evaluates against `subject`, explaining the outcome.
    pub fn evaluate(&self, subject: &Value) -> Verdict {
        let holds = self.holds(subject);
        let why = match self {
            Self::AnyFile(inner) => match files(subject).find(|f| inner.holds(f)) {
                Some(file) => format!("{} matches {inner}", describe(file)),
                None => format!("no file matches {inner}"),
            },
            Self::AllFiles(inner) => match files(subject).find(|f| !inner.holds(f)) {
                Some(file) => format!("{} does not match {inner}", describe(file)),
                None => format!("every file matches {inner}"),
            },
            Self::All(parts) if !holds => match parts.iter().find(|p| !p.holds(subject)) {
                Some(failing) => failing.evaluate(subject).why,
                None => format!("{self} is false"),
            },
            Self::Any(parts) if holds => match parts.iter().find(|p| p.holds(subject)) {
                Some(passing) => passing.evaluate(subject).why,
                None => format!("{self} is true"),
            },
            _ => format!("{self} is {holds}"),
        };
        Verdict { holds, why }
    }

    pub fn holds(&self, subject: &Value) -> bool {
        match self {
            Self::Const(value) => *value,
            Self::All(parts) => parts.iter().all(|p| p.holds(subject)),
            Self::Any(parts) => parts.iter().any(|p| p.holds(subject)),
            Self::Not(inner) => !inner.holds(subject),
            Self::Matches { field, pattern } => subject
                .get(field.key())
                .and_then(Value::as_str)
                .is_some_and(|text| pattern.matches(text)),
            Self::Compare { field, op, value } => {
                lookup(subject, field).is_some_and(|actual| compare(actual, *op, value))
            }
            Self::AnyFile(inner) => files(subject).any(|f| inner.holds(f)),
            Self::AllFiles(inner) => files(subject).all(|f| inner.holds(f)),
        }
    }
}

fn files(subject: &Value) -> impl Iterator<Item = &Value> {
    subject
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn describe(file: &Value) -> String {
    let path = file.get("path").or_else(|| file.get("name"));
    match path.and_then(Value::as_str) {
        Some(path) => format!("{path:?}"),
        None => "a file".to_owned(),
    }
}

fn lookup<'a>(subject: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(subject, |value, segment| value.get(segment))
}

fn compare(actual: &Value, op: Op, expected: &Value) -> bool {
    let ordering = match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match (op, ordering) {
        (Op::Eq, Some(o)) => o == Ordering::Equal,
        (Op::Ne, Some(o)) => o != Ordering::Equal,
        // Values of different types are unequal and unordered.
        (Op::Ne, None) => true,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (_, None) => false,
    }
}

impl Pattern {
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Self::Glob(glob) => glob_matches(glob.as_bytes(), text.as_bytes()),
            Self::Regex(regex) => regex.is_match(text),
        }
    }
}

/// `*` matches within one path segment, `**` across segments, `?` one character.
fn glob_matches(glob: &[u8], text: &[u8]) -> bool {
    match glob {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => {
            let rest = rest.strip_prefix(b"/").unwrap_or(rest);
            (0..=text.len()).any(|i| glob_matches(rest, &text[i..]))
        }
        [b'*', rest @ ..] => {
            let segment_end = text.iter().position(|&c| c == b'/').unwrap_or(text.len());
            (0..=segment_end).any(|i| glob_matches(rest, &text[i..]))
        }
        [b'?', rest @ ..] => match text {
            [] => false,
            _ => {
                // One character, which may be several bytes of UTF-8.
                let width = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.chars().next())
                    .map_or(1, char::len_utf8);
                text[0] != b'/' && glob_matches(rest, &text[width..])
            }
        },
        [c, rest @ ..] => match text {
            [t, text_rest @ ..] if c.eq_ignore_ascii_case(t) => glob_matches(rest, text_rest),
            _ => false,
        },
    }
}

fn error(at: &str, message: impl Into<String>) -> PredicateError {
    PredicateError {
        at: at.to_owned(),
        message: message.into(),
    }
}

fn parse_at(value: &Value, at: &str) -> Result<Predicate, PredicateError> {
    let object = match value {
        Value::Bool(b) => return Ok(Predicate::Const(*b)),
        Value::Object(object) => object,
        other => {
            return Err(error(
                at,
                format!("expected true, false or a table with one operator, got {other}"),
            ))
        }
    };
    if let Some(field) = object.get("field") {
        let field = field
            .as_str()
            .filter(|f| !f.is_empty())
            .ok_or_else(|| error(at, "`field` must name a field (`classes.raw`)"))?;
        let mut ops = object.iter().filter(|(k, _)| k.as_str() != "field");
        let (name, expected) = match (ops.next(), ops.next()) {
            (Some(op), None) => op,
            _ => {
                return Err(error(
                    at,
                    "a comparison has `field` and exactly one of eq, ne, lt, le, gt, ge",
                ))
            }
        };
        let op = OPS
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, op)| *op)
            .ok_or_else(|| error(at, format!("unknown comparison `{name}`")))?;
        if !matches!(
            expected,
            Value::Number(_) | Value::String(_) | Value::Bool(_)
        ) {
            return Err(error(
                at,
                format!("`{name}` compares with a number, string or boolean"),
            ));
        }
        return Ok(Predicate::Compare {
            field: field.to_owned(),
            op,
            value: expected.clone(),
        });
    }
    let mut entries = object.iter();
    let (operator, operand) = match (entries.next(), entries.next()) {
        (Some(entry), None) => entry,
        _ => return Err(error(at, "a predicate table has exactly one operator")),
    };
    let here = format!("{at}.{operator}");
    let list = |operand: &Value| -> Result<Vec<Predicate>, PredicateError> {
        let items = operand
            .as_array()
            .ok_or_else(|| error(&here, "expected a list of predicates"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_at(item, &format!("{here}[{i}]")))
            .collect()
    };
    let pattern = |field: Field| -> Result<Predicate, PredicateError> {
        Ok(Predicate::Matches {
            field,
            pattern: parse_pattern(operand, &here)?,
        })
    };
    match operator.as_str() {
        "all" => Ok(Predicate::All(list(operand)?)),
        "any" => Ok(Predicate::Any(list(operand)?)),
        "not" => Ok(Predicate::Not(Box::new(parse_at(operand, &here)?))),
        "any_file" => Ok(Predicate::AnyFile(Box::new(parse_at(operand, &here)?))),
        "all_files" => Ok(Predicate::AllFiles(Box::new(parse_at(operand, &here)?))),
        "name" => pattern(Field::Name),
        "path" => pattern(Field::Path),
        "class" => pattern(Field::Class),
        other => Err(error(
            at,
            format!(
                "unknown operator `{other}` (expected all, any, not, name, path, class, field, \
                 any_file or all_files)"
            ),
        )),
    }
}

fn parse_pattern(value: &Value, at: &str) -> Result<Pattern, PredicateError> {
    match value {
        Value::String(glob) => Ok(Pattern::Glob(glob.clone())),
        Value::Object(object) if object.len() == 1 => {
            match (object.get("glob"), object.get("regex")) {
                (Some(Value::String(glob)), _) => Ok(Pattern::Glob(glob.clone())),
                (_, Some(Value::String(regex))) => regex_lite::Regex::new(regex)
                    .map(Pattern::Regex)
                    .map_err(|e| error(at, format!("invalid regex {regex:?}: {e}"))),
                _ => Err(error(at, "expected {glob = \"…\"} or {regex = \"…\"}")),
            }
        }
        _ => Err(error(
            at,
            "expected a glob string, {glob = \"…\"} or {regex = \"…\"}",
        )),
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, parts: &[Predicate], word: &str| {
            f.write_str("(")?;
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    write!(f, " {word} ")?;
                }
                write!(f, "{part}")?;
            }
            f.write_str(")")
        };
        match self {
            Self::Const(value) => write!(f, "{value}"),
            Self::All(parts) => join(f, parts, "and"),
            Self::Any(parts) => join(f, parts, "or"),
            Self::Not(inner) => write!(f, "not {inner}"),
            Self::Matches { field, pattern } => write!(f, "{} {pattern}", field.key()),
            Self::Compare { field, op, value } => {
                let symbol = match op {
                    Op::Eq => "==",
                    Op::Ne => "!=",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Gt => ">",
                    Op::Ge => ">=",
                };
                write!(f, "{field} {symbol} {value}")
            }
            Self::AnyFile(inner) => write!(f, "any file with {inner}"),
            Self::AllFiles(inner) => write!(f, "every file with {inner}"),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Glob(glob) => write!(f, "like {glob:?}"),
            Self::Regex(regex) => write!(f, "matching /{}/", regex.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Predicate {
        Predicate::parse(&value).unwrap()
    }

    fn survey() -> Value {
        json!({
            "objects": 3, "bytes": 3000, "classes": {"raw": 2, "grid": 0},
            "files": [
                {"name": "0001.ALL", "path": "raw/0001.ALL", "class": "raw", "size": 1000},
                {"name": "0002.all", "path": "raw/day 2/0002.all", "class": "raw", "size": 1500},
                {"name": "notes.txt", "path": "notes.txt", "class": "other", "size": 500}
            ]
        })
    }

    #[test]
    fn globs_respect_segments_and_ignore_ascii_case() {
        for (glob, text, expected) in [
            ("*.all", "0001.ALL", true),
            ("*.all", "raw/0001.all", false),
            ("raw/*.all", "raw/0001.all", true),
            ("raw/*", "raw/a/b", false),
            ("raw/**", "raw/a/b", true),
            ("**/*.all", "0001.all", true),
            ("**/*.all", "raw/day 2/0002.all", true),
            ("?.bag", "é.bag", true),
            ("?.bag", "/.bag", false),
            ("*.bag", "a.bag.tmp", false),
        ] {
            assert_eq!(
                Pattern::Glob(glob.into()).matches(text),
                expected,
                "{glob} vs {text}"
            );
        }
    }

    #[test]
    fn quantifiers_comparisons_and_connectives() {
        let subject = survey();
        let cases = [
            (json!({"any_file": {"class": "raw"}}), true),
            (json!({"any_file": {"class": "grid"}}), false),
            (json!({"all_files": {"field": "size", "ge": 500}}), true),
            (json!({"all_files": {"field": "size", "gt": 500}}), false),
            (json!({"field": "classes.raw", "gt": 0}), true),
            (json!({"field": "classes.missing", "gt": 0}), false),
            (json!({"field": "classes.raw", "ne": "2"}), true),
            (
                json!({"all": [{"field": "bytes", "le": 3000}, {"not": {"any_file": {"path": {"regex": "^tmp/"}}}}]}),
                true,
            ),
            (
                json!({"any": [false, {"any_file": {"name": {"glob": "*.kmall"}}}]}),
                false,
            ),
            (json!(true), true),
        ];
        for (predicate, expected) in cases {
            assert_eq!(
                parse(predicate.clone()).holds(&subject),
                expected,
                "{predicate}"
            );
        }
    }

    #[test]
    fn verdicts_name_the_deciding_file() {
        let subject = survey();
        let verdict = parse(json!({"any_file": {"class": "raw"}})).evaluate(&subject);
        assert!(verdict.holds);
        assert_eq!(verdict.why, r#""raw/0001.ALL" matches class like "raw""#);
        let verdict =
            parse(json!({"all": [{"any_file": {"class": "grid"}}, true]})).evaluate(&subject);
        assert!(!verdict.holds);
        assert_eq!(verdict.why, r#"no file matches class like "grid""#);
    }

    #[test]
    fn bad_predicates_say_where() {
        for (value, at, fragment) in [
            (json!({"al": []}), "$", "unknown operator `al`"),
            (
                json!({"any": [{"name": 3}]}),
                "$.any[0].name",
                "glob string",
            ),
            (
                json!({"not": {"class": {"regex": "("}}}),
                "$.not.class",
                "invalid regex",
            ),
            (
                json!({"field": "size", "gt": 1, "lt": 5}),
                "$",
                "exactly one",
            ),
            (
                json!({"field": "size", "between": 1}),
                "$",
                "unknown comparison",
            ),
            (
                json!({"field": "size", "eq": [1]}),
                "$",
                "number, string or boolean",
            ),
            (json!({"any": [], "all": []}), "$", "exactly one operator"),
            (json!("raw"), "$", "expected true, false"),
        ] {
            let error = Predicate::parse(&value).unwrap_err();
            assert_eq!(error.at, at, "{value}");
            assert!(error.message.contains(fragment), "{value}: {error}");
        }
    }
}
