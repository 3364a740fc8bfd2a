//! Regex literals. JSONata regexes are JavaScript regexes; the `regex` crate differs in ways
//! that matter here:
//! - `\d` and `\w` are Unicode-aware in Rust but ASCII in JS, so they are rewritten to ASCII
//!   classes (`\s` is Unicode in both);
//! - look-around and back-references are not supported (the `regex` crate guarantees linear
//!   time); such patterns fail to compile with S0303 instead of running;
//! - the JS flags `i` and `m` map to Rust's inline `(?i)` and `(?m)`; JSONata has no `g`/`s`/`u`.

use regex::Regex;

use crate::error::Error;

pub(crate) fn compile(pattern: &str, flags: &str, position: usize) -> Result<Regex, Error> {
    let mut translated = String::with_capacity(pattern.len() + 8);
    if !flags.is_empty() {
        translated.push_str(&format!("(?{flags})"));
    }
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            translated.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => translated.push_str("[0-9]"),
            Some('D') => translated.push_str("[^0-9]"),
            Some('w') => translated.push_str("[A-Za-z0-9_]"),
            Some('W') => translated.push_str("[^A-Za-z0-9_]"),
            Some(other) => {
                translated.push('\\');
                translated.push(other);
            }
            None => translated.push('\\'),
        }
    }
    Regex::new(&translated).map_err(|e| {
        Error::syntax(
            "S0303",
            position,
            format!("Invalid or unsupported regular expression /{pattern}/: {e}"),
        )
    })
}
