//! Leadline's state machines as code: Tera templates (`templates/*.asl.json.tera`, components in
//! the other `templates/*.tera` files) rendered once per environment (`environments/*.toml`) into
//! `state-machines/<env>/<machine>.asl.json`, the files that are reviewed, committed and deployed.
//!
//! The crate owns that rendering and its guarantees: strict templates (an unknown variable fails
//! naming template, line and variable), pretty JSON in the template's key order (a re-render is
//! byte-identical), no duplicate keys, every output valid for the ASL validator, and the drift
//! check that compares committed files with a fresh render.

pub mod environment;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use tera::{Context, Tera};

pub use environment::{Environment, Resources};

/// Recorded in every machine's `Comment` (DESIGN §3, provenance): the release of the templates.
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

const MACHINE_SUFFIX: &str = ".asl.json.tera";

#[derive(Debug, thiserror::Error)]
/// Causes are part of each message (fields are not `source`s), so a report chains nothing twice.
pub enum RenderError {
    #[error("cannot read {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write {path}: {error}")]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("invalid environment {path}: {error}")]
    Environment {
        path: PathBuf,
        error: Box<toml::de::Error>,
    },
    #[error("{}:{}: {key}: {rule}", path.display(), line.map_or("?".to_owned(), |l| l.to_string()))]
    InvalidValue {
        path: PathBuf,
        line: Option<usize>,
        key: &'static str,
        rule: &'static str,
    },
    #[error("no environment '{name}': {path} does not exist")]
    UnknownEnvironment { name: String, path: PathBuf },
    #[error("no {what} in {dir}")]
    Empty { what: &'static str, dir: PathBuf },
    /// Tera's report names the template, the line and column, and the offending variable.
    #[error("template error: {}", report(.0))]
    Template(Box<tera::Error>),
    #[error("{template} rendered invalid JSON for environment '{environment}': {message}\n  rendered line {line}: {text}")]
    Json {
        template: String,
        environment: String,
        message: String,
        line: usize,
        text: String,
    },
    #[error("{template} rendered an invalid state machine for environment '{environment}':\n{diagnostics}")]
    InvalidMachine {
        template: String,
        environment: String,
        diagnostics: String,
    },
}

/// Tera's report without its own leading "error: " (the CLI already says it once).
fn report(error: &tera::Error) -> String {
    let text = error.to_string();
    match text.strip_prefix("error: ") {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

impl From<tera::Error> for RenderError {
    fn from(error: tera::Error) -> Self {
        RenderError::Template(Box::new(error))
    }
}

/// One rendered machine: where it goes (relative to the project root) and its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub path: PathBuf,
    pub content: String,
}

/// A checkout's `templates/`, `environments/` and `state-machines/`.
#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
}

impl Project {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Environment names (file stems of `environments/*.toml`), sorted.
    pub fn environment_names(&self) -> Result<Vec<String>, RenderError> {
        let dir = self.root.join("environments");
        let mut names: Vec<String> = list(&dir)?
            .into_iter()
            .filter_map(|name| name.strip_suffix(".toml").map(str::to_owned))
            .collect();
        if names.is_empty() {
            return Err(RenderError::Empty {
                what: "environments (*.toml)",
                dir,
            });
        }
        names.sort();
        Ok(names)
    }

    pub fn environment(&self, name: &str) -> Result<Environment, RenderError> {
        let path = self.root.join("environments").join(format!("{name}.toml"));
        if !path.is_file() {
            return Err(RenderError::UnknownEnvironment {
                name: name.to_owned(),
                path,
            });
        }
        Environment::load(&path)
    }

    /// Loads every template; parse errors name the template and line.
    pub fn templates(&self) -> Result<Templates, RenderError> {
        let dir = self.root.join("templates");
        let mut files = list(&dir)?;
        files.retain(|name| name.ends_with(".tera"));
        files.sort();
        let mut sources = Vec::new();
        for file in &files {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|error| RenderError::Read {
                path: path.clone(),
                error,
            })?;
            sources.push((format!("templates/{file}"), text));
        }
        let machines: Vec<String> = files
            .iter()
            .filter_map(|f| f.strip_suffix(MACHINE_SUFFIX).map(str::to_owned))
            .collect();
        if machines.is_empty() {
            return Err(RenderError::Empty {
                what: "state-machine templates (*.asl.json.tera)",
                dir,
            });
        }
        let mut tera = Tera::default();
        // JSON is not HTML: values are encoded with json_encode, never entity-escaped.
        tera.autoescape_on(Vec::<&str>::new());
        tera.register_filter("json_encode", tera_contrib::json::json_encode);
        tera.register_filter("one_line", one_line);
        tera.add_raw_templates(sources)?;
        Ok(Templates { tera, machines })
    }

    /// Every machine for every environment, in a stable order.
    pub fn render_all(&self) -> Result<Vec<Rendered>, RenderError> {
        let templates = self.templates()?;
        let mut out = Vec::new();
        for name in self.environment_names()? {
            out.extend(templates.render(&self.environment(&name)?)?);
        }
        Ok(out)
    }

    fn committed(&self, rendered: &Rendered) -> Result<Option<String>, RenderError> {
        let path = self.root.join(&rendered.path);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(RenderError::Read { path, error }),
        }
    }

    /// The unified diff from the committed file (empty when missing) to `rendered`, or `None`
    /// when they are equal.
    pub fn drift(&self, rendered: &Rendered) -> Result<Option<String>, RenderError> {
        let committed = self.committed(rendered)?.unwrap_or_default();
        if committed == rendered.content {
            return Ok(None);
        }
        let shown = rendered.path.display().to_string();
        Ok(Some(
            similar::TextDiff::from_lines(&committed, &rendered.content)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{shown}"), &format!("b/{shown}"))
                .to_string(),
        ))
    }

    /// Committed files under `state-machines/` that no template and environment produce any
    /// more (a removed environment or template): stale like a changed file.
    pub fn orphans(&self, rendered: &[Rendered]) -> Result<Vec<PathBuf>, RenderError> {
        let dir = self.root.join("state-machines");
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let read_error = |error| RenderError::Read {
            path: dir.clone(),
            error,
        };
        let mut orphans = Vec::new();
        for env in std::fs::read_dir(&dir).map_err(read_error)? {
            let env = env.map_err(read_error)?;
            let files = if env.path().is_dir() {
                list(&env.path())?
                    .into_iter()
                    .map(|f| Path::new("state-machines").join(env.file_name()).join(f))
                    .collect()
            } else {
                vec![Path::new("state-machines").join(env.file_name())]
            };
            orphans.extend(
                files
                    .into_iter()
                    .filter(|f| !rendered.iter().any(|r| &r.path == f)),
            );
        }
        orphans.sort();
        Ok(orphans)
    }

    /// Writes `rendered` unless the file already holds exactly it; returns whether it wrote.
    pub fn write(&self, rendered: &Rendered) -> Result<bool, RenderError> {
        if self.committed(rendered)?.as_deref() == Some(rendered.content.as_str()) {
            return Ok(false);
        }
        let path = self.root.join(&rendered.path);
        let write_error = |error| RenderError::Write {
            path: path.clone(),
            error,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        std::fs::write(&path, &rendered.content).map_err(write_error)?;
        Ok(true)
    }
}

/// The loaded templates, ready to render any environment.
pub struct Templates {
    tera: Tera,
    machines: Vec<String>,
}

impl Templates {
    /// Renders every machine for `environment` and checks each is a valid state machine.
    pub fn render(&self, environment: &Environment) -> Result<Vec<Rendered>, RenderError> {
        self.machines
            .iter()
            .map(|machine| self.render_machine(machine, environment))
            .collect()
    }

    fn render_machine(
        &self,
        machine: &str,
        environment: &Environment,
    ) -> Result<Rendered, RenderError> {
        let template = format!("templates/{machine}{MACHINE_SUFFIX}");
        let mut context = Context::new();
        context.insert("env", environment);
        context.insert("arns", &environment.resources());
        context.insert("release", RELEASE);
        context.insert("template", &template);
        let text = self.tera.render(&template, &context)?;
        let json_error = |e: serde_json::Error| RenderError::Json {
            template: template.clone(),
            environment: environment.name.clone(),
            message: e.to_string(),
            line: e.line(),
            text: text
                .lines()
                .nth(e.line().saturating_sub(1))
                .unwrap_or_default()
                .trim()
                .to_owned(),
        };
        // serde_json keeps the last of two equal keys; a repeated state name must fail instead.
        serde_json::from_str::<NoDuplicateKeys>(&text).map_err(json_error)?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(json_error)?;
        let mut content = serde_json::to_string_pretty(&value).map_err(json_error)?;
        content.push('\n');
        if let Err(invalid) = leadline_asl::parse_str(&content, Default::default()) {
            return Err(RenderError::InvalidMachine {
                template,
                environment: environment.name.clone(),
                diagnostics: invalid
                    .0
                    .iter()
                    .map(|d| format!("  {d}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            });
        }
        Ok(Rendered {
            path: PathBuf::from("state-machines")
                .join(&environment.name)
                .join(format!("{machine}.asl.json")),
            content,
        })
    }
}

/// Joins a component body's lines (each trimmed) with single spaces: commands are written over
/// several template lines but must be one line of intrinsic arguments in the JSON.
fn one_line(body: &str, _: tera::Kwargs, _: &tera::State) -> String {
    body.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn list(dir: &Path) -> Result<Vec<String>, RenderError> {
    let read_error = |error| RenderError::Read {
        path: dir.to_path_buf(),
        error,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        if entry.path().is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(names)
}

/// Deserializes any JSON and fails on an object with a repeated key.
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key \"{key}\"")));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(self)
    }
}
