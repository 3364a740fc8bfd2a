use std::path::PathBuf;

/// Why a deployment could not be read or checked. Problems *found* by a check are not errors:
/// they are [`crate::check::Problem`]s in the report.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid HCL: {source}")]
    Hcl { path: PathBuf, source: hcl::Error },
    #[error("{path}: not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// A Terraform construct the reader does not model; better to refuse than to guess.
    #[error("{path}: {what} is not supported by leadline-infra")]
    Unsupported { path: PathBuf, what: String },
    #[error("{path}: Terraform did not settle after {passes} evaluation passes")]
    NoFixpoint { path: PathBuf, passes: usize },
    #[error(transparent)]
    Environment(#[from] leadline_render::RenderError),
}

impl InfraError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| InfraError::Io { path, source }
    }
}
