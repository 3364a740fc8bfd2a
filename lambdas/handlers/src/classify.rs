//! What kind of file an upload holds, from its name (DESIGN §2, Inventory).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Multibeam sonar: the processor's input.
    Raw,
    /// Auxiliary navigation and attitude (POS MV `.000`-style logs, SBETs).
    Auxiliary,
    /// CARIS vessel configuration.
    Vessel,
    /// Gridded bathymetry: the products branch's input.
    Grid,
    Other,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Raw,
        Class::Auxiliary,
        Class::Vessel,
        Class::Grid,
        Class::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Auxiliary => "auxiliary",
            Self::Vessel => "vessel",
            Self::Grid => "grid",
            Self::Other => "other",
        }
    }
}

/// The lower-cased extension of the last segment of `key`, if it has one.
pub fn extension(key: &str) -> Option<String> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let (stem, extension) = name.rsplit_once('.')?;
    (!stem.is_empty()).then(|| extension.to_ascii_lowercase())
}

pub fn classify(key: &str) -> Class {
    let Some(extension) = extension(key) else {
        return Class::Other;
    };
    match extension.as_str() {
        "all" | "kmall" | "gsf" | "s7k" => Class::Raw,
        "hvf" => Class::Vessel,
        "bag" | "tif" | "tiff" | "csar" => Class::Grid,
        "sbet" | "smrmsg" => Class::Auxiliary,
        // POS MV logs are numbered: `<name>.000`, `<name>.001`, …
        e if e.len() == 3 && e.bytes().all(|b| b.is_ascii_digit()) => Class::Auxiliary,
        _ => Class::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_extension_in_any_case() {
        for (key, class) in [
            ("raw/0001_20240101.all", Class::Raw),
            ("raw/LINE.KMALL", Class::Raw),
            ("x.gsf", Class::Raw),
            ("x.s7k", Class::Raw),
            ("pos/DN123.000", Class::Auxiliary),
            ("pos/DN123.017", Class::Auxiliary),
            ("nav.sbet", Class::Auxiliary),
            ("vessel.HVF", Class::Vessel),
            ("grids/a.bag", Class::Grid),
            ("a.tif", Class::Grid),
            ("a.TIFF", Class::Grid),
            ("a.csar", Class::Grid),
            ("notes.txt", Class::Other),
            (".all", Class::Other),
            ("README", Class::Other),
            ("leadline.toml", Class::Other),
        ] {
            assert_eq!(classify(key), class, "{key}");
        }
    }
}
