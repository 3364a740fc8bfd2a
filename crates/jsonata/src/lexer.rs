//! Tokenizer. JSONata is context-sensitive in one place: `/` starts a regex literal where an
//! operand is expected and is division elsewhere, so the lexer tracks whether the previous
//! token ended an operand.

use crate::error::Error;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An operator or punctuation, including the keyword operators `and`, `or`, `in`.
    Op(&'static str),
    Str(String),
    Num(f64),
    /// `true`, `false` or `null`.
    Value(serde_json::Value),
    Name(String),
    /// `$name`; the empty name is the context (`$`), `$` alone is the root (`$$`).
    Var(String),
    Regex {
        pattern: String,
        flags: String,
    },
    /// What the lexer could not read. It ends the tokens in place of `End`, and is raised
    /// only when the parser reaches it: jsonata-js tokenizes lazily, so a syntax error earlier
    /// in the expression is the one reported.
    Error(Error),
    End,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub position: usize,
}

/// Longest operators first, so that `..` wins over `.` and `~>` over `~`. A lone `!` or `~` is
/// no operator (S0204), as in jsonata-js.
const OPERATORS: &[&str] = &[
    "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??", ".", "[", "]", "{", "}", "(", ")", ",",
    "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^", "&",
];

fn is_operator_char(c: char) -> bool {
    ".[]{}(),@#;:?+-*/%|=<>^&!~\"'`".contains(c)
}

/// The tokens of `src`, ending with `End`, or with `Error` where the lexer stopped.
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let last = match read_tokens(&chars, &mut out) {
        Ok(()) => Token {
            tok: Tok::End,
            position: chars.len(),
        },
        Err(error) => Token {
            position: match &error {
                Error::Syntax { position, .. } => *position,
                _ => chars.len(),
            },
            tok: Tok::Error(error),
        },
    };
    out.push(last);
    out
}

fn read_tokens(chars: &[char], out: &mut Vec<Token>) -> Result<(), Error> {
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let start = i;
            i += 2;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(Error::syntax("S0106", start, "Comment has no closing tag"))
                    }
                    Some('*') if chars.get(i + 1) == Some(&'/') => {
                        i += 2;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            continue;
        }
        let start = i;
        if c == '/' && !ends_operand(out.last()) {
            let (tok, next) = regex_literal(chars, i)?;
            out.push(Token {
                tok,
                position: start,
            });
            i = next;
            continue;
        }
        if c == '"' || c == '\'' {
            let (s, next) = string_literal(chars, i)?;
            out.push(Token {
                tok: Tok::Str(s),
                position: start,
            });
            i = next;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            // `1..5` is a range, not the number `1.` followed by `.5`.
            if chars.get(j) == Some(&'.') && chars.get(j + 1).is_some_and(|d| d.is_ascii_digit()) {
                j += 1;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
            }
            if matches!(chars.get(j), Some('e' | 'E')) {
                let mut k = j + 1;
                if matches!(chars.get(k), Some('+' | '-')) {
                    k += 1;
                }
                if chars.get(k).is_some_and(|d| d.is_ascii_digit()) {
                    j = k;
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                }
            }
            let text: String = chars[i..j].iter().collect();
            let n: f64 = text.parse().map_err(|_| {
                Error::syntax("S0102", start, format!("Number out of range: {text}"))
            })?;
            if !n.is_finite() {
                return Err(Error::syntax(
                    "S0102",
                    start,
                    format!("Number out of range: {text}"),
                ));
            }
            out.push(Token {
                tok: Tok::Num(n),
                position: start,
            });
            i = j;
            continue;
        }
        if c == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == '`')
                .ok_or_else(|| {
                    Error::syntax(
                        "S0105",
                        start,
                        "Quoted property name must be terminated with a backquote (`)",
                    )
                })?;
            let name: String = chars[i + 1..i + 1 + end].iter().collect();
            out.push(Token {
                tok: Tok::Name(name),
                position: start,
            });
            i += end + 2;
            continue;
        }
        if let Some(op) = OPERATORS.iter().find(|op| starts_with(chars, i, op)) {
            out.push(Token {
                tok: Tok::Op(op),
                position: start,
            });
            i += op.chars().count();
            continue;
        }
        let mut j = i;
        while j < chars.len() && !chars[j].is_whitespace() && !is_operator_char(chars[j]) {
            j += 1;
        }
        // `$` alone is an operator character only at the start of a name.
        if c == '$' {
            j = i + 1;
            while j < chars.len() && !chars[j].is_whitespace() && !is_operator_char(chars[j]) {
                j += 1;
            }
            let name: String = chars[i + 1..j].iter().collect();
            out.push(Token {
                tok: Tok::Var(name),
                position: start,
            });
            i = j;
            continue;
        }
        if j == i {
            return Err(Error::syntax(
                "S0204",
                start,
                format!("Unknown operator: {c}"),
            ));
        }
        let word: String = chars[i..j].iter().collect();
        let tok = match word.as_str() {
            "and" => Tok::Op("and"),
            "or" => Tok::Op("or"),
            "in" => Tok::Op("in"),
            "true" => Tok::Value(serde_json::Value::Bool(true)),
            "false" => Tok::Value(serde_json::Value::Bool(false)),
            "null" => Tok::Value(serde_json::Value::Null),
            _ => Tok::Name(word),
        };
        out.push(Token {
            tok,
            position: start,
        });
        i = j;
    }
    Ok(())
}

fn starts_with(chars: &[char], at: usize, s: &str) -> bool {
    s.chars()
        .enumerate()
        .all(|(k, c)| chars.get(at + k) == Some(&c))
}

/// Whether the previous token completes an operand, making a following `/` a division.
fn ends_operand(prev: Option<&Token>) -> bool {
    match prev.map(|t| &t.tok) {
        None => false,
        Some(Tok::Op(op)) => matches!(*op, ")" | "]" | "}" | "*" | "**" | "%"),
        Some(_) => true,
    }
}

fn regex_literal(chars: &[char], start: usize) -> Result<(Tok, usize), Error> {
    let mut i = start + 1;
    let mut depth = 0usize;
    let mut pattern = String::new();
    loop {
        let c = *chars.get(i).ok_or_else(|| {
            Error::syntax("S0302", start, "No terminating / in regular expression")
        })?;
        match c {
            '\\' => {
                pattern.push(c);
                if let Some(&n) = chars.get(i + 1) {
                    pattern.push(n);
                }
                i += 2;
                continue;
            }
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '/' if depth == 0 => break,
            _ => {}
        }
        pattern.push(c);
        i += 1;
    }
    if pattern.is_empty() {
        return Err(Error::syntax(
            "S0301",
            start,
            "Empty regular expressions are not allowed",
        ));
    }
    i += 1;
    let mut flags = String::new();
    while let Some(&f) = chars.get(i) {
        if f == 'i' || f == 'm' {
            flags.push(f);
            i += 1;
        } else {
            break;
        }
    }
    Ok((Tok::Regex { pattern, flags }, i))
}

fn string_literal(chars: &[char], start: usize) -> Result<(String, usize), Error> {
    let quote = chars[start];
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        let c = *chars.get(i).ok_or_else(|| {
            Error::syntax(
                "S0101",
                start,
                "String literal must be terminated by a matching quote",
            )
        })?;
        i += 1;
        if c == quote {
            return Ok((s, i));
        }
        if c != '\\' {
            s.push(c);
            continue;
        }
        let e = *chars.get(i).ok_or_else(|| {
            Error::syntax(
                "S0101",
                start,
                "String literal must be terminated by a matching quote",
            )
        })?;
        i += 1;
        match e {
            '"' | '\\' | '/' | '\'' => s.push(e),
            'b' => s.push('\u{8}'),
            'f' => s.push('\u{c}'),
            'n' => s.push('\n'),
            'r' => s.push('\r'),
            't' => s.push('\t'),
            'u' => {
                let hex: String = chars
                    .get(i..i + 4)
                    .map(|h| h.iter().collect())
                    .unwrap_or_default();
                let code = u32::from_str_radix(&hex, 16).map_err(|_| {
                    Error::syntax(
                        "S0104",
                        i,
                        "The escape sequence \\u must be followed by 4 hex digits",
                    )
                })?;
                i += 4;
                // A surrogate pair spells one character outside the BMP.
                if (0xD800..0xDC00).contains(&code)
                    && chars.get(i) == Some(&'\\')
                    && chars.get(i + 1) == Some(&'u')
                {
                    let low: String = chars
                        .get(i + 2..i + 6)
                        .map(|h| h.iter().collect())
                        .unwrap_or_default();
                    if let Ok(lo) = u32::from_str_radix(&low, 16) {
                        if let Some(ch) = char::from_u32(
                            0x10000 + ((code - 0xD800) << 10) + (lo.wrapping_sub(0xDC00)),
                        ) {
                            s.push(ch);
                            i += 6;
                            continue;
                        }
                    }
                }
                s.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            _ => {
                return Err(Error::syntax(
                    "S0103",
                    i - 1,
                    format!("Unsupported escape sequence: \\{e}"),
                ))
            }
        }
    }
}
