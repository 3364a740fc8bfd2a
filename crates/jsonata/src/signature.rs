//! Function signatures (`<s-nn?:s>`): the argument types of every built-in function and of
//! any lambda that declares them (`function($x, $y)<n-n:n>{…}`). They are checked the way
//! jsonata-js checks them, because the error codes and the coercions are observable: the
//! supplied arguments become a string of type letters matched against a regular expression
//! built from the signature, a missing argument marked `-` is taken from the context item
//! (T0411 when that has the wrong type), and a single value given for an array parameter is
//! wrapped into an array (T0412 when an array's items do not have the declared type).

use regex::Regex;

use crate::error::Error;
use crate::value::Value;

#[derive(Debug)]
pub(crate) struct Signature {
    params: Vec<Param>,
    pattern: Regex,
}

#[derive(Debug, Default)]
struct Param {
    /// The type letters this parameter accepts, as a regular expression over type letters.
    regex: String,
    /// `a`, `f`, `s` … or a choice such as `(ns)`.
    kind: String,
    /// With `-`: the context item stands in for a missing argument if it matches this.
    context: Option<Regex>,
    /// `a<n>`: the type of the array's items (only the first letter is checked, as in
    /// jsonata-js).
    subtype: Option<String>,
}

impl Param {
    fn new(regex: impl Into<String>, kind: impl Into<String>) -> Self {
        Param {
            regex: regex.into(),
            kind: kind.into(),
            ..Param::default()
        }
    }
}

/// The type letter of a value: `m` is a missing (undefined) argument, `l` is null.
fn letter(value: &Value) -> char {
    match value {
        Value::Undefined => 'm',
        Value::Null => 'l',
        Value::Bool(_) => 'b',
        Value::Number(_) => 'n',
        Value::String(_) => 's',
        Value::Array(..) => 'a',
        Value::Object(_) => 'o',
        Value::Function(_) => 'f',
    }
}

/// The position just past the bracket that closes the one at `start`.
fn closing(chars: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 0;
    for (i, &c) in chars.iter().enumerate().skip(start) {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
    }
    chars.len()
}

fn compile(pattern: &str, position: usize) -> Result<Regex, Error> {
    Regex::new(pattern).map_err(|_| {
        Error::syntax(
            "S0401",
            position,
            format!("Invalid function signature {pattern}"),
        )
    })
}

impl Signature {
    /// Parses `<…>`; `position` is where the signature starts in the expression.
    pub fn parse(text: &str, position: usize) -> Result<Self, Error> {
        let chars: Vec<char> = text.chars().collect();
        let mut params: Vec<Param> = Vec::new();
        let mut at = 1;
        while at < chars.len() {
            let symbol = chars[at];
            match symbol {
                // The return type is not checked (neither does jsonata-js).
                ':' => break,
                's' | 'n' | 'b' | 'l' | 'o' => {
                    params.push(Param::new(format!("[{symbol}m]"), symbol.to_string()))
                }
                // Any value is accepted for an array: a single one is wrapped.
                'a' => params.push(Param::new("[asnblfom]", "a")),
                'f' => params.push(Param::new("f", "f")),
                'j' => params.push(Param::new("[asnblom]", "j")),
                'x' => params.push(Param::new("[asnblfom]", "x")),
                '-' => {
                    if let Some(prev) = params.last_mut() {
                        prev.context = Some(compile(&format!("^{}$", prev.regex), position)?);
                        prev.regex.push('?');
                    }
                }
                '?' | '+' => {
                    if let Some(prev) = params.last_mut() {
                        prev.regex.push(symbol);
                    }
                }
                '(' => {
                    let end = closing(&chars, at, '(', ')');
                    let choice: String = chars[at + 1..end.min(chars.len())].iter().collect();
                    if choice.contains('<') {
                        return Err(Error::syntax(
                            "S0402",
                            position + at,
                            "Choice groups containing parameterized types are not supported",
                        ));
                    }
                    let letters: String = choice.chars().filter(char::is_ascii_lowercase).collect();
                    params.push(Param::new(format!("[{letters}m]"), format!("({choice})")));
                    at = end;
                }
                '<' => match params.last_mut() {
                    Some(prev) if prev.kind == "a" || prev.kind == "f" => {
                        let end = closing(&chars, at, '<', '>');
                        prev.subtype = Some(chars[at + 1..end.min(chars.len())].iter().collect());
                        at = end;
                    }
                    _ => {
                        return Err(Error::syntax(
                            "S0401",
                            position + at,
                            "Type parameters can only be applied to functions and arrays",
                        ))
                    }
                },
                _ => {}
            }
            at += 1;
        }
        let whole: String = params.iter().map(|p| format!("({})", p.regex)).collect();
        Ok(Signature {
            pattern: compile(&format!("^{whole}$"), position)?,
            params,
        })
    }

    /// The arguments the function receives: `args` checked, with the context item in place
    /// of a missing `-` argument and single values wrapped for array parameters.
    pub fn validate(
        &self,
        args: Vec<Value>,
        context: &Value,
        name: &str,
        position: usize,
    ) -> Result<Vec<Value>, Error> {
        let supplied: String = args.iter().map(letter).collect();
        let Some(groups) = self.pattern.captures(&supplied) else {
            return Err(self.mismatch(&supplied, name, position));
        };
        let mut out = Vec::with_capacity(self.params.len());
        let mut index = 0;
        for (i, param) in self.params.iter().enumerate() {
            let matched = groups.get(i + 1).map_or("", |m| m.as_str());
            // jsonata-js reads the argument once per parameter, so a `+` parameter of a
            // non-array type repeats its first argument; kept for identical results.
            let arg = args.get(index).cloned().unwrap_or(Value::Undefined);
            if matched.is_empty() {
                match &param.context {
                    Some(accepts) if accepts.is_match(&letter(context).to_string()) => {
                        out.push(context.clone());
                    }
                    Some(_) => {
                        return Err(Error::type_error(
                            "T0411",
                            position,
                            format!(
                                "Context value is not a compatible type with argument {} of function \"{name}\"",
                                index + 1
                            ),
                        ))
                    }
                    None => {
                        out.push(arg);
                        index += 1;
                    }
                }
                continue;
            }
            for single in matched.chars() {
                if param.kind == "a" {
                    let arg = args.get(index).cloned().unwrap_or(Value::Undefined);
                    let Some(array) = array_argument(param, single, matched, arg) else {
                        return Err(Error::type_error(
                            "T0412",
                            position,
                            format!(
                                "Argument {} of function \"{name}\" must be an array of {}",
                                index + 1,
                                plural(param.subtype.as_deref().unwrap_or_default())
                            ),
                        ));
                    };
                    out.push(array);
                } else {
                    out.push(arg.clone());
                }
                index += 1;
            }
        }
        Ok(out)
    }

    /// T0410 naming the first argument the signature does not accept: the parameters are
    /// matched one more at a time until the match fails.
    fn mismatch(&self, supplied: &str, name: &str, position: usize) -> Error {
        let mut prefix = String::from("^");
        let mut good_to = 0;
        for param in &self.params {
            prefix.push_str(&param.regex);
            match Regex::new(&prefix).ok().and_then(|r| r.find(supplied)) {
                Some(m) => good_to = m.end(),
                None => break,
            }
        }
        Error::type_error(
            "T0410",
            position,
            format!(
                "Argument {} of function \"{name}\" does not match function signature",
                good_to + 1
            ),
        )
    }
}

/// An argument for an array parameter, a single value wrapped; `None` if its items do not
/// have the declared subtype.
fn array_argument(param: &Param, single: char, matched: &str, arg: Value) -> Option<Value> {
    if single == 'm' {
        return Some(Value::Undefined);
    }
    if let Some(subtype) = &param.subtype {
        let items_match = match &arg {
            Value::Array(items, _) => match items.first().map(letter) {
                None => true,
                Some(first) => {
                    subtype.starts_with(first) && items.iter().all(|v| letter(v) == first)
                }
            },
            _ => matched == subtype,
        };
        if !items_match {
            return None;
        }
    }
    Some(match arg {
        array @ Value::Array(..) => array,
        other => Value::array(vec![other]),
    })
}

fn plural(subtype: &str) -> &'static str {
    match subtype.chars().next() {
        Some('a') => "arrays",
        Some('b') => "booleans",
        Some('f') => "functions",
        Some('n') => "numbers",
        Some('o') => "objects",
        Some('s') => "strings",
        _ => "values",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(signature: &str, args: Vec<Value>, context: Value) -> Result<Vec<Value>, Error> {
        Signature::parse(signature, 0)?.validate(args, &context, "f", 0)
    }

    #[test]
    fn a_missing_context_argument_is_the_context_item() {
        let got = check("<n-n:n>", vec![Value::Number(6.0)], Value::Number(1.0));
        assert!(
            matches!(got.as_deref(), Ok([Value::Number(a), Value::Number(b)]) if *a == 1.0 && *b == 6.0)
        );
        let wrong = check("<s-:n>", vec![], Value::Number(23.0));
        assert_eq!(wrong.map_err(|e| e.code()).err(), Some("T0411"));
    }

    #[test]
    fn single_values_become_arrays_and_items_are_typed() {
        let got = check("<a<n>>", vec![Value::Number(5.0)], Value::Undefined);
        assert!(matches!(got.as_deref(), Ok([Value::Array(items, _)]) if items.len() == 1));
        let strings = Value::array(vec![Value::Number(1.0), Value::string("3")]);
        let wrong = check("<a<n>>", vec![strings], Value::Undefined);
        assert_eq!(wrong.map_err(|e| e.code()).err(), Some("T0412"));
    }

    #[test]
    fn bad_signatures_and_bad_arguments_have_their_codes() {
        assert_eq!(
            Signature::parse("<n<n>>", 0).err().map(|e| e.code()),
            Some("S0401")
        );
        assert_eq!(
            Signature::parse("<(sa<n>)>", 0).err().map(|e| e.code()),
            Some("S0402")
        );
        let err = check(
            "<nn:a>",
            vec![Value::Number(1.0), Value::string("2")],
            Value::Undefined,
        );
        assert_eq!(
            err.err().map(|e| e.message().to_string()).as_deref(),
            Some("Argument 2 of function \"f\" does not match function signature")
        );
    }
}
