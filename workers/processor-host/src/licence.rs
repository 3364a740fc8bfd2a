//! Licence settings for the licensed processor, from Secrets Manager. The secret is a JSON object
//! of environment variables (e.g. `{"CARIS_LICENSE_SERVER": "…"}`) given to each command. Values
//! never appear in `Debug`, logs or error messages.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum LicenceError {
    #[error("cannot read secret {id}: {message}")]
    Fetch { id: String, message: String },
    // Deliberately without the parse error: serde's messages can quote the offending value.
    #[error("secret {id} is not a JSON object of string values")]
    Shape { id: String },
}

#[derive(Clone, Default)]
pub struct Licence {
    vars: Vec<(String, String)>,
}

impl fmt::Debug for Licence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.vars.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Licence")
            .field("variables", &names)
            .finish_non_exhaustive()
    }
}

impl Licence {
    /// Parses the secret's text.
    pub fn from_secret(id: &str, text: &str) -> Result<Self, LicenceError> {
        let shape = || LicenceError::Shape { id: id.to_owned() };
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|_| shape())?;
        let vars = object
            .into_iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(value) => Ok((name, value)),
                _ => Err(shape()),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { vars })
    }

    pub async fn fetch(
        client: &aws_sdk_secretsmanager::Client,
        id: &str,
    ) -> Result<Self, LicenceError> {
        let response = client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| LicenceError::Fetch {
                id: id.to_owned(),
                message: leadline_runner::task_api::sdk_message(&e),
            })?;
        let text = response
            .secret_string()
            .ok_or_else(|| LicenceError::Shape { id: id.to_owned() })?;
        Self::from_secret(id, text)
    }

    /// The environment a command gets.
    pub fn env(&self) -> &[(String, String)] {
        &self.vars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_errors_never_show_values() {
        let licence = Licence::from_secret("caris", r#"{"CARIS_LICENSE": "s3cr3t-seat"}"#).unwrap();
        let shown = format!("{licence:?}");
        assert!(
            shown.contains("CARIS_LICENSE") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        let err = Licence::from_secret("caris", r#"{"CARIS_LICENSE": 12345}"#).unwrap_err();
        assert!(!err.to_string().contains("12345"), "{err}");
        let err = Licence::from_secret("caris", "s3cr3t-seat").unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
}
