//! The built-in functions' signatures, parsed once. Each is jsonata-js's (`registerNativeFn`);
//! AWS's added functions have none there, so theirs follow their documented parameters.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Builtin;
use crate::signature::Signature;

/// The parsed signature of a built-in function (every one has a signature that parses: see
/// the test below).
pub(crate) fn signature(builtin: &Builtin) -> Option<&'static Signature> {
    static PARSED: OnceLock<HashMap<&'static str, Signature>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            super::all()
                .filter_map(|b| Some((b.name, Signature::parse(b.signature, 0).ok()?)))
                .collect()
        })
        .get(builtin.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_signature_parses() {
        for b in super::super::all() {
            assert!(
                Signature::parse(b.signature, 0).is_ok(),
                "${}: {}",
                b.name,
                b.signature
            );
        }
    }
}
