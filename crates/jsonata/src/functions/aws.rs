//! The functions Step Functions adds to JSONata (the JSONata counterparts of the `States.*`
//! intrinsics), plus `$random`, whose optional seed is AWS's extension of the standard one.
//! `$eval` is deliberately absent: AWS does not provide it, so calling it fails with T1006.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::{format_number, Value};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("partition", "<an:a>", 2, partition),
    builtin("range", "<nnn?:a>", 3, range),
    builtin("hash", "<ss:s>", 2, hash),
    builtin("random", "<n?:n>", 0, random),
    builtin("uuid", "<:s>", 0, uuid),
    builtin("parse", "<s:x>", 1, parse),
];

/// `$partition(array, size)`: consecutive chunks of `size`, the last possibly shorter.
fn partition(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(items) = a.array(0) else {
        return Ok(Value::Undefined);
    };
    let size = a.number(1)?.ok_or_else(|| a.mismatch(1))?;
    if size < 1.0 || size.fract() != 0.0 {
        return Err(Error::type_error(
            "T0410",
            a.position,
            format!(
                "The chunk size of $partition must be a positive integer, got {}",
                format_number(size)
            ),
        ));
    }
    Ok(Value::array(
        items
            .chunks(size as usize)
            .map(|c| Value::array(c.to_vec()))
            .collect(),
    ))
}

/// `$range(start, end, step?)`: from `start` to `end` inclusive; a negative step counts down.
fn range(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let start = a.number(0)?.ok_or_else(|| a.mismatch(0))?;
    let end = a.number(1)?.ok_or_else(|| a.mismatch(1))?;
    let step = a.number(2)?.unwrap_or(1.0);
    if step == 0.0 || !step.is_finite() {
        return Err(Error::type_error(
            "T0410",
            a.position,
            "The step of $range must be a non-zero number",
        ));
    }
    let count = ((end - start) / step).floor() + 1.0;
    if count > 1e7 {
        return Err(Error::dynamic(
            "D2014",
            a.position,
            "The size of the sequence allocated by $range must not exceed 1e7",
        ));
    }
    let count = if count > 0.0 { count as usize } else { 0 };
    Ok(Value::array(
        (0..count)
            .map(|i| Value::Number(start + step * i as f64))
            .collect(),
    ))
}

/// `$hash(string, algorithm)`: lowercase hex, with `States.Hash`'s algorithm names.
fn hash(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let algorithm = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    let bytes = s.as_bytes();
    let digest: Vec<u8> = match &*algorithm {
        "MD5" => Md5::digest(bytes).to_vec(),
        "SHA-1" => Sha1::digest(bytes).to_vec(),
        "SHA-256" => Sha256::digest(bytes).to_vec(),
        "SHA-384" => Sha384::digest(bytes).to_vec(),
        "SHA-512" => Sha512::digest(bytes).to_vec(),
        other => {
            return Err(Error::type_error("T0410", a.position, format!("Unsupported hash algorithm {other}: use MD5, SHA-1, SHA-256, SHA-384 or SHA-512")));
        }
    };
    Ok(Value::string(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    ))
}

/// `$random(seed?)`: in [0, 1); the same seed gives the same number (AWS's extension).
fn random(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(Value::Number(match a.number(0)? {
        Some(seed) => fastrand::Rng::with_seed(seed.to_bits()).f64(),
        None => fastrand::f64(),
    }))
}

fn uuid(_: &Evaluator, _: &mut Args) -> Result<Value, Error> {
    Ok(Value::string(uuid::Uuid::new_v4().to_string()))
}

/// `$parse(json)`: AWS's replacement for `$eval` on JSON text.
fn parse(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let v: serde_json::Value = serde_json::from_str(&s).map_err(|e| {
        Error::dynamic(
            "D3120",
            a.position,
            format!("Unable to parse the string as JSON: {e}"),
        )
    })?;
    Ok(Value::from_json(&v))
}
