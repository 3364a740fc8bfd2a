//! Errors, each carrying the code the reference implementation (jsonata-js) uses, so that a
//! caller (the ASL engine) can report the same cause text AWS does.

use thiserror::Error;

/// A failure to parse or evaluate an expression. `position` is the character offset in the
/// expression where the problem was found, when known.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// S0xxx: the expression is not valid JSONata.
    #[error("{code}: {message} (at position {position})")]
    Syntax {
        code: &'static str,
        message: String,
        position: usize,
    },
    /// T0xxx–T2xxx: an operand or argument has the wrong type.
    #[error("{code}: {message} (at position {position})")]
    Type {
        code: &'static str,
        message: String,
        position: usize,
    },
    /// D1xxx–D3xxx: a value is out of range or otherwise unusable at run time.
    #[error("{code}: {message} (at position {position})")]
    Dynamic {
        code: &'static str,
        message: String,
        position: usize,
    },
    /// D3137/D3141: raised on purpose by `$error` or a failed `$assert`.
    #[error("{code}: {message}")]
    Raised { code: &'static str, message: String },
}

impl Error {
    /// The JSONata error code, e.g. `T2001`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Syntax { code, .. }
            | Error::Type { code, .. }
            | Error::Dynamic { code, .. }
            | Error::Raised { code, .. } => code,
        }
    }

    /// The message without code or position, as jsonata-js's `message`.
    pub fn message(&self) -> &str {
        match self {
            Error::Syntax { message, .. }
            | Error::Type { message, .. }
            | Error::Dynamic { message, .. }
            | Error::Raised { message, .. } => message,
        }
    }

    pub(crate) fn syntax(code: &'static str, position: usize, message: impl Into<String>) -> Self {
        Error::Syntax {
            code,
            message: message.into(),
            position,
        }
    }

    pub(crate) fn type_error(
        code: &'static str,
        position: usize,
        message: impl Into<String>,
    ) -> Self {
        Error::Type {
            code,
            message: message.into(),
            position,
        }
    }

    pub(crate) fn dynamic(code: &'static str, position: usize, message: impl Into<String>) -> Self {
        Error::Dynamic {
            code,
            message: message.into(),
            position,
        }
    }
}
