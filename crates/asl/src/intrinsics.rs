//! The 18 intrinsic functions of JSONPath states (`States.Format(...)` and friends):
//! parsed once when the definition is loaded, evaluated per state entry.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::StatesError;
use crate::jsonpath::{Path, PathError};

/// AWS allows at most this many nested intrinsic calls in one field.
const MAX_NESTING: usize = 10;
/// Input limit AWS documents for the string intrinsics (Base64, Hash).
const MAX_STRING_INPUT: usize = 10_000;
/// `States.ArrayRange` may produce at most this many items.
const MAX_RANGE_ITEMS: i64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Function {
    pub const ALL: [Function; 18] = [
        Self::Format,
        Self::StringToJson,
        Self::JsonToString,
        Self::Array,
        Self::ArrayPartition,
        Self::ArrayContains,
        Self::ArrayRange,
        Self::ArrayGetItem,
        Self::ArrayLength,
        Self::ArrayUnique,
        Self::Base64Encode,
        Self::Base64Decode,
        Self::Hash,
        Self::JsonMerge,
        Self::MathRandom,
        Self::MathAdd,
        Self::StringSplit,
        Self::Uuid,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Format => "States.Format",
            Self::StringToJson => "States.StringToJson",
            Self::JsonToString => "States.JsonToString",
            Self::Array => "States.Array",
            Self::ArrayPartition => "States.ArrayPartition",
            Self::ArrayContains => "States.ArrayContains",
            Self::ArrayRange => "States.ArrayRange",
            Self::ArrayGetItem => "States.ArrayGetItem",
            Self::ArrayLength => "States.ArrayLength",
            Self::ArrayUnique => "States.ArrayUnique",
            Self::Base64Encode => "States.Base64Encode",
            Self::Base64Decode => "States.Base64Decode",
            Self::Hash => "States.Hash",
            Self::JsonMerge => "States.JsonMerge",
            Self::MathRandom => "States.MathRandom",
            Self::MathAdd => "States.MathAdd",
            Self::StringSplit => "States.StringSplit",
            Self::Uuid => "States.UUID",
        }
    }

    /// Allowed argument counts (min, max).
    fn arity(self) -> (usize, usize) {
        match self {
            Self::Format => (1, usize::MAX),
            Self::Array => (0, usize::MAX),
            Self::StringToJson
            | Self::JsonToString
            | Self::ArrayLength
            | Self::ArrayUnique
            | Self::Base64Encode
            | Self::Base64Decode => (1, 1),
            Self::ArrayPartition
            | Self::ArrayContains
            | Self::ArrayGetItem
            | Self::Hash
            | Self::MathAdd
            | Self::StringSplit => (2, 2),
            Self::ArrayRange | Self::JsonMerge => (3, 3),
            Self::MathRandom => (2, 3),
            Self::Uuid => (0, 0),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A string literal; `raw` keeps `\{`/`\}` escapes so `States.Format` can tell
    /// literal braces from placeholders.
    String {
        value: String,
        raw: String,
    },
    Number(serde_json::Number),
    Bool(bool),
    Null,
    Path(Path),
    Call(Call),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub function: Function,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid intrinsic function call '{text}': {reason}")]
pub struct IntrinsicSyntaxError {
    pub text: String,
    pub reason: String,
}

/// Whether a `.$` value is an intrinsic call rather than a path.
pub fn looks_like_call(text: &str) -> bool {
    text.trim_start().starts_with("States.")
}

impl Call {
    pub fn parse(text: &str) -> Result<Self, IntrinsicSyntaxError> {
        let mut parser = CallParser {
            text,
            chars: text.chars().collect(),
            pos: 0,
        };
        parser.skip_ws();
        let call = parser.call(0)?;
        parser.skip_ws();
        if parser.pos != parser.chars.len() {
            return Err(parser.error("unexpected characters after the call"));
        }
        Ok(call)
    }

    /// Every path the call reads, for validation.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        for arg in &self.args {
            match arg {
                Arg::Path(p) => out.push(p),
                Arg::Call(c) => out.extend(c.paths()),
                _ => {}
            }
        }
        out
    }

    /// Evaluates the call; `resolve` reads a path (from `$`, `$$` or a variable).
    pub fn eval(
        &self,
        resolve: &mut dyn FnMut(&Path) -> Result<Value, StatesError>,
    ) -> Result<Value, StatesError> {
        let mut values = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            values.push(match arg {
                Arg::String { value, .. } => Value::String(value.clone()),
                Arg::Number(n) => Value::Number(n.clone()),
                Arg::Bool(b) => Value::Bool(*b),
                Arg::Null => Value::Null,
                Arg::Path(p) => resolve(p)?,
                Arg::Call(c) => c.eval(resolve)?,
            });
        }
        apply(self, values)
    }
}

fn fail(function: Function, message: impl std::fmt::Display) -> StatesError {
    StatesError::intrinsic(format!(
        "Invalid arguments in {}: {message}",
        function.name()
    ))
}

fn as_array(function: Function, v: &Value) -> Result<&Vec<Value>, StatesError> {
    v.as_array()
        .ok_or_else(|| fail(function, format!("expected an array, got {v}")))
}

fn as_str(function: Function, v: &Value) -> Result<&str, StatesError> {
    v.as_str()
        .ok_or_else(|| fail(function, format!("expected a string, got {v}")))
}

fn as_int(function: Function, v: &Value) -> Result<i64, StatesError> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| fail(function, format!("expected an integer, got {v}"))),
        _ => Err(fail(function, format!("expected an integer, got {v}"))),
    }
}

fn check_len(function: Function, s: &str) -> Result<(), StatesError> {
    if s.chars().count() > MAX_STRING_INPUT {
        return Err(fail(
            function,
            format!("the input exceeds {MAX_STRING_INPUT} characters"),
        ));
    }
    Ok(())
}

fn apply(call: &Call, values: Vec<Value>) -> Result<Value, StatesError> {
    let f = call.function;
    match f {
        Function::Format => format(call, &values),
        Function::StringToJson => {
            let text = as_str(f, &values[0])?;
            serde_json::from_str(text).map_err(|e| fail(f, format!("invalid JSON text: {e}")))
        }
        Function::JsonToString => Ok(Value::String(values[0].to_string())),
        Function::Array => Ok(Value::Array(values)),
        Function::ArrayPartition => {
            let items = as_array(f, &values[0])?;
            let size = as_int(f, &values[1])?;
            if size <= 0 {
                return Err(fail(f, "the chunk size must be a positive integer"));
            }
            Ok(Value::Array(
                items
                    .chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        Function::ArrayContains => {
            let items = as_array(f, &values[0])?;
            Ok(Value::Bool(items.contains(&values[1])))
        }
        Function::ArrayRange => {
            let (start, end, step) = (
                as_int(f, &values[0])?,
                as_int(f, &values[1])?,
                as_int(f, &values[2])?,
            );
            if step == 0 {
                return Err(fail(f, "the step must not be 0"));
            }
            let count = if (step > 0 && start > end) || (step < 0 && start < end) {
                0
            } else {
                (end - start) / step + 1
            };
            if count > MAX_RANGE_ITEMS {
                return Err(fail(
                    f,
                    format!("the range would hold {count} items, more than {MAX_RANGE_ITEMS}"),
                ));
            }
            Ok(Value::Array(
                (0..count).map(|i| Value::from(start + i * step)).collect(),
            ))
        }
        Function::ArrayGetItem => {
            let items = as_array(f, &values[0])?;
            let index = as_int(f, &values[1])?;
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| fail(f, format!("index {index} is out of bounds")))
        }
        Function::ArrayLength => Ok(Value::from(as_array(f, &values[0])?.len())),
        Function::ArrayUnique => {
            let items = as_array(f, &values[0])?;
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Ok(Value::Array(out))
        }
        Function::Base64Encode => {
            let text = as_str(f, &values[0])?;
            check_len(f, text)?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(text),
            ))
        }
        Function::Base64Decode => {
            let text = as_str(f, &values[0])?;
            check_len(f, text)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| fail(f, format!("invalid base64: {e}")))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| fail(f, "the decoded data is not UTF-8 text"))
        }
        Function::Hash => {
            let data = match &values[0] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            check_len(f, &data)?;
            let algorithm = as_str(f, &values[1])?;
            hash(algorithm, data.as_bytes())
                .map(Value::String)
                .ok_or_else(|| {
                    fail(
                        f,
                        format!("unsupported algorithm '{algorithm}' (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"),
                    )
                })
        }
        Function::JsonMerge => {
            let (Some(a), Some(b)) = (values[0].as_object(), values[1].as_object()) else {
                return Err(fail(f, "both arguments must be JSON objects"));
            };
            match values[2] {
                // The guide: only the shallow mode exists, the flag must be false.
                Value::Bool(false) => {}
                _ => return Err(fail(f, "the deep-merge flag must be the boolean false")),
            }
            let mut merged: Map<String, Value> = a.clone();
            for (k, v) in b {
                merged.insert(k.clone(), v.clone());
            }
            Ok(Value::Object(merged))
        }
        Function::MathRandom => {
            let start = as_int(f, &values[0])?;
            let end = as_int(f, &values[1])?;
            if start >= end {
                return Err(fail(f, "the start must be lower than the end"));
            }
            let value = match values.get(2) {
                Some(seed) => fastrand::Rng::with_seed(as_int(f, seed)? as u64).i64(start..end),
                None => fastrand::i64(start..end),
            };
            Ok(Value::from(value))
        }
        Function::MathAdd => {
            let a = as_int(f, &values[0])?;
            let b = as_int(f, &values[1])?;
            let range = i64::from(i32::MIN)..=i64::from(i32::MAX);
            if !range.contains(&a) || !range.contains(&b) {
                return Err(fail(f, "the operands must be 32-bit integers"));
            }
            Ok(Value::from(a + b))
        }
        Function::StringSplit => {
            let text = as_str(f, &values[0])?;
            let delimiters: Vec<char> = as_str(f, &values[1])?.chars().collect();
            Ok(Value::Array(
                text.split(|c| delimiters.contains(&c))
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            ))
        }
        Function::Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
    }
}

fn hash(algorithm: &str, data: &[u8]) -> Option<String> {
    use sha2::Digest;
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    Some(match algorithm {
        "MD5" => hex(&md5::Md5::digest(data)),
        "SHA-1" => hex(&sha1::Sha1::digest(data)),
        "SHA-256" => hex(&sha2::Sha256::digest(data)),
        "SHA-384" => hex(&sha2::Sha384::digest(data)),
        "SHA-512" => hex(&sha2::Sha512::digest(data)),
        _ => return None,
    })
}

fn format(call: &Call, values: &[Value]) -> Result<Value, StatesError> {
    let f = Function::Format;
    // A literal template keeps its escapes; one read from data is taken as written.
    let template = match &call.args[0] {
        Arg::String { raw, .. } => raw.clone(),
        _ => as_str(f, &values[0])?.to_owned(),
    };
    let mut out = String::new();
    let mut args = values[1..].iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => out.push(escaped),
                None => return Err(fail(f, "the template ends with an open escape")),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let Some(arg) = args.next() else {
                    return Err(fail(f, "more placeholders than arguments"));
                };
                match arg {
                    Value::String(s) => out.push_str(s),
                    Value::Array(_) | Value::Object(_) => {
                        return Err(fail(
                            f,
                            "arguments must be strings, numbers, booleans or null",
                        ))
                    }
                    other => out.push_str(&other.to_string()),
                }
            }
            other => out.push(other),
        }
    }
    if args.next().is_some() {
        return Err(fail(f, "more arguments than placeholders"));
    }
    Ok(Value::String(out))
}

struct CallParser<'a> {
    text: &'a str,
    chars: Vec<char>,
    pos: usize,
}

impl CallParser<'_> {
    fn error(&self, reason: &str) -> IntrinsicSyntaxError {
        IntrinsicSyntaxError {
            text: self.text.to_owned(),
            reason: format!("{reason} (at character {})", self.pos),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn call(&mut self, depth: usize) -> Result<Call, IntrinsicSyntaxError> {
        if depth >= MAX_NESTING {
            return Err(self.error("more than 10 nested intrinsic functions"));
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let function = Function::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| self.error(&format!("unknown intrinsic function '{name}'")))?;
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(self.error("expected '('"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                args.push(self.arg(depth)?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected ',' or ')'")),
                }
            }
        }
        let (min, max) = function.arity();
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self.error(&format!(
                "{} takes {expected} argument(s), got {}",
                function.name(),
                args.len()
            )));
        }
        if function == Function::Format {
            if let Some(Arg::String { raw, .. }) = args.first() {
                let placeholders = count_placeholders(raw);
                if placeholders != args.len() - 1 {
                    return Err(self.error(&format!(
                        "States.Format has {placeholders} placeholder(s) but {} argument(s)",
                        args.len() - 1
                    )));
                }
            }
        }
        Ok(Call { function, args })
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, IntrinsicSyntaxError> {
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => {
                let start = self.pos;
                let mut depth_brackets = 0usize;
                let mut quote: Option<char> = None;
                while let Some(c) = self.peek() {
                    match (quote, c) {
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, '\'') | (None, '"') if depth_brackets > 0 => quote = Some(c),
                        (None, '[') | (None, '(') => depth_brackets += 1,
                        (None, ']') => depth_brackets = depth_brackets.saturating_sub(1),
                        (None, ')') if depth_brackets == 0 => break,
                        (None, ')') => depth_brackets -= 1,
                        (None, ',') if depth_brackets == 0 => break,
                        _ => {}
                    }
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                Path::parse(text.trim_end())
                    .map(Arg::Path)
                    .map_err(|e: PathError| self.error(&e.to_string()))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || ".-+eE".contains(c))
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                serde_json::from_str::<serde_json::Number>(&text)
                    .map(Arg::Number)
                    .map_err(|_| self.error(&format!("invalid number '{text}'")))
            }
            Some(_) => {
                let rest: String = self.chars[self.pos..].iter().collect();
                for (word, arg) in [
                    ("true", Arg::Bool(true)),
                    ("false", Arg::Bool(false)),
                    ("null", Arg::Null),
                ] {
                    if rest.starts_with(word) {
                        self.pos += word.len();
                        return Ok(arg);
                    }
                }
                if rest.starts_with("States.") {
                    return self.call(depth + 1).map(Arg::Call);
                }
                Err(self.error("expected an argument"))
            }
            None => Err(self.error("unexpected end of input")),
        }
    }

    fn string(&mut self) -> Result<Arg, IntrinsicSyntaxError> {
        self.pos += 1; // opening quote
        let mut value = String::new();
        let mut raw = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string literal")),
                Some('\\') => {
                    self.pos += 1;
                    let Some(escaped) = self.peek() else {
                        return Err(self.error("open escape at the end of the string"));
                    };
                    if !"'{}\\".contains(escaped) {
                        return Err(self.error(&format!("invalid escape '\\{escaped}'")));
                    }
                    value.push(escaped);
                    // Only quotes lose their escape in `raw`: Format still needs `\{`.
                    if escaped != '\'' {
                        raw.push('\\');
                    }
                    raw.push(escaped);
                    self.pos += 1;
                }
                Some('\'') => {
                    self.pos += 1;
                    return Ok(Arg::String { value, raw });
                }
                Some(c) => {
                    value.push(c);
                    raw.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

fn count_placeholders(raw: &str) -> usize {
    let mut count = 0;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                count += 1;
            }
            _ => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(text: &str, input: &Value) -> Result<Value, StatesError> {
        let call = Call::parse(text).map_err(|e| StatesError::intrinsic(e.to_string()))?;
        call.eval(&mut |p: &Path| {
            p.eval(input)
                .map_err(|e| StatesError::runtime(e.to_string()))
        })
    }

    #[test]
    fn parses_nested_and_literals() {
        let input = json!({"a": "x,y", "n": 2});
        assert_eq!(
            run(
                "States.Array('a\\'b', 1, true, null, $.n, States.StringSplit($.a, ','))",
                &input
            ),
            Ok(json!(["a'b", 1, true, null, 2, ["x", "y"]]))
        );
        assert!(Call::parse("States.Nope(1)").is_err());
        assert!(Call::parse("States.Format('{} {}', 1)").is_err());
        assert!(Call::parse("States.UUID(1)").is_err());
    }

    #[test]
    fn format_escapes_braces() {
        assert_eq!(
            run("States.Format('\\{{}\\}', 'x')", &json!({})),
            Ok(json!("{x}"))
        );
    }
}
