//! IAM policies as sets of single grants: one action on one resource under a set of
//! conditions. Two policies allow the same thing exactly when their grant sets are equal, so
//! comparing sets tells both what is missing and what is too much.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

/// One condition: operator, key, accepted values (`{"StringEquals": {"k": ["v"]}}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: BTreeSet<String>,
}

/// One action allowed on one resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub action: String,
    pub resource: String,
    pub conditions: BTreeSet<Condition>,
}

impl Grant {
    pub fn new(action: &str, resource: impl Into<String>) -> Self {
        Grant {
            action: action.to_owned(),
            resource: resource.into(),
            conditions: BTreeSet::new(),
        }
    }

    pub fn when(mut self, operator: &str, key: &str, value: impl Into<String>) -> Self {
        self.conditions.insert(Condition {
            operator: operator.to_owned(),
            key: key.to_owned(),
            values: [value.into()].into(),
        });
        self
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.action, self.resource)?;
        for c in &self.conditions {
            let values: Vec<&str> = c.values.iter().map(String::as_str).collect();
            write!(f, " when {} {} {}", c.key, c.operator, values.join("|"))?;
        }
        Ok(())
    }
}

/// Why a policy document cannot be read as grants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy is not JSON: {0}")]
    NotJson(String),
    #[error("statement {0}: {1}")]
    Statement(usize, String),
}

fn strings(value: &Value, field: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{field} holds {i}, not a string"))
            })
            .collect(),
        other => Err(format!("{field} is {other}, not a string or a list")),
    }
}

fn conditions(value: Option<&Value>) -> Result<BTreeSet<Condition>, String> {
    let mut set = BTreeSet::new();
    let Some(value) = value else { return Ok(set) };
    let operators = value
        .as_object()
        .ok_or_else(|| format!("Condition is {value}, not an object"))?;
    for (operator, keys) in operators {
        let keys = keys
            .as_object()
            .ok_or_else(|| format!("Condition {operator} is {keys}, not an object"))?;
        for (key, values) in keys {
            set.insert(Condition {
                operator: operator.clone(),
                key: key.clone(),
                values: strings(values, &format!("Condition {operator} {key}"))?
                    .into_iter()
                    .collect(),
            });
        }
    }
    Ok(set)
}

/// The grants of an identity policy. Only `Allow` statements with `Action` and `Resource` are
/// read: `Deny`, `NotAction` and `NotResource` are refused, because a role whose grants must
/// match a machine exactly has no use for them and they would make "allows nothing else"
/// unprovable.
pub fn grants(policy: &str) -> Result<BTreeSet<Grant>, PolicyError> {
    let document: Value =
        serde_json::from_str(policy).map_err(|e| PolicyError::NotJson(e.to_string()))?;
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => return Err(PolicyError::NotJson("no Statement".to_owned())),
    };
    let mut all = BTreeSet::new();
    for (index, statement) in statements.iter().enumerate() {
        let fail = |message: String| PolicyError::Statement(index, message);
        for refused in ["NotAction", "NotResource"] {
            if statement.get(refused).is_some() {
                return Err(fail(format!("{refused} is not allowed")));
            }
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow") => {}
            other => return Err(fail(format!("Effect {other:?}: only Allow is read"))),
        }
        let field = |name: &str| {
            statement
                .get(name)
                .ok_or_else(|| fail(format!("no {name}")))
                .and_then(|v| strings(v, name).map_err(fail))
        };
        let actions = field("Action")?;
        let resources = field("Resource")?;
        let conditions = conditions(statement.get("Condition")).map_err(fail)?;
        for action in &actions {
            for resource in &resources {
                all.insert(Grant {
                    action: action.clone(),
                    resource: resource.clone(),
                    conditions: conditions.clone(),
                });
            }
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_expand_to_one_grant_per_action_and_resource() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["a:X","a:Y"],"Resource":["r1","r2"],
             "Condition":{"StringEquals":{"k":"v"}}},
            {"Effect":"Allow","Action":"b:Z","Resource":"*"}]}"#;
        let grants = grants(policy).unwrap();
        assert_eq!(grants.len(), 5);
        assert!(grants.contains(&Grant::new("a:Y", "r2").when("StringEquals", "k", "v")));
        assert!(grants.contains(&Grant::new("b:Z", "*")));
        assert!(
            !grants.contains(&Grant::new("a:X", "r1")),
            "conditions are part of a grant"
        );
    }

    #[test]
    fn deny_and_not_action_are_refused() {
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"a:X","Resource":"*"}}"#;
        assert!(matches!(grants(deny), Err(PolicyError::Statement(0, _))));
        let not_action = r#"{"Statement":[{"Effect":"Allow","NotAction":"a:X","Resource":"*"}]}"#;
        let error = grants(not_action).unwrap_err().to_string();
        assert!(error.contains("NotAction"), "{error}");
    }
}
