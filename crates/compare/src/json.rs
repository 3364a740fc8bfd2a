//! JSON: structural comparison with a numeric tolerance and ignored keys and pointers. Objects
//! that map names to CIDs are manifests and compared entry by entry (see `manifest`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::manifest;
use crate::report::{Difference, Kind};
use crate::tree::{Context, Pair};
use crate::{CompareError, Side};

/// Longest rendering of a value in a report; the rest is elided.
const SHOWN_CHARS: usize = 160;

pub(crate) fn compare(
    context: &Context<'_>,
    pair: &Pair<'_>,
) -> Result<Vec<Difference>, CompareError> {
    let expected = parse(pair, Side::Expected)?;
    let actual = parse(pair, Side::Actual)?;
    let (expected, actual) = match (expected, actual) {
        (Ok(expected), Ok(actual)) => (expected, actual),
        (expected, actual) => {
            return Ok([expected.err(), actual.err()]
                .into_iter()
                .flatten()
                .collect())
        }
    };
    let mut walker = Walker {
        context,
        pair,
        out: Vec::new(),
    };
    walker.root(&expected, &actual);
    Ok(walker.out)
}

/// The parsed document, or the difference saying this side is not JSON.
fn parse(pair: &Pair<'_>, side: Side) -> Result<Result<Value, Difference>, CompareError> {
    let path = pair.path(side);
    let bytes = std::fs::read(path).map_err(|source| CompareError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(serde_json::from_slice(&bytes).map_err(|error| pair.unreadable(side, "JSON", error)))
}

/// A non-empty object whose values are all CID strings, as name → CID text.
pub(crate) fn cid_map(value: &Value) -> Option<BTreeMap<String, String>> {
    let object = value.as_object().filter(|o| !o.is_empty())?;
    object
        .iter()
        .map(|(name, cid)| {
            let text = cid.as_str()?;
            leadline_core::cids::parse_cid(text).ok()?;
            Some((name.clone(), text.to_owned()))
        })
        .collect()
}

pub(crate) fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn show(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

pub(crate) fn at(pointer: &str) -> String {
    if pointer.is_empty() {
        "the document root".to_owned()
    } else {
        pointer.to_owned()
    }
}

struct Walker<'a> {
    context: &'a Context<'a>,
    pair: &'a Pair<'a>,
    out: Vec<Difference>,
}

impl Walker<'_> {
    fn root(&mut self, expected: &Value, actual: &Value) {
        // A JSON manifest's own `cid` is derived from its entries, which are compared one by one
        // (and may be judged by their files): the derived value would only repeat them.
        if let (Value::Object(e), Value::Object(a)) = (expected, actual) {
            let is_manifest = |o: &serde_json::Map<String, Value>| {
                o.get("cid")
                    .and_then(Value::as_str)
                    .is_some_and(|c| leadline_core::cids::parse_cid(c).is_ok())
                    && o.values().any(|v| cid_map(v).is_some())
            };
            if is_manifest(e) && is_manifest(a) {
                let mut e = e.clone();
                let mut a = a.clone();
                e.remove("cid");
                a.remove("cid");
                self.objects(&e, &a, "");
                return;
            }
        }
        self.value(expected, actual, "", None);
    }

    fn value(&mut self, expected: &Value, actual: &Value, pointer: &str, key: Option<&str>) {
        if self.context.options.ignore.skips(pointer, key) || expected == actual {
            return;
        }
        match (expected, actual) {
            (Value::Number(e), Value::Number(a)) => {
                let (Some(e), Some(a)) = (e.as_f64(), a.as_f64()) else {
                    return self.differs(pointer, expected, actual);
                };
                let tolerance = self.context.options.json_tolerance;
                let difference = (a - e).abs();
                if difference.is_nan() || difference > tolerance * e.abs().max(1.0) {
                    self.out.push(
                        Difference::new(
                            self.pair.rel,
                            Kind::Json,
                            format!(
                                "{}: numbers differ by {difference:e} (tolerance {tolerance:e})",
                                at(pointer)
                            ),
                        )
                        .values(show(expected), show(actual)),
                    );
                }
            }
            (Value::Object(e), Value::Object(a)) => match (cid_map(expected), cid_map(actual)) {
                (Some(e), Some(a)) => manifest::compare_entries(
                    self.context,
                    self.pair.rel,
                    key,
                    pointer,
                    &e,
                    &a,
                    &mut self.out,
                ),
                _ => self.objects(e, a, pointer),
            },
            (Value::Array(e), Value::Array(a)) => {
                if e.len() != a.len() {
                    self.out.push(
                        Difference::new(
                            self.pair.rel,
                            Kind::Json,
                            format!("{}: array lengths differ", at(pointer)),
                        )
                        .values(e.len().to_string(), a.len().to_string()),
                    );
                }
                for (i, (e, a)) in e.iter().zip(a).enumerate() {
                    self.value(e, a, &format!("{pointer}/{i}"), None);
                }
            }
            _ => self.differs(pointer, expected, actual),
        }
    }

    fn objects(
        &mut self,
        expected: &serde_json::Map<String, Value>,
        actual: &serde_json::Map<String, Value>,
        pointer: &str,
    ) {
        for (key, e) in expected {
            let child = format!("{pointer}/{}", pointer_segment(key));
            match actual.get(key) {
                Some(a) => self.value(e, a, &child, Some(key)),
                None if !self.context.options.ignore.skips(&child, Some(key)) => self.out.push(
                    Difference::new(self.pair.rel, Kind::Json, format!("{child}: missing"))
                        .values(show(e), "(absent)"),
                ),
                None => {}
            }
        }
        for (key, a) in actual {
            let child = format!("{pointer}/{}", pointer_segment(key));
            if !expected.contains_key(key) && !self.context.options.ignore.skips(&child, Some(key))
            {
                self.out.push(
                    Difference::new(self.pair.rel, Kind::Json, format!("{child}: not expected"))
                        .values("(absent)", show(a)),
                );
            }
        }
    }

    fn differs(&mut self, pointer: &str, expected: &Value, actual: &Value) {
        self.out.push(
            Difference::new(
                self.pair.rel,
                Kind::Json,
                format!("{}: differs", at(pointer)),
            )
            .values(show(expected), show(actual)),
        );
    }
}
