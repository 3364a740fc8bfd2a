//! Choice rules: the boolean combinators (`And`, `Or`, `Not`) and every comparison
//! operator with its `…Path` form, parsed with diagnostics and evaluated as AWS does
//! (a type mismatch is simply false; an unresolvable `Variable` is a `States.Runtime`).

use serde_json::{Map, Value};

use crate::error::StatesError;
use crate::jsonpath::Path;
use crate::payload::Env;
use crate::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeTest {
    IsBoolean,
    IsNull,
    IsNumeric,
    IsPresent,
    IsString,
    IsTimestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(Path),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChoiceRule {
    And(Vec<ChoiceRule>),
    Or(Vec<ChoiceRule>),
    Not(Box<ChoiceRule>),
    Compare {
        variable: Path,
        kind: Kind,
        cmp: Cmp,
        operand: Operand,
    },
    Test {
        variable: Path,
        test: TypeTest,
        expected: bool,
    },
    Matches {
        variable: Path,
        pattern: String,
    },
}

/// Every comparison operator name: (name, kind, comparison).
const COMPARISONS: [(&str, Kind, Cmp); 16] = [
    ("BooleanEquals", Kind::Boolean, Cmp::Equals),
    ("NumericEquals", Kind::Numeric, Cmp::Equals),
    ("NumericGreaterThan", Kind::Numeric, Cmp::GreaterThan),
    (
        "NumericGreaterThanEquals",
        Kind::Numeric,
        Cmp::GreaterThanEquals,
    ),
    ("NumericLessThan", Kind::Numeric, Cmp::LessThan),
    ("NumericLessThanEquals", Kind::Numeric, Cmp::LessThanEquals),
    ("StringEquals", Kind::String, Cmp::Equals),
    ("StringGreaterThan", Kind::String, Cmp::GreaterThan),
    (
        "StringGreaterThanEquals",
        Kind::String,
        Cmp::GreaterThanEquals,
    ),
    ("StringLessThan", Kind::String, Cmp::LessThan),
    ("StringLessThanEquals", Kind::String, Cmp::LessThanEquals),
    ("TimestampEquals", Kind::Timestamp, Cmp::Equals),
    ("TimestampGreaterThan", Kind::Timestamp, Cmp::GreaterThan),
    (
        "TimestampGreaterThanEquals",
        Kind::Timestamp,
        Cmp::GreaterThanEquals,
    ),
    ("TimestampLessThan", Kind::Timestamp, Cmp::LessThan),
    (
        "TimestampLessThanEquals",
        Kind::Timestamp,
        Cmp::LessThanEquals,
    ),
];

const TYPE_TESTS: [(&str, TypeTest); 6] = [
    ("IsBoolean", TypeTest::IsBoolean),
    ("IsNull", TypeTest::IsNull),
    ("IsNumeric", TypeTest::IsNumeric),
    ("IsPresent", TypeTest::IsPresent),
    ("IsString", TypeTest::IsString),
    ("IsTimestamp", TypeTest::IsTimestamp),
];

/// Fields a rule may carry besides its operator (top-level rules add `Next` and `Assign`).
const RULE_FIELDS: [&str; 2] = ["Variable", "Comment"];

/// A problem found while parsing a rule: JSON pointer and message.
pub type RuleProblem = (String, String);

fn is_operator(name: &str) -> bool {
    name == "And"
        || name == "Or"
        || name == "Not"
        || name == "StringMatches"
        || TYPE_TESTS.iter().any(|(n, _)| *n == name)
        || COMPARISONS
            .iter()
            .any(|(n, _, _)| *n == name || name.strip_suffix("Path") == Some(n))
}

impl ChoiceRule {
    /// Parses one rule. `extra` lists fields allowed at this level (`Next`, `Assign`).
    pub fn parse(
        rule: &Map<String, Value>,
        pointer: &str,
        extra: &[&str],
        problems: &mut Vec<RuleProblem>,
    ) -> Option<ChoiceRule> {
        let operators: Vec<&String> = rule.keys().filter(|k| is_operator(k)).collect();
        for key in rule.keys() {
            if !is_operator(key)
                && !RULE_FIELDS.contains(&key.as_str())
                && !extra.contains(&key.as_str())
            {
                problems.push((
                    format!("{pointer}/{key}"),
                    format!("Field '{key}' is not supported in a Choice rule"),
                ));
            }
        }
        let [operator] = operators.as_slice() else {
            problems.push((
                pointer.to_owned(),
                "A Choice rule must have exactly one comparison operator or And/Or/Not".into(),
            ));
            return None;
        };
        let operator = operator.as_str();
        let value = &rule[operator];
        let here = format!("{pointer}/{operator}");
        match operator {
            "And" | "Or" | "Not" => {
                if rule.contains_key("Variable") {
                    problems.push((
                        format!("{pointer}/Variable"),
                        format!("'Variable' is not allowed with '{operator}'"),
                    ));
                }
                if operator == "Not" {
                    let Some(inner) = value.as_object() else {
                        problems.push((here, "'Not' must be a Choice rule object".into()));
                        return None;
                    };
                    return Self::parse(inner, &here, &[], problems)
                        .map(|r| ChoiceRule::Not(Box::new(r)));
                }
                let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
                    problems.push((
                        here,
                        format!("'{operator}' must be a non-empty array of Choice rules"),
                    ));
                    return None;
                };
                let mut rules = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{here}/{i}");
                    match item.as_object() {
                        Some(o) => rules.extend(Self::parse(o, &at, &[], problems)),
                        None => problems.push((at, "A Choice rule must be an object".into())),
                    }
                }
                Some(if operator == "And" {
                    ChoiceRule::And(rules)
                } else {
                    ChoiceRule::Or(rules)
                })
            }
            _ => {
                let variable = match rule.get("Variable") {
                    Some(Value::String(text)) => match Path::parse(text) {
                        Ok(p) if p.is_reference() => p,
                        _ => {
                            problems.push((
                                format!("{pointer}/Variable"),
                                "Value must be a valid JSONPath (a reference path)".into(),
                            ));
                            return None;
                        }
                    },
                    Some(_) => {
                        problems.push((
                            format!("{pointer}/Variable"),
                            "'Variable' must be a string".into(),
                        ));
                        return None;
                    }
                    None => {
                        problems.push((
                            pointer.to_owned(),
                            "These fields are required: [Variable]".into(),
                        ));
                        return None;
                    }
                };
                Self::parse_comparison(operator, value, variable, &here, problems)
            }
        }
    }

    fn parse_comparison(
        operator: &str,
        value: &Value,
        variable: Path,
        here: &str,
        problems: &mut Vec<RuleProblem>,
    ) -> Option<ChoiceRule> {
        if operator == "StringMatches" {
            return match value.as_str() {
                Some(pattern) => Some(ChoiceRule::Matches {
                    variable,
                    pattern: pattern.to_owned(),
                }),
                None => {
                    problems.push((here.to_owned(), "'StringMatches' must be a string".into()));
                    None
                }
            };
        }
        if let Some((_, test)) = TYPE_TESTS.iter().find(|(n, _)| *n == operator) {
            return match value.as_bool() {
                Some(expected) => Some(ChoiceRule::Test {
                    variable,
                    test: *test,
                    expected,
                }),
                None => {
                    problems.push((here.to_owned(), format!("'{operator}' must be a boolean")));
                    None
                }
            };
        }
        let (base, is_path) = match operator.strip_suffix("Path") {
            Some(base) => (base, true),
            None => (operator, false),
        };
        let (_, kind, cmp) = COMPARISONS.iter().find(|(n, _, _)| *n == base)?;
        let operand = if is_path {
            match value.as_str().map(Path::parse) {
                Some(Ok(p)) if p.is_reference() => Operand::Path(p),
                _ => {
                    problems.push((
                        here.to_owned(),
                        "Value must be a valid JSONPath (a reference path)".into(),
                    ));
                    return None;
                }
            }
        } else {
            let ok = match kind {
                Kind::String => value.is_string(),
                Kind::Numeric => value.is_number(),
                Kind::Boolean => value.is_boolean(),
                Kind::Timestamp => value.as_str().and_then(timestamp::parse).is_some(),
            };
            if !ok {
                let expected = match kind {
                    Kind::String => "a string",
                    Kind::Numeric => "a number",
                    Kind::Boolean => "a boolean",
                    Kind::Timestamp => "a valid timestamp (RFC 3339)",
                };
                problems.push((here.to_owned(), format!("'{operator}' must be {expected}")));
                return None;
            }
            Operand::Literal(value.clone())
        };
        Some(ChoiceRule::Compare {
            variable,
            kind: *kind,
            cmp: *cmp,
            operand,
        })
    }

    pub fn eval(&self, env: &Env<'_>) -> Result<bool, StatesError> {
        match self {
            ChoiceRule::And(rules) => {
                for rule in rules {
                    if !rule.eval(env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            ChoiceRule::Or(rules) => {
                for rule in rules {
                    if rule.eval(env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            ChoiceRule::Not(rule) => Ok(!rule.eval(env)?),
            ChoiceRule::Test {
                variable,
                test,
                expected,
            } => {
                let value = env.read(variable).ok();
                let outcome = match (test, &value) {
                    (TypeTest::IsPresent, v) => v.is_some(),
                    (_, None) => return Err(invalid_path(variable)),
                    (TypeTest::IsBoolean, Some(v)) => v.is_boolean(),
                    (TypeTest::IsNull, Some(v)) => v.is_null(),
                    (TypeTest::IsNumeric, Some(v)) => v.is_number(),
                    (TypeTest::IsString, Some(v)) => v.is_string(),
                    (TypeTest::IsTimestamp, Some(v)) => {
                        v.as_str().and_then(timestamp::parse).is_some()
                    }
                };
                Ok(outcome == *expected)
            }
            ChoiceRule::Matches { variable, pattern } => {
                let value = env.read(variable).map_err(|_| invalid_path(variable))?;
                Ok(value.as_str().is_some_and(|s| wildcard_match(pattern, s)))
            }
            ChoiceRule::Compare {
                variable,
                kind,
                cmp,
                operand,
            } => {
                let value = env.read(variable).map_err(|_| invalid_path(variable))?;
                let other = match operand {
                    Operand::Literal(v) => v.clone(),
                    Operand::Path(p) => env.read(p).map_err(|_| invalid_path(p))?,
                };
                Ok(compare(*kind, *cmp, &value, &other))
            }
        }
    }
}

fn invalid_path(path: &Path) -> StatesError {
    StatesError::runtime(format!(
        "Invalid path '{path}': The choice state's condition path references an invalid value."
    ))
}

fn compare(kind: Kind, cmp: Cmp, a: &Value, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match kind {
        // AWS compares strings as Java's String.compareTo: by UTF-16 code units.
        Kind::String => match (a.as_str(), b.as_str()) {
            (Some(a), Some(b)) => Some(a.encode_utf16().cmp(b.encode_utf16())),
            _ => None,
        },
        Kind::Numeric => match (a, b) {
            (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => a
                    .as_f64()
                    .zip(b.as_f64())
                    .and_then(|(a, b)| a.partial_cmp(&b)),
            },
            _ => None,
        },
        Kind::Boolean => match (a.as_bool(), b.as_bool()) {
            (Some(a), Some(b)) if cmp == Cmp::Equals => Some(a.cmp(&b)),
            _ => None,
        },
        Kind::Timestamp => {
            match (
                a.as_str().and_then(timestamp::parse),
                b.as_str().and_then(timestamp::parse),
            ) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => None,
            }
        }
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match cmp {
        Cmp::Equals => ordering == Ordering::Equal,
        Cmp::LessThan => ordering == Ordering::Less,
        Cmp::GreaterThan => ordering == Ordering::Greater,
        Cmp::LessThanEquals => ordering != Ordering::Greater,
        Cmp::GreaterThanEquals => ordering != Ordering::Less,
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literals.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Star,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => tokens.push(Tok::Char(escaped)),
                None => tokens.push(Tok::Char('\\')),
            },
            '*' => tokens.push(Tok::Star),
            c => tokens.push(Tok::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Iterative glob match with single backtrack point: linear in practice.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Tok::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("log-*.txt", "log-2024.txt"));
        assert!(!wildcard_match("log-*.txt", "log-2024.csv"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a\\*b", "a*b"));
        assert!(!wildcard_match("a\\*b", "axb"));
        assert!(wildcard_match("*.log", "x.log.log"));
    }
}
