//! Manifests (DAG-CBOR files, and JSON objects mapping names to CIDs): entry by entry, by CID.
//! Canonical DAG-CBOR makes equal manifests byte-identical, so a manifest whose CID matches never
//! gets here; one that differs is explained entry by entry.

use std::collections::{BTreeMap, BTreeSet};

use leadline_core::manifest::Manifest;

use crate::json::pointer_segment;
use crate::report::{Difference, Kind};
use crate::tree::{Context, Pair};
use crate::{CompareError, Side};

/// The differences of two `.cbor` files, or `None` when neither is a manifest (then they are
/// plain bytes).
pub(crate) fn compare_cbor(
    context: &Context<'_>,
    pair: &Pair<'_>,
) -> Result<Option<Vec<Difference>>, CompareError> {
    let decode = |side: Side| {
        let path = pair.path(side);
        let bytes = std::fs::read(path).map_err(|source| CompareError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok::<_, CompareError>(Manifest::from_dag_cbor(&bytes))
    };
    let expected = decode(Side::Expected)?;
    let actual = decode(Side::Actual)?;
    let entries = |manifest: &Manifest| -> BTreeMap<String, String> {
        manifest
            .iter()
            .map(|(name, cid)| (name.to_owned(), cid.to_string()))
            .collect()
    };
    let differences = match (expected, actual) {
        (Ok(expected), Ok(actual)) => {
            let mut out = Vec::new();
            compare_entries(
                context,
                pair.rel,
                None,
                "",
                &entries(&expected),
                &entries(&actual),
                &mut out,
            );
            out
        }
        (Err(_), Err(_)) => return Ok(None),
        (Err(error), Ok(_)) => vec![pair.unreadable(Side::Expected, "a manifest", error)],
        (Ok(_), Err(error)) => vec![pair.unreadable(Side::Actual, "a manifest", error)],
    };
    Ok(Some(differences))
}

/// Compares the entries (name → CID) of the manifest at `rel`, found at `pointer` in its document
/// under the key `map`. An entry whose CIDs differ is left to its file's own comparison when that
/// file is compared too ([`Context::covers`]).
pub(crate) fn compare_entries(
    context: &Context<'_>,
    rel: &str,
    map: Option<&str>,
    pointer: &str,
    expected: &BTreeMap<String, String>,
    actual: &BTreeMap<String, String>,
    out: &mut Vec<Difference>,
) {
    let names: BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    for name in names {
        let child = format!("{pointer}/{}", pointer_segment(name));
        if context.options.ignore.skips(&child, Some(name)) {
            continue;
        }
        let difference = match (expected.get(name), actual.get(name)) {
            (Some(e), Some(a)) if e == a || context.covers(rel, map, name) => continue,
            (Some(e), Some(a)) => Difference::new(
                rel,
                Kind::ManifestEntry,
                format!("manifest entry {child}: CIDs differ (no file of that name is compared)"),
            )
            .values(e, a),
            (Some(e), None) => Difference::new(
                rel,
                Kind::ManifestEntry,
                format!("manifest entry {child}: missing"),
            )
            .values(e, "(absent)"),
            (None, Some(a)) => Difference::new(
                rel,
                Kind::ManifestEntry,
                format!("manifest entry {child}: not expected"),
            )
            .values("(absent)", a),
            (None, None) => continue,
        };
        out.push(difference);
    }
}
