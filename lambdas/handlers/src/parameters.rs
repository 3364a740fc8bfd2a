//! A survey's `leadline.toml`: per-survey overrides of the environment's survey parameters and
//! of the plan's branch predicates. Every value is checked here, before a run starts, because
//! parameters end up as arguments of the processor's command lines.
//!
//! ```toml
//! resolution = "0.5m"
//! iho_order = "S44_SPECIAL"
//! [predicates]
//! processor = false
//! products = { any_file = { class = "grid" } }
//! ```

use leadline_core::key::Key;
use leadline_core::predicate::Predicate;
use serde_json::{Map, Value};

/// The branches a survey may set a predicate for.
pub const BRANCHES: [&str; 2] = ["processor", "products"];

const IHO_ORDERS: [&str; 5] = ["S44_EXCLUSIVE", "S44_SPECIAL", "S44_1A", "S44_1B", "S44_2"];
const VERTICAL_REFERENCES: [&str; 3] = ["GPS", "TIDE", "NONE"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct ParametersError {
    pub file: String,
    pub problem: String,
}

/// A length in metres as CARIS takes it: `0.5m`, `10m`.
fn metres(text: &str) -> bool {
    text.strip_suffix('m').is_some_and(number)
}

fn number(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 16
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|&b| b == b'.').count() <= 1
        && text.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

fn epsg(text: &str) -> bool {
    text.strip_prefix("EPSG:").is_some_and(|code| {
        (4..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
    })
}

fn vessel_file(text: &str) -> bool {
    Key::new(text).is_ok() && !text.starts_with('-') && text.to_ascii_lowercase().ends_with(".hvf")
}

/// Checks one survey parameter, returning what it should look like when it is wrong.
fn check(name: &str, text: &str) -> Result<(), String> {
    let (ok, expected) = match name {
        "resolution" | "tide_measured" | "tide_zoning" => (
            metres(text),
            "a length in metres such as \"0.5m\"".to_owned(),
        ),
        "filter_threshold" => (number(text), "a positive number such as \"1.6\"".to_owned()),
        "output_crs" => (epsg(text), "an EPSG code such as \"EPSG:32619\"".to_owned()),
        "iho_order" => (
            IHO_ORDERS.contains(&text),
            format!("one of {}", IHO_ORDERS.join(", ")),
        ),
        "vertical_reference" => (
            VERTICAL_REFERENCES.contains(&text),
            format!("one of {}", VERTICAL_REFERENCES.join(", ")),
        ),
        "vessel_file" => (
            vessel_file(text),
            "a path inside the upload ending in .hvf".to_owned(),
        ),
        _ => {
            return Err(format!(
                "unknown parameter `{name}` (known: resolution, iho_order, output_crs, \
                 vessel_file, vertical_reference, tide_measured, tide_zoning, \
                 filter_threshold, predicates)"
            ))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` = {text:?}: expected {expected}"))
    }
}

/// Parses and validates `text` (the content of `file`, named in errors). Returns the parameters
/// as the execution input carries them; predicates become their JSON form.
pub fn parse(file: &str, text: &str) -> Result<Map<String, Value>, ParametersError> {
    let fail = |problem: String| ParametersError {
        file: file.to_owned(),
        problem,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| fail(format!("not valid TOML: {}", e.message())))?;
    let mut parameters = Map::new();
    for (name, value) in table {
        if name == "predicates" {
            let predicates = predicates(&value).map_err(fail)?;
            parameters.insert(name, Value::Object(predicates));
            continue;
        }
        let toml::Value::String(text) = &value else {
            return Err(fail(format!(
                "`{name}` must be a string (units included, as the environment writes it), \
                 not {}",
                value.type_str()
            )));
        };
        check(&name, text).map_err(fail)?;
        parameters.insert(name, Value::String(text.clone()));
    }
    Ok(parameters)
}

/// Validates a `predicates` table (branch → predicate), as TOML or JSON.
pub fn predicates(value: &impl serde::Serialize) -> Result<Map<String, Value>, String> {
    let value = serde_json::to_value(value).map_err(|e| format!("`predicates`: {e}"))?;
    let Value::Object(table) = value else {
        return Err("`predicates` must be a table of branch = predicate".into());
    };
    for (branch, predicate) in &table {
        if !BRANCHES.contains(&branch.as_str()) {
            return Err(format!(
                "`predicates.{branch}`: unknown branch (known: {})",
                BRANCHES.join(", ")
            ));
        }
        Predicate::parse(predicate).map_err(|e| format!("`predicates.{branch}`: {e}"))?;
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_full_file() {
        let parameters = parse(
            "H1/leadline.toml",
            r#"
            resolution = "0.5m"
            iho_order = "S44_SPECIAL"
            output_crs = "EPSG:32619"
            vessel_file = "config/Ship.HVF"
            vertical_reference = "TIDE"
            tide_measured = "0.1m"
            tide_zoning = "0.2m"
            filter_threshold = "2"
            [predicates]
            processor = false
            products = { any_file = { name = "*.bag" } }
            "#,
        )
        .unwrap();
        assert_eq!(parameters["resolution"], "0.5m");
        assert_eq!(parameters["predicates"]["processor"], false);
        assert_eq!(
            parameters["predicates"]["products"]["any_file"]["name"],
            "*.bag"
        );
    }

    #[test]
    fn bad_values_are_named() {
        for (text, fragment) in [
            (
                "resolution = \"fast\"",
                "`resolution` = \"fast\": expected a length",
            ),
            ("resolution = 0.5", "`resolution` must be a string"),
            ("iho_order = \"S44_3\"", "one of S44_EXCLUSIVE"),
            ("output_crs = \"--help\"", "an EPSG code"),
            ("vessel_file = \"../other.hvf\"", "inside the upload"),
            ("vessel_file = \"-x.hvf\"", "inside the upload"),
            ("filter_threshold = \"1e9\"", "positive number"),
            ("colour = \"red\"", "unknown parameter `colour`"),
            ("resolution = ", "not valid TOML"),
            ("[predicates]\nsonar = true", "unknown branch"),
            (
                "[predicates]\nprocessor = { klass = \"raw\" }",
                "unknown operator `klass`",
            ),
            ("predicates = 3", "must be a table"),
        ] {
            let error = parse("H1/leadline.toml", text).unwrap_err();
            assert_eq!(error.file, "H1/leadline.toml");
            assert!(error.problem.contains(fragment), "{text}: {error}");
        }
    }
}
