//! String functions. Lengths and offsets count Unicode scalar values, where JavaScript counts
//! UTF-16 code units; they differ only for characters outside the Basic Multilingual Plane.

use std::rc::Rc;
use std::sync::Arc;

use base64::Engine;
use regex::Regex;

use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::{format_number, Function, Object, Value};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("string", "<x-b?:s>", 1, string),
    builtin("length", "<s-:n>", 1, length),
    builtin("substring", "<s-nn?:s>", 3, substring),
    builtin("substringBefore", "<s-s:s>", 2, substring_before),
    builtin("substringAfter", "<s-s:s>", 2, substring_after),
    builtin("uppercase", "<s-:s>", 1, uppercase),
    builtin("lowercase", "<s-:s>", 1, lowercase),
    builtin("trim", "<s-:s>", 1, trim),
    builtin("pad", "<s-ns?:s>", 3, pad),
    builtin("contains", "<s-(sf):b>", 2, contains),
    builtin("split", "<s-(sf)n?:a<s>>", 3, split),
    builtin("join", "<a<s>s?:s>", 2, join),
    builtin("match", "<s-f<s:o>n?:a<o>>", 3, match_),
    builtin("replace", "<s-(sf)(sf)n?:s>", 4, replace),
    builtin("base64encode", "<s-:s>", 1, base64encode),
    builtin("base64decode", "<s-:s>", 1, base64decode),
    builtin("encodeUrlComponent", "<s-:s>", 1, encode_url_component),
    builtin("encodeUrl", "<s-:s>", 1, encode_url),
    builtin("decodeUrlComponent", "<s-:s>", 1, decode_url_component),
    builtin("decodeUrl", "<s-:s>", 1, decode_url),
];

/// `$string` of any value: strings as they are, numbers as JavaScript prints them after
/// rounding to 15 significant digits (so `0.1 + 0.2` prints `0.3`), functions as "", the
/// rest as JSON.
pub(crate) fn stringify(v: &Value, pretty: bool, position: usize) -> Result<String, Error> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        Value::Function(_) | Value::Undefined => Ok(String::new()),
        Value::Number(n) if !n.is_finite() => Err(Error::dynamic(
            "D3001",
            position,
            "Attempting to invoke string function on Infinity or NaN",
        )),
        Value::Number(n) => Ok(format_number(round15(*n))),
        other => {
            let json = rounded(other).to_json().unwrap_or(serde_json::Value::Null);
            let text = if pretty {
                serde_json::to_string_pretty(&json)
            } else {
                serde_json::to_string(&json)
            };
            text.map_err(|e| Error::dynamic("D3001", position, e.to_string()))
        }
    }
}

fn round15(n: f64) -> f64 {
    format!("{n:.14e}").parse().unwrap_or(n)
}

fn rounded(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::Number(round15(*n)),
        // jsonata-js's JSON.stringify replacer turns functions inside a value into "".
        Value::Function(_) => Value::string(""),
        Value::Array(items, f) => Value::Array(Rc::new(items.iter().map(rounded).collect()), *f),
        Value::Object(o) => Value::Object(Rc::new(
            o.iter().map(|(k, v)| (k.clone(), rounded(v))).collect(),
        )),
        other => other.clone(),
    }
}

fn string(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let v = a.value(0);
    if v.is_undefined() {
        return Ok(Value::Undefined);
    }
    let pretty = a.boolean(1)?.unwrap_or(false);
    Ok(Value::string(stringify(&v, pretty, a.position)?))
}

fn length(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.string(0)?.map_or(
        Value::Undefined,
        |s| Value::Number(s.chars().count() as f64),
    ))
}

/// JavaScript's `Array.prototype.slice` bounds: negative counts from the end, clamped.
fn slice(chars: &[char], start: f64, end: Option<f64>) -> String {
    let len = chars.len() as f64;
    let clamp = |i: f64| if i < 0.0 { (len + i).max(0.0) } else { i.min(len) } as usize;
    let (s, e) = (clamp(start.trunc()), clamp(end.unwrap_or(len).trunc()));
    if s >= e {
        String::new()
    } else {
        chars[s..e].iter().collect()
    }
}

fn substring(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let start = a.number(1)?.ok_or_else(|| a.mismatch(1))?;
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as f64;
    let start = if len + start < 0.0 { 0.0 } else { start };
    Ok(Value::string(match a.number(2)? {
        Some(n) if n <= 0.0 => String::new(),
        Some(n) => slice(
            &chars,
            start,
            Some(if start >= 0.0 {
                start + n
            } else {
                len + start + n
            }),
        ),
        None => slice(&chars, start, None),
    }))
}

fn substring_before(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let sep = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    Ok(Value::string(s.find(&*sep).map_or(&*s, |i| &s[..i])))
}

fn substring_after(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let sep = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    Ok(Value::string(
        s.find(&*sep).map_or(&*s, |i| &s[i + sep.len()..]),
    ))
}

fn uppercase(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.string(0)?
        .map_or(Value::Undefined, |s| Value::string(s.to_uppercase())))
}

fn lowercase(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.string(0)?
        .map_or(Value::Undefined, |s| Value::string(s.to_lowercase())))
}

/// Runs of spaces, tabs and line breaks become one space; then both ends are trimmed.
fn trim(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let words: Vec<&str> = s
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
        .collect();
    Ok(Value::string(words.join(" ")))
}

fn pad(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let width = a.number(1)?.ok_or_else(|| a.mismatch(1))?;
    let fill = a
        .string(2)?
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| Rc::from(" "));
    // A width beyond any payload Step Functions accepts would only exhaust memory.
    if width.abs() > 1e7 {
        return Err(Error::dynamic(
            "D1001",
            a.position,
            "The width of $pad is out of range",
        ));
    }
    let missing = width.abs().trunc() as i64 - s.chars().count() as i64;
    if missing <= 0 {
        return Ok(Value::String(s));
    }
    let padding: String = fill.chars().cycle().take(missing as usize).collect();
    Ok(Value::string(if width > 0.0 {
        format!("{s}{padding}")
    } else {
        format!("{padding}{s}")
    }))
}

/// A string-or-regex pattern argument.
enum Pattern {
    Text(Rc<str>),
    Regex(Arc<Regex>),
}

fn pattern(a: &Args, i: usize) -> Result<Pattern, Error> {
    match a.value(i) {
        Value::String(s) => Ok(Pattern::Text(s)),
        Value::Function(f) => match &*f {
            Function::Regex(re) => Ok(Pattern::Regex(re.clone())),
            _ => Err(a.mismatch(i)),
        },
        _ => Err(a.mismatch(i)),
    }
}

fn contains(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    Ok(Value::Bool(match pattern(a, 1)? {
        Pattern::Text(t) => s.contains(&*t),
        Pattern::Regex(re) => re.is_match(&s),
    }))
}

fn limit(a: &Args, i: usize, code: &'static str) -> Result<usize, Error> {
    match a.number(i)? {
        None => Ok(usize::MAX),
        Some(n) if n < 0.0 => Err(Error::dynamic(
            code,
            a.position,
            "Third argument of function must be a positive number",
        )),
        Some(n) => Ok(n.trunc() as usize),
    }
}

fn split(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let sep = pattern(a, 1)?;
    let max = limit(a, 2, "D3020")?;
    let parts: Vec<Value> = match sep {
        Pattern::Text(t) if t.is_empty() => {
            s.chars().map(|c| Value::string(c.to_string())).collect()
        }
        Pattern::Text(t) => s.split(&*t).map(Value::string).collect(),
        Pattern::Regex(re) => re.split(&s).map(Value::string).collect(),
    };
    Ok(Value::array(parts.into_iter().take(max).collect()))
}

fn join(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(items) = a.array(0) else {
        return Ok(Value::Undefined);
    };
    let sep = a.string(1)?.unwrap_or_else(|| Rc::from(""));
    let mut parts = Vec::with_capacity(items.len());
    for item in &items {
        match item {
            Value::String(s) => parts.push(s.to_string()),
            _ => {
                return Err(Error::type_error(
                    "T0412",
                    a.position,
                    "Argument 1 of function \"join\" must be an array of strings",
                ))
            }
        }
    }
    Ok(Value::string(parts.join(&sep)))
}

/// A match: its byte range in the text and its `$match`-shaped object.
type Span = (usize, usize, Value);

/// D1004 if one of the first `max` matches is empty and not at the end of `s`: jsonata-js
/// looks for the next match where an empty one ended, so it would never move on.
fn never_advances(
    re: &Regex,
    spans: &[Span],
    s: &str,
    max: usize,
    position: usize,
) -> Result<(), Error> {
    if spans
        .iter()
        .take(max)
        .any(|(start, end, _)| start == end && *end < s.len())
    {
        return Err(Error::dynamic(
            "D1004",
            position,
            format!(
                "Regular expression matches zero length string: {}",
                re.as_str()
            ),
        ));
    }
    Ok(())
}

/// `$match`-shaped results: `{match, index, groups}` per match, `index` in characters.
pub(crate) fn regex_matches(re: &Regex, s: &str) -> Vec<Value> {
    regex_spans(re, s).into_iter().map(|(_, _, m)| m).collect()
}

/// Every match of `re` in `s`, in one pass.
fn regex_spans(re: &Regex, s: &str) -> Vec<Span> {
    re.captures_iter(s)
        .filter_map(|caps| {
            let whole = caps.get(0)?;
            let groups = caps
                .iter()
                .skip(1)
                .map(|g| g.map_or(Value::string(""), |m| Value::string(m.as_str())))
                .collect();
            let mut o = Object::new();
            o.insert("match".into(), Value::string(whole.as_str()));
            let index = s[..whole.start()].chars().count();
            o.insert("index".into(), Value::Number(index as f64));
            o.insert("groups".into(), Value::array(groups));
            Some((whole.start(), whole.end(), Value::Object(Rc::new(o))))
        })
        .collect()
}

fn match_(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let Pattern::Regex(re) = pattern(a, 1)? else {
        return Err(a.mismatch(1));
    };
    let max = limit(a, 2, "D3040")?;
    let spans = regex_spans(&re, &s);
    never_advances(&re, &spans, &s, max, a.position)?;
    Ok(Value::sequence(
        spans.into_iter().take(max).map(|(_, _, m)| m).collect(),
    ))
}

fn replace(ev: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let pat = pattern(a, 1)?;
    let replacement = a.value(2);
    if !matches!(replacement, Value::String(_) | Value::Function(_)) {
        return Err(a.mismatch(2));
    }
    let max = limit(a, 3, "D3011")?;
    // Both pattern kinds reduce to a list of matches: (byte range, $match-shaped object).
    let found: Vec<Span> = match &pat {
        Pattern::Text(t) if t.is_empty() => {
            return Err(Error::dynamic(
                "D3010",
                a.position,
                "Second argument of replace function cannot be an empty string",
            ));
        }
        Pattern::Text(t) => s
            .match_indices(&**t)
            .map(|(i, m)| {
                let mut o = Object::new();
                o.insert("match".into(), Value::string(m));
                o.insert("index".into(), Value::Number(s[..i].chars().count() as f64));
                o.insert("groups".into(), Value::array(Vec::new()));
                (i, i + m.len(), Value::Object(Rc::new(o)))
            })
            .collect(),
        Pattern::Regex(re) => {
            let spans = regex_spans(re, &s);
            never_advances(re, &spans, &s, max, a.position)?;
            spans
        }
    };
    let mut out = String::new();
    let mut last = 0;
    for (start, end, m) in found.into_iter().take(max) {
        out.push_str(&s[last..start]);
        match &replacement {
            Value::String(r) => out.push_str(&substitute(r, &m)),
            f => match ev.apply(f, vec![m], a.input, a.position)? {
                Value::String(r) => out.push_str(&r),
                _ => {
                    return Err(Error::dynamic(
                        "D3012",
                        a.position,
                        "Attempted to replace a matched string with a non-string value",
                    ))
                }
            },
        }
        last = end;
    }
    out.push_str(&s[last..]);
    Ok(Value::string(out))
}

/// JSONata's replacement syntax: `$$` is `$`, `$0` the match, `$n` group n (taking as many
/// digits as can name an existing group), any other `$` itself.
fn substitute(replacement: &str, m: &Value) -> String {
    let (whole, groups): (String, Vec<String>) = match m {
        Value::Object(o) => (
            o.get("match")
                .map(|v| stringify(v, false, 0).unwrap_or_default())
                .unwrap_or_default(),
            o.get("groups")
                .map(|g| {
                    g.clone()
                        .into_items()
                        .iter()
                        .map(|v| stringify(v, false, 0).unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default(),
        ),
        _ => (String::new(), Vec::new()),
    };
    let chars: Vec<char> = replacement.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        match chars.get(i) {
            Some('$') => {
                out.push('$');
                i += 1;
            }
            Some('0') => {
                out.push_str(&whole);
                i += 1;
            }
            Some(c) if c.is_ascii_digit() => {
                let max_digits = if groups.is_empty() {
                    1
                } else {
                    groups.len().to_string().len()
                };
                let digits: String = chars[i..]
                    .iter()
                    .take(max_digits)
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                let mut n: usize = digits.parse().unwrap_or(0);
                let mut used = digits.len();
                if used > 1 && n > groups.len() {
                    used -= 1;
                    n = digits[..used].parse().unwrap_or(0);
                }
                if let Some(g) = n.checked_sub(1).and_then(|k| groups.get(k)) {
                    out.push_str(g);
                }
                i += used;
            }
            _ => out.push('$'),
        }
    }
    out
}

fn base64encode(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.string(0)?.map_or(Value::Undefined, |s| {
        Value::string(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
    }))
}

fn base64decode(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|e| {
            Error::type_error(
                "T0410",
                a.position,
                format!("Argument 1 of function \"base64decode\" is not base64: {e}"),
            )
        })?;
    Ok(Value::string(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Characters JavaScript's `encodeURIComponent` leaves alone; `encodeURI` also keeps the
/// URI delimiters in `RESERVED`.
const UNRESERVED: &str = "-_.!~*'()";
const RESERVED: &str = ";,/?:@&=+$#";

fn encode(s: &str, keep: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || UNRESERVED.contains(c) || keep.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn decode(s: &str, keep: &str, position: usize) -> Result<String, Error> {
    let malformed = || {
        Error::dynamic(
            "D3140",
            position,
            format!("Malformed URL passed to decode: {s}"),
        )
    };
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = s.get(i + 1..i + 3).ok_or_else(malformed)?;
        let b = u8::from_str_radix(hex, 16).map_err(|_| malformed())?;
        // decodeURI leaves escaped delimiters escaped, so the URI's structure is kept.
        if b.is_ascii() && keep.contains(b as char) {
            out.extend_from_slice(&bytes[i..i + 3]);
        } else {
            out.push(b);
        }
        i += 3;
    }
    String::from_utf8(out).map_err(|_| malformed())
}

fn encode_url_component(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.string(0)?
        .map_or(Value::Undefined, |s| Value::string(encode(&s, ""))))
}

fn encode_url(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    Ok(a.string(0)?
        .map_or(Value::Undefined, |s| Value::string(encode(&s, RESERVED))))
}

fn decode_url_component(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    match a.string(0)? {
        None => Ok(Value::Undefined),
        Some(s) => Ok(Value::string(decode(&s, "", a.position)?)),
    }
}

fn decode_url(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    match a.string(0)? {
        None => Ok(Value::Undefined),
        Some(s) => Ok(Value::string(decode(&s, RESERVED, a.position)?)),
    }
}
