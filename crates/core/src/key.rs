//! Object keys: the one validator every store, Lambda and CLI uses.
//!
//! A key must be safe both as an S3 key and as a relative path under a folder, so the rules are
//! the intersection: no absolute keys, no `.`/`..`/empty segments, no NUL or control characters,
//! at most 1024 bytes (S3's limit).

use std::fmt;

/// S3's maximum key length, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object key {key:?}: {reason}")]
pub struct KeyError {
    pub key: String,
    pub reason: &'static str,
}

/// A validated object key (never empty, never absolute, never escaping its prefix).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

impl Key {
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into();
        match problem(&key, false) {
            Some(reason) => Err(KeyError { key, reason }),
            None => Ok(Self(key)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segments of the key, for mapping it onto a folder.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// `prefix` (already validated) followed by `self`.
    pub fn under(&self, prefix: &Prefix) -> Result<Key, KeyError> {
        Key::new(format!("{}{}", prefix.as_str(), self.0))
    }

    /// The key with `prefix` removed, if it starts with it.
    pub fn strip_prefix(&self, prefix: &Prefix) -> Option<Key> {
        self.0
            .strip_prefix(prefix.as_str())
            .and_then(|rest| Key::new(rest).ok())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A validated listing prefix: empty, or key segments followed by `/`.
///
/// Prefixes are always folder-like; `survey-42` is normalised to `survey-42/` so that a prefix
/// never matches `survey-420/…`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Prefix(String);

impl Prefix {
    pub fn new(prefix: impl Into<String>) -> Result<Self, KeyError> {
        let mut prefix = prefix.into();
        if prefix.is_empty() {
            return Ok(Self(prefix));
        }
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        match problem(&prefix, true) {
            Some(reason) => Err(KeyError {
                key: prefix,
                reason,
            }),
            None => Ok(Self(prefix)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Validates `key` as an object key, naming it in the error.
pub fn validate_key(key: &str) -> Result<(), KeyError> {
    Key::new(key).map(drop)
}

fn problem(key: &str, trailing_slash_allowed: bool) -> Option<&'static str> {
    if key.is_empty() {
        return Some("key is empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return Some("key is longer than 1024 bytes");
    }
    if key.starts_with('/') {
        return Some("key starts with `/`");
    }
    if key.contains('\0') {
        return Some("key contains a NUL character");
    }
    if key.chars().any(char::is_control) {
        return Some("key contains a control character");
    }
    let body = match key.strip_suffix('/') {
        Some(body) if trailing_slash_allowed => body,
        _ => key,
    };
    for segment in body.split('/') {
        match segment {
            "" => return Some("key has an empty segment (`//` or a trailing `/`)"),
            "." => return Some("key has a `.` segment"),
            ".." => return Some("key has a `..` segment"),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_survey_keys() {
        for key in [
            "H12604/.done",
            "H12604/raw/0001_20240101_120000.all",
            "survey with spaces/ünïcödé/ファイル.bag",
            "a..b/c...d",
            "x",
        ] {
            assert!(Key::new(key).is_ok(), "{key}");
        }
        assert_eq!(Key::new("a".repeat(1024)).unwrap().as_str().len(), 1024);
    }

    #[test]
    fn rejects_hostile_keys_naming_them() {
        let cases = [
            ("", "empty"),
            ("/etc/passwd", "starts with `/`"),
            ("survey/../../etc/passwd", "`..` segment"),
            ("..", "`..` segment"),
            ("survey/./x", "`.` segment"),
            ("survey//x", "empty segment"),
            ("survey/", "empty segment"),
            ("survey/x\0.bag", "NUL"),
            ("survey/x\n.bag", "control character"),
            ("survey/\u{1b}[31mred", "control character"),
            ("survey/\u{7f}", "control character"),
        ];
        for (key, reason) in cases {
            let err = Key::new(key).unwrap_err();
            assert!(err.reason.contains(reason), "{key:?}: {}", err.reason);
            assert!(err.to_string().contains(&format!("{key:?}")), "{err}");
        }
        let long = "k".repeat(1025);
        assert!(Key::new(long).unwrap_err().reason.contains("1024"));
        // 1024 bytes is measured in UTF-8, not characters.
        assert!(Key::new("é".repeat(513)).is_err());
    }

    #[test]
    fn prefixes_are_folder_like() {
        assert_eq!(Prefix::new("").unwrap().as_str(), "");
        assert_eq!(Prefix::new("H12604").unwrap().as_str(), "H12604/");
        assert_eq!(Prefix::new("a/b/").unwrap().as_str(), "a/b/");
        assert!(Prefix::new("/abs").is_err());
        assert!(Prefix::new("a/../b").is_err());
        assert!(Prefix::new("a//").is_err());
    }

    #[test]
    fn keys_move_between_prefixes() {
        let src = Prefix::new("uploads/H1").unwrap();
        let dst = Prefix::new("mirror").unwrap();
        let key = Key::new("uploads/H1/raw/a.all").unwrap();
        let relative = key.strip_prefix(&src).unwrap();
        assert_eq!(relative.as_str(), "raw/a.all");
        assert_eq!(relative.under(&dst).unwrap().as_str(), "mirror/raw/a.all");
        assert!(Key::new("uploads/H10/a")
            .unwrap()
            .strip_prefix(&src)
            .is_none());
    }
}
