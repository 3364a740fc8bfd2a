//! JSONPath as Step Functions evaluates it (Jayway JsonPath semantics, restricted).
//!
//! A path starts at the state's data (`$`), the context object (`$$`) or a workflow
//! variable (`$name`). Definite paths (only `.name`, `['name']`, `[n]`) yield one value
//! and fail when nothing is there; indefinite ones (`*`, `..`, slices, unions, filters)
//! always yield an array, possibly empty. Reference paths (ResultPath, Choice `Variable`)
//! must be definite. Functions such as `length()` are not supported by AWS, so they are
//! parsed as plain property names, which is what AWS does too.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Value};

/// Where a path starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Root {
    /// `$`: the data being processed.
    Data,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Field(String),
    Index(i64),
    Wildcard,
    /// `..x`: the inner segment applied to the node and every descendant.
    Descendant(Box<Segment>),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Fields(Vec<String>),
    Indexes(Vec<i64>),
    Filter(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Box<Expr>, CmpOp, Box<Expr>),
    Current(Vec<Segment>),
    RootRef(Vec<Segment>),
    Literal(Value),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A path that could not be parsed, or that found nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("invalid JSONPath '{path}': {reason}")]
    Syntax { path: String, reason: String },
    /// Jayway's wording, which AWS quotes in its `States.Runtime` causes.
    #[error("No results for path: {0}")]
    NoResults(String),
    #[error("Unable to apply ReferencePath {path} to input {input}")]
    Unassignable { path: String, input: String },
}

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Path {
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let mut parser = Parser {
            text,
            chars: text.char_indices().collect(),
            pos: 0,
        };
        let path = parser.path()?;
        if parser.pos != parser.chars.len() {
            return Err(parser.error("unexpected trailing characters"));
        }
        Ok(path)
    }

    /// The identity path `$`.
    pub fn identity() -> Self {
        Self {
            text: "$".into(),
            root: Root::Data,
            segments: Vec::new(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    pub fn is_identity(&self) -> bool {
        self.root == Root::Data && self.segments.is_empty()
    }

    /// Definite paths select at most one node.
    pub fn is_definite(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)))
    }

    /// Reference paths (AWS): definite, and not into a variable's array by wildcard.
    pub fn is_reference(&self) -> bool {
        self.is_definite()
    }

    /// The normalized form Jayway prints in errors: `$['a'][0]`.
    fn normalized(root: &Root, segments: &[Segment]) -> String {
        let mut out = match root {
            Root::Data => "$".to_owned(),
            Root::Context => "$$".to_owned(),
            Root::Variable(name) => format!("${name}"),
        };
        for segment in segments {
            match segment {
                Segment::Field(name) => out.push_str(&format!("['{name}']")),
                Segment::Index(index) => out.push_str(&format!("[{index}]")),
                _ => out.push_str("[*]"),
            }
        }
        out
    }

    /// Evaluates against `root` (whatever the path's own root denotes: the caller picks it).
    pub fn eval(&self, root: &Value) -> Result<Value, PathError> {
        if self.is_definite() {
            let mut node = root;
            for (depth, segment) in self.segments.iter().enumerate() {
                let next = match segment {
                    Segment::Field(name) => node.as_object().and_then(|o| o.get(name)),
                    Segment::Index(index) => node.as_array().and_then(|a| index_into(a, *index)),
                    _ => None,
                };
                node = next.ok_or_else(|| {
                    PathError::NoResults(Self::normalized(&self.root, &self.segments[..=depth]))
                })?;
            }
            return Ok(node.clone());
        }
        let mut nodes = vec![root];
        for segment in &self.segments {
            let mut next = Vec::new();
            for node in nodes {
                apply(segment, node, root, &mut next);
            }
            nodes = next;
        }
        Ok(Value::Array(nodes.into_iter().cloned().collect()))
    }

    /// Writes `value` where this reference path points inside `target` (ResultPath):
    /// missing objects on the way are created, anything else in the way is a failure.
    pub fn assign(&self, target: &mut Value, value: Value) -> Result<(), PathError> {
        if self.segments.is_empty() {
            *target = value;
            return Ok(());
        }
        let unassignable = |target: &Value| PathError::Unassignable {
            path: self.text.clone(),
            input: target.to_string(),
        };
        if !self.is_definite() {
            return Err(unassignable(target));
        }
        let snapshot_on_error = target.clone();
        let mut node = target;
        let last = self.segments.len() - 1;
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Field(name) => {
                    let Some(object) = node.as_object_mut() else {
                        return Err(unassignable(&snapshot_on_error));
                    };
                    if i == last {
                        object.insert(name.clone(), value);
                        return Ok(());
                    }
                    node = object
                        .entry(name.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
                Segment::Index(index) => {
                    let Some(array) = node.as_array_mut() else {
                        return Err(unassignable(&snapshot_on_error));
                    };
                    let len = array.len() as i64;
                    let at = if *index < 0 { len + index } else { *index };
                    if at < 0 || at >= len {
                        return Err(unassignable(&snapshot_on_error));
                    }
                    let slot = &mut array[at as usize];
                    if i == last {
                        *slot = value;
                        return Ok(());
                    }
                    node = slot;
                }
                _ => return Err(unassignable(&snapshot_on_error)),
            }
        }
        Ok(())
    }
}

fn index_into(array: &[Value], index: i64) -> Option<&Value> {
    let at = if index < 0 {
        array.len() as i64 + index
    } else {
        index
    };
    usize::try_from(at).ok().and_then(|at| array.get(at))
}

fn apply<'a>(segment: &Segment, node: &'a Value, root: &'a Value, out: &mut Vec<&'a Value>) {
    match segment {
        Segment::Field(name) => {
            if let Some(v) = node.as_object().and_then(|o| o.get(name)) {
                out.push(v);
            }
        }
        Segment::Fields(names) => {
            if let Some(object) = node.as_object() {
                out.extend(names.iter().filter_map(|n| object.get(n)));
            }
        }
        Segment::Index(index) => {
            if let Some(v) = node.as_array().and_then(|a| index_into(a, *index)) {
                out.push(v);
            }
        }
        Segment::Indexes(indexes) => {
            if let Some(array) = node.as_array() {
                out.extend(indexes.iter().filter_map(|i| index_into(array, *i)));
            }
        }
        Segment::Wildcard => match node {
            Value::Object(o) => out.extend(o.values()),
            Value::Array(a) => out.extend(a.iter()),
            _ => {}
        },
        Segment::Slice(start, end, step) => {
            if let Some(array) = node.as_array() {
                let len = array.len() as i64;
                let norm = |v: i64| if v < 0 { (len + v).max(0) } else { v.min(len) };
                let start = start.map(norm).unwrap_or(0);
                let end = end.map(norm).unwrap_or(len);
                let step = step.unwrap_or(1).max(1) as usize;
                if start < end {
                    out.extend(array[start as usize..end as usize].iter().step_by(step));
                }
            }
        }
        Segment::Descendant(inner) => {
            let mut stack = vec![node];
            // Pre-order, document order: what Jayway's deep scan yields.
            while let Some(current) = stack.pop() {
                apply(inner, current, root, out);
                match current {
                    Value::Object(o) => stack.extend(o.values().rev()),
                    Value::Array(a) => stack.extend(a.iter().rev()),
                    _ => {}
                }
            }
        }
        Segment::Filter(expr) => {
            let candidates: Vec<&Value> = match node {
                Value::Array(a) => a.iter().collect(),
                Value::Object(_) => vec![node],
                _ => Vec::new(),
            };
            for candidate in candidates {
                if truthy(&eval_expr(expr, candidate, root)) {
                    out.push(candidate);
                }
            }
        }
    }
}

/// A filter operand: `None` when a path inside the filter found nothing.
fn eval_expr(expr: &Expr, current: &Value, root: &Value) -> Option<Value> {
    match expr {
        Expr::Literal(v) => Some(v.clone()),
        Expr::Current(segments) => select_definite(current, root, segments),
        Expr::RootRef(segments) => select_definite(root, root, segments),
        Expr::Not(inner) => Some(Value::Bool(!truthy(&eval_expr(inner, current, root)))),
        Expr::And(a, b) => Some(Value::Bool(
            truthy(&eval_expr(a, current, root)) && truthy(&eval_expr(b, current, root)),
        )),
        Expr::Or(a, b) => Some(Value::Bool(
            truthy(&eval_expr(a, current, root)) || truthy(&eval_expr(b, current, root)),
        )),
        Expr::Compare(a, op, b) => {
            let (Some(a), Some(b)) = (eval_expr(a, current, root), eval_expr(b, current, root))
            else {
                return Some(Value::Bool(false));
            };
            let ordering = compare_values(&a, &b);
            Some(Value::Bool(match op {
                CmpOp::Eq => ordering == Some(Ordering::Equal),
                CmpOp::Ne => ordering != Some(Ordering::Equal),
                CmpOp::Lt => ordering == Some(Ordering::Less),
                CmpOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
                CmpOp::Gt => ordering == Some(Ordering::Greater),
                CmpOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
            }))
        }
    }
}

fn select_definite(start: &Value, root: &Value, segments: &[Segment]) -> Option<Value> {
    let mut nodes = vec![start];
    for segment in segments {
        let mut next = Vec::new();
        for node in nodes {
            apply(segment, node, root, &mut next);
        }
        nodes = next;
    }
    let definite = segments
        .iter()
        .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)));
    if definite {
        nodes.first().map(|v| (*v).clone())
    } else {
        Some(Value::Array(nodes.into_iter().cloned().collect()))
    }
}

/// Filter truthiness: `[?(@.flag)]` means "exists and is not false/null".
fn truthy(v: &Option<Value>) -> bool {
    !matches!(v, None | Some(Value::Bool(false)) | Some(Value::Null))
}

fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) if x == y => Some(Ordering::Equal),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ if a == b => Some(Ordering::Equal),
        _ => None,
    }
}

struct Parser<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &str) -> PathError {
        PathError::Syntax {
            path: self.text.to_owned(),
            reason: format!("{reason} at character {}", self.pos),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|(_, c)| *c)
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).map(|(_, c)| *c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn path(&mut self) -> Result<Path, PathError> {
        if !self.eat('$') {
            return Err(self.error("a path must start with '$'"));
        }
        let root = if self.eat('$') {
            Root::Context
        } else if self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                self.pos += 1;
            }
            Root::Variable(self.slice(start, self.pos))
        } else {
            Root::Data
        };
        let segments = self.segments(false)?;
        Ok(Path {
            text: self.text.to_owned(),
            root,
            segments,
        })
    }

    fn slice(&self, start: usize, end: usize) -> String {
        self.chars[start..end].iter().map(|(_, c)| *c).collect()
    }

    /// Segments until the end (or, inside a filter, until an operator or `)`).
    fn segments(&mut self, in_filter: bool) -> Result<Vec<Segment>, PathError> {
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some('.') if self.peek_at(1) == Some('.') => {
                    self.pos += 2;
                    let inner = if self.peek() == Some('[') {
                        self.bracket()?
                    } else {
                        self.dot_member(in_filter)?
                    };
                    segments.push(Segment::Descendant(Box::new(inner)));
                }
                Some('.') => {
                    self.pos += 1;
                    segments.push(self.dot_member(in_filter)?);
                }
                Some('[') => segments.push(self.bracket()?),
                None => break,
                Some(_) if in_filter => break,
                Some(_) => return Err(self.error("expected '.' or '['")),
            }
        }
        Ok(segments)
    }

    fn dot_member(&mut self, in_filter: bool) -> Result<Segment, PathError> {
        if self.eat('*') {
            return Ok(Segment::Wildcard);
        }
        let start = self.pos;
        while let Some(c) = self.peek() {
            let stop =
                c == '.' || c == '[' || (in_filter && (c.is_whitespace() || "=!<>&|)".contains(c)));
            if stop {
                break;
            }
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.error("empty property name"));
        }
        Ok(Segment::Field(self.slice(start, self.pos)))
    }

    fn bracket(&mut self) -> Result<Segment, PathError> {
        self.pos += 1; // '['
        self.skip_ws();
        let segment = match self.peek() {
            Some('*') => {
                self.pos += 1;
                Segment::Wildcard
            }
            Some('\'') | Some('"') => {
                let mut names = vec![self.quoted()?];
                self.skip_ws();
                while self.eat(',') {
                    self.skip_ws();
                    names.push(self.quoted()?);
                    self.skip_ws();
                }
                if names.len() == 1 {
                    Segment::Field(names.remove(0))
                } else {
                    Segment::Fields(names)
                }
            }
            Some('?') => {
                self.pos += 1;
                self.skip_ws();
                if !self.eat('(') {
                    return Err(self.error("expected '(' after '?'"));
                }
                let expr = self.or_expr()?;
                self.skip_ws();
                if !self.eat(')') {
                    return Err(self.error("expected ')' closing the filter"));
                }
                Segment::Filter(Box::new(expr))
            }
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => self.index_or_slice()?,
            _ => return Err(self.error("unsupported bracket expression")),
        };
        self.skip_ws();
        if !self.eat(']') {
            return Err(self.error("expected ']'"));
        }
        Ok(segment)
    }

    fn int(&mut self) -> Result<Option<i64>, PathError> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if start == self.pos {
            return Ok(None);
        }
        let text = self.slice(start, self.pos);
        text.parse()
            .map(Some)
            .map_err(|_| self.error("invalid integer"))
    }

    fn index_or_slice(&mut self) -> Result<Segment, PathError> {
        let first = self.int()?;
        self.skip_ws();
        if self.eat(':') {
            let end = self.int()?;
            self.skip_ws();
            let step = if self.eat(':') { self.int()? } else { None };
            return Ok(Segment::Slice(first, end, step));
        }
        let Some(first) = first else {
            return Err(self.error("expected an index"));
        };
        let mut indexes = vec![first];
        while self.eat(',') {
            indexes.push(self.int()?.ok_or_else(|| self.error("expected an index"))?);
            self.skip_ws();
        }
        Ok(if indexes.len() == 1 {
            Segment::Index(first)
        } else {
            Segment::Indexes(indexes)
        })
    }

    fn quoted(&mut self) -> Result<String, PathError> {
        let Some(quote) = self.peek() else {
            return Err(self.error("expected a quoted name"));
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c) => out.push(c),
                        None => return Err(self.error("unterminated string")),
                    }
                    self.pos += 1;
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn or_expr(&mut self) -> Result<Expr, PathError> {
        let mut left = self.and_expr()?;
        loop {
            self.skip_ws();
            if self.peek() == Some('|') && self.peek_at(1) == Some('|') {
                self.pos += 2;
                let right = self.and_expr()?;
                left = Expr::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn and_expr(&mut self) -> Result<Expr, PathError> {
        let mut left = self.cmp_expr()?;
        loop {
            self.skip_ws();
            if self.peek() == Some('&') && self.peek_at(1) == Some('&') {
                self.pos += 2;
                let right = self.cmp_expr()?;
                left = Expr::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn cmp_expr(&mut self) -> Result<Expr, PathError> {
        let left = self.operand()?;
        self.skip_ws();
        let op = match (self.peek(), self.peek_at(1)) {
            (Some('='), Some('=')) => Some((CmpOp::Eq, 2)),
            (Some('!'), Some('=')) => Some((CmpOp::Ne, 2)),
            (Some('<'), Some('=')) => Some((CmpOp::Le, 2)),
            (Some('>'), Some('=')) => Some((CmpOp::Ge, 2)),
            (Some('<'), _) => Some((CmpOp::Lt, 1)),
            (Some('>'), _) => Some((CmpOp::Gt, 1)),
            _ => None,
        };
        let Some((op, width)) = op else {
            return Ok(left);
        };
        self.pos += width;
        let right = self.operand()?;
        Ok(Expr::Compare(Box::new(left), op, Box::new(right)))
    }

    fn operand(&mut self) -> Result<Expr, PathError> {
        self.skip_ws();
        match self.peek() {
            Some('!') => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.operand()?)))
            }
            Some('(') => {
                self.pos += 1;
                let inner = self.or_expr()?;
                self.skip_ws();
                if !self.eat(')') {
                    return Err(self.error("expected ')'"));
                }
                Ok(inner)
            }
            Some('@') => {
                self.pos += 1;
                Ok(Expr::Current(self.segments(true)?))
            }
            Some('$') => {
                self.pos += 1;
                Ok(Expr::RootRef(self.segments(true)?))
            }
            Some('\'') | Some('"') => Ok(Expr::Literal(Value::String(self.quoted()?))),
            Some(_) => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_alphanumeric() || ".-+_".contains(c))
                {
                    self.pos += 1;
                }
                let word = self.slice(start, self.pos);
                match word.as_str() {
                    "true" => Ok(Expr::Literal(Value::Bool(true))),
                    "false" => Ok(Expr::Literal(Value::Bool(false))),
                    "null" => Ok(Expr::Literal(Value::Null)),
                    _ => serde_json::from_str::<serde_json::Number>(&word)
                        .map(|n| Expr::Literal(Value::Number(n)))
                        .map_err(|_| self.error("expected a filter operand")),
                }
            }
            None => Err(self.error("unexpected end of filter")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(path: &str, data: &Value) -> Result<Value, PathError> {
        Path::parse(path)?.eval(data)
    }

    #[test]
    fn definite_and_indefinite() {
        let data = json!({"a": {"b": [1, 2, 3]}, "c": [{"x": 1}, {"x": 5}, {"y": 2}]});
        assert_eq!(eval("$.a.b[1]", &data), Ok(json!(2)));
        assert_eq!(eval("$['a']['b'][-1]", &data), Ok(json!(3)));
        assert_eq!(eval("$.c[*].x", &data), Ok(json!([1, 5])));
        assert_eq!(eval("$..x", &data), Ok(json!([1, 5])));
        assert_eq!(eval("$.a.b[1:]", &data), Ok(json!([2, 3])));
        assert_eq!(eval("$.c[?(@.x > 2)]", &data), Ok(json!([{"x": 5}])));
        assert_eq!(eval("$.c[?(@.y)]", &data), Ok(json!([{"y": 2}])));
        assert_eq!(
            eval("$.a.missing", &data),
            Err(PathError::NoResults("$['a']['missing']".into()))
        );
        assert!(Path::parse("a.b").is_err());
        assert!(Path::parse("$.a[").is_err());
    }

    #[test]
    fn assign_creates_objects() {
        let mut data = json!({"a": 1});
        Path::parse("$.b.c")
            .unwrap()
            .assign(&mut data, json!(2))
            .unwrap();
        assert_eq!(data, json!({"a": 1, "b": {"c": 2}}));
        let mut data = json!("text");
        assert!(Path::parse("$.x")
            .unwrap()
            .assign(&mut data, json!(1))
            .is_err());
    }
}
