//! A task's input and the allow-list that decides whether its command may run at all.
//!
//! Input: `{"survey": "H12604", "command": ["carisbatch", "--run", "ImportToHIPS", …],
//! "inputs": ["s3://uploads/H12604/raw/"]}` (`inputs` optional). The command runs in
//! `<work root>/<survey>/`; its raw `carisbatch` line is what the state machine shows.

use std::collections::BTreeSet;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub survey: String,
    pub command: Vec<String>,
    #[serde(default)]
    pub inputs: Vec<String>,
}

impl TaskInput {
    pub fn parse(text: &str) -> Result<Self, String> {
        let input: Self = serde_json::from_str(text)
            .map_err(|e| format!("task input is not {{survey, command[, inputs]}}: {e}"))?;
        let survey_ok = !input.survey.is_empty()
            && input.survey != "."
            && input.survey != ".."
            && input
                .survey
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !survey_ok {
            return Err(format!(
                "survey {:?} is not a plain folder name (letters, digits, '-', '_', '.')",
                input.survey
            ));
        }
        if input.command.is_empty() {
            return Err("task input has an empty command".into());
        }
        Ok(input)
    }
}

/// Programs a task may run, by bare name (found on the host's PATH).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList(BTreeSet<String>);

impl Default for AllowList {
    fn default() -> Self {
        Self::new(["carisbatch"])
    }
}

impl AllowList {
    pub fn new<S: Into<String>>(programs: impl IntoIterator<Item = S>) -> Self {
        Self(programs.into_iter().map(Into::into).collect())
    }

    /// A path (`/tmp/x/carisbatch`, `./carisbatch`, `C:\x\carisbatch`) is refused even when
    /// its file name is allowed: only the host's installed program may run.
    pub fn check(&self, program: &str) -> Result<(), String> {
        if program.contains(['/', '\\']) || !self.0.contains(program) {
            let allowed: Vec<&str> = self.0.iter().map(String::as_str).collect();
            return Err(format!(
                "program {program:?} is not on this worker's allow-list ({})",
                allowed.join(", ")
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_allowed_names_pass() {
        let allow = AllowList::default();
        assert!(allow.check("carisbatch").is_ok());
        for refused in [
            "rm",
            "/tmp/evil/carisbatch",
            "./carisbatch",
            "sh",
            r"C:\evil\carisbatch",
        ] {
            let err = allow.check(refused).unwrap_err();
            assert!(err.contains(&format!("{refused:?}")), "{err}");
        }
    }

    #[test]
    fn surveys_are_plain_folder_names() {
        let ok = TaskInput::parse(r#"{"survey": "H12604", "command": ["carisbatch"]}"#).unwrap();
        assert_eq!(ok.survey, "H12604");
        for bad in ["..", "a/b", "", "/etc"] {
            let text = serde_json::json!({"survey": bad, "command": ["carisbatch"]}).to_string();
            assert!(TaskInput::parse(&text).is_err(), "{bad}");
        }
        assert!(TaskInput::parse(r#"{"survey": "H1", "command": []}"#).is_err());
    }
}
