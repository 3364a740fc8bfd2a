//! Pratt (top-down operator precedence) parser, with the binding powers of jsonata-js, which
//! also normalises paths while building them (see `ast`).

use std::sync::Arc;

use crate::ast::{Kind, LambdaDef, Node, SortTerm};
use crate::error::Error;
use crate::lexer::{tokenize, Tok, Token};
use crate::signature::Signature;
use crate::stack::StackGuard;

pub(crate) fn parse(src: &str) -> Result<Node, Error> {
    let mut p = Parser {
        tokens: tokenize(src),
        at: 0,
        stack: StackGuard::new(),
        deferred: None,
    };
    let node = p.expression(0)?;
    if !matches!(p.peek().tok, Tok::End) {
        return Err(p.unexpected());
    }
    match p.deferred {
        Some(error) => Err(error),
        None => Ok(node),
    }
}

/// Left binding power of an infix operator; 0 for tokens that never continue an expression.
fn lbp(tok: &Tok) -> u8 {
    match tok {
        Tok::Op(op) => match *op {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            "*" | "/" | "%" => 60,
            "+" | "-" | "&" => 50,
            "=" | "!=" | "<" | "<=" | ">" | ">=" | "^" | "~>" | "in" | "?:" | "??" => 40,
            "and" => 30,
            "or" => 25,
            "?" | ".." => 20,
            ":=" => 10,
            _ => 0,
        },
        _ => 0,
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    stack: StackGuard,
    /// An error jsonata-js finds only after parsing (in its AST pass), so that a syntax error
    /// later in the expression wins over it.
    deferred: Option<Error>,
}

impl Parser {
    fn peek(&self) -> &Token {
        // tokenize always ends with Tok::End or Tok::Error, and `advance` never moves past it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(&self.peek().tok, Tok::Op(o) if *o == op)
    }

    fn expect(&mut self, op: &'static str) -> Result<(), Error> {
        if self.is_op(op) {
            self.advance();
            Ok(())
        } else if let Tok::Error(error) = &self.peek().tok {
            Err(error.clone())
        } else if matches!(self.peek().tok, Tok::End) {
            Err(Error::syntax(
                "S0203",
                self.peek().position,
                format!("Expected \"{op}\" before end of expression"),
            ))
        } else {
            Err(Error::syntax(
                "S0202",
                self.peek().position,
                format!("Expected \"{op}\", got {}", describe(&self.peek().tok)),
            ))
        }
    }

    fn unexpected(&self) -> Error {
        let t = self.peek();
        match &t.tok {
            Tok::Error(error) => error.clone(),
            Tok::End => Error::syntax("S0207", t.position, "Unexpected end of expression"),
            tok => Error::syntax(
                "S0201",
                t.position,
                format!("Syntax error: {}", describe(tok)),
            ),
        }
    }

    fn expression(&mut self, rbp: u8) -> Result<Node, Error> {
        self.stack.check(self.peek().position)?;
        let t = self.advance();
        let mut left = self.nud(t)?;
        while rbp < lbp(&self.peek().tok) {
            let t = self.advance();
            left = self.led(t, left)?;
        }
        Ok(left)
    }

    fn nud(&mut self, t: Token) -> Result<Node, Error> {
        let pos = t.position;
        let node = |kind| Node::new(kind, pos);
        Ok(match t.tok {
            Tok::Str(s) => node(Kind::Str(s)),
            Tok::Num(n) => node(Kind::Num(n)),
            Tok::Value(v) => node(Kind::Value(v)),
            Tok::Var(v) => node(Kind::Var(v)),
            Tok::Regex { pattern, flags } => node(Kind::Regex(Arc::new(crate::pattern::compile(
                &pattern, &flags, pos,
            )?))),
            Tok::Name(n) if (n == "function" || n == "λ") && self.is_op("(") => {
                self.lambda(pos)?
            }
            Tok::Name(n) => path(vec![node(Kind::Name(n))], pos),
            // The keyword operators are field names where an operand is expected.
            Tok::Op(op @ ("and" | "or" | "in")) => {
                path(vec![node(Kind::Name(op.to_string()))], pos)
            }
            Tok::Op("*") => path(vec![node(Kind::Wildcard)], pos),
            Tok::Op("**") => path(vec![node(Kind::Descendants)], pos),
            Tok::Op("-") => {
                let operand = self.expression(70)?;
                match operand.kind {
                    Kind::Num(n) if operand.predicates.is_empty() => node(Kind::Num(-n)),
                    _ => node(Kind::Neg(Box::new(operand))),
                }
            }
            Tok::Op("(") => {
                let mut items = Vec::new();
                while !self.is_op(")") {
                    items.push(self.expression(0)?);
                    if !self.is_op(";") {
                        break;
                    }
                    self.advance();
                }
                self.expect(")")?;
                node(Kind::Block(items))
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                while !self.is_op("]") {
                    // `[1..5]`: the range is an ordinary infix operator inside the item.
                    items.push(self.expression(0)?);
                    if !self.is_op(",") {
                        break;
                    }
                    self.advance();
                }
                self.expect("]")?;
                node(Kind::Array { items, cons: false })
            }
            Tok::Op("{") => node(Kind::Object(self.pairs()?)),
            Tok::Op("|") => {
                let pattern = self.expression(0)?;
                self.expect("|")?;
                let update = self.expression(0)?;
                let delete = if self.is_op(",") {
                    self.advance();
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                self.expect("|")?;
                node(Kind::Transform {
                    pattern: Box::new(pattern),
                    update: Box::new(update),
                    delete,
                })
            }
            Tok::Op("%") => path(vec![node(Kind::Parent)], pos),
            Tok::End => return Err(Error::syntax("S0207", pos, "Unexpected end of expression")),
            Tok::Error(error) => return Err(error),
            tok => {
                return Err(Error::syntax(
                    "S0211",
                    pos,
                    format!(
                        "The symbol {} cannot be used as a unary operator",
                        describe(&tok)
                    ),
                ))
            }
        })
    }

    /// `{ key: value, ... }` after the opening brace, for constructors and grouping alike.
    fn pairs(&mut self) -> Result<Vec<(Node, Node)>, Error> {
        let mut pairs = Vec::new();
        while !self.is_op("}") {
            let key = self.expression(0)?;
            self.expect(":")?;
            let value = self.expression(0)?;
            pairs.push((key, value));
            if !self.is_op(",") {
                break;
            }
            self.advance();
        }
        self.expect("}")?;
        Ok(pairs)
    }

    fn lambda(&mut self, pos: usize) -> Result<Node, Error> {
        self.expect("(")?;
        let mut params = Vec::new();
        while !self.is_op(")") {
            let t = self.advance();
            match t.tok {
                Tok::Var(v) => params.push(v),
                _ => {
                    return Err(Error::syntax(
                        "S0208",
                        t.position,
                        "Parameter of a function definition must be a variable name (start with $)",
                    ));
                }
            }
            if !self.is_op(",") {
                break;
            }
            self.advance();
        }
        self.expect(")")?;
        let signature = if self.is_op("<") {
            Some(self.signature()?)
        } else {
            None
        };
        self.expect("{")?;
        let body = self.expression(0)?;
        self.expect("}")?;
        Ok(Node::new(
            Kind::Lambda(Arc::new(LambdaDef {
                params,
                signature,
                body,
            })),
            pos,
        ))
    }

    /// A lambda's `<…>` type signature, read back from its tokens up to the matching `>`.
    fn signature(&mut self) -> Result<Signature, Error> {
        let start = self.peek().position;
        let mut text = String::new();
        let mut depth = 0usize;
        loop {
            let t = self.advance();
            match &t.tok {
                Tok::Op(op) => {
                    match *op {
                        "<" => depth += 1,
                        ">" => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    text.push_str(op);
                }
                Tok::Name(name) => text.push_str(name),
                _ => {
                    return Err(Error::syntax(
                        "S0401",
                        t.position,
                        "Type signature is not terminated",
                    ))
                }
            }
            if depth == 0 {
                return Signature::parse(&text, start);
            }
        }
    }

    /// Builds `lhs.rhs` as one flat path: string literals become names, array constructors at
    /// either end keep their arrays, and `[]` on any step makes the whole path keep singletons.
    /// A literal step (`a.1`) is S0213, raised once the whole expression has parsed.
    fn join_path(&mut self, lhs: Node, rhs: Node, pos: usize) -> Node {
        let mut steps = Vec::new();
        let mut keep = false;
        for side in [lhs, rhs] {
            match side.kind {
                Kind::Path {
                    steps: s,
                    keep_singleton,
                } if side.predicates.is_empty() && side.group.is_none() => {
                    keep |= keep_singleton;
                    steps.extend(s);
                }
                _ => {
                    keep |= side.keep_array;
                    steps.push(side);
                }
            }
        }
        for step in &mut steps {
            match &step.kind {
                Kind::Num(_) | Kind::Value(_) => {
                    self.deferred.get_or_insert(Error::syntax(
                        "S0213",
                        step.position,
                        "The literal value cannot be used as a step within a path expression",
                    ));
                }
                Kind::Str(s) => step.kind = Kind::Name(s.clone()),
                _ => {}
            }
        }
        // `%` selects the input of a named step: after a constructor, a variable or `**`
        // there is none (jsonata-js checks this once the expression has parsed).
        for pair in steps.windows(2) {
            let parent_step = matches!(pair[1].kind, Kind::Parent);
            let named = matches!(
                pair[0].kind,
                Kind::Name(_) | Kind::Wildcard | Kind::Parent | Kind::Block(_) | Kind::Path { .. }
            );
            if parent_step && !named {
                self.deferred.get_or_insert(Error::syntax(
                    "S0217",
                    pair[1].position,
                    "The object representing the 'parent' cannot be derived from this expression",
                ));
            }
        }
        if let Some(first) = steps.iter().skip(1).position(Node::reads_parent) {
            for step in &mut steps[first + 1..] {
                step.tuple = true;
            }
        }
        let last = steps.len() - 1;
        for i in [0, last] {
            if let Kind::Array { cons, .. } = &mut steps[i].kind {
                *cons = true;
            }
        }
        Node::new(
            Kind::Path {
                steps,
                keep_singleton: keep,
            },
            pos,
        )
    }

    fn led(&mut self, t: Token, left: Node) -> Result<Node, Error> {
        let pos = t.position;
        let op = match t.tok {
            Tok::Op(op) => op,
            _ => return Err(Error::syntax("S0201", pos, "Syntax error")),
        };
        Ok(match op {
            "." => {
                let rhs = self.expression(75)?;
                self.join_path(left, rhs, pos)
            }
            "[" => {
                if left.group.is_some() {
                    return Err(Error::syntax(
                        "S0209",
                        pos,
                        "A predicate cannot follow a grouping expression in a step",
                    ));
                }
                if self.is_op("]") {
                    self.advance();
                    let mut left = left;
                    match &mut left.kind {
                        Kind::Path { keep_singleton, .. } => *keep_singleton = true,
                        _ => left.keep_array = true,
                    }
                    return Ok(left);
                }
                let filter = self.expression(0)?;
                self.expect("]")?;
                let mut left = left;
                match &mut left.kind {
                    Kind::Path { steps, .. } if left.group.is_none() => match steps.last_mut() {
                        Some(last) => last.stages.push(filter),
                        None => left.predicates.push(filter),
                    },
                    _ => left.predicates.push(filter),
                }
                left
            }
            "{" => {
                let pairs = self.pairs()?;
                let mut left = left;
                if left.group.is_some() {
                    return Err(Error::syntax(
                        "S0210",
                        pos,
                        "Each step can only have one grouping expression",
                    ));
                }
                left.group = Some(pairs);
                left
            }
            "(" => {
                let mut args = Vec::new();
                let mut partial = false;
                while !self.is_op(")") {
                    if self.is_op("?") {
                        self.advance();
                        partial = true;
                        args.push(None);
                    } else {
                        args.push(Some(self.expression(0)?));
                    }
                    if !self.is_op(",") {
                        break;
                    }
                    self.advance();
                }
                self.expect(")")?;
                let func = Box::new(left);
                if partial {
                    Node::new(Kind::Partial { func, args }, pos)
                } else {
                    Node::new(
                        Kind::Call {
                            func,
                            args: args.into_iter().flatten().collect(),
                        },
                        pos,
                    )
                }
            }
            "?" => {
                let then = self.expression(0)?;
                let otherwise = if self.is_op(":") {
                    self.advance();
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                Node::new(
                    Kind::Condition {
                        test: Box::new(left),
                        then: Box::new(then),
                        otherwise,
                    },
                    pos,
                )
            }
            ":=" => {
                // `$a[1] := …` is not an assignment target (jsonata-js checks the node type,
                // and a predicate makes it a filter).
                let plain = left.predicates.is_empty() && left.stages.is_empty();
                let name = match left.kind {
                    Kind::Var(name) if plain => name,
                    _ => {
                        return Err(Error::syntax(
                            "S0212",
                            pos,
                            "The left side of := must be a variable name (start with $)",
                        ))
                    }
                };
                let rhs = self.expression(9)?;
                Node::new(Kind::Bind(name, Box::new(rhs)), pos)
            }
            "~>" => {
                let rhs = self.expression(40)?;
                Node::new(Kind::Apply(Box::new(left), Box::new(rhs)), pos)
            }
            ".." => {
                let rhs = self.expression(20)?;
                Node::new(Kind::Range(Box::new(left), Box::new(rhs)), pos)
            }
            "^" => {
                self.expect("(")?;
                let mut terms = Vec::new();
                loop {
                    let mut descending = false;
                    if self.is_op("<") {
                        self.advance();
                    } else if self.is_op(">") {
                        self.advance();
                        descending = true;
                    }
                    terms.push(SortTerm {
                        descending,
                        expr: self.expression(0)?,
                    });
                    if !self.is_op(",") {
                        break;
                    }
                    self.advance();
                }
                self.expect(")")?;
                let sort = Node::new(Kind::Sort(terms), pos);
                self.join_path(left, sort, pos)
            }
            "@" | "#" => {
                let t = self.advance();
                let Tok::Var(name) = t.tok else {
                    return Err(Error::syntax(
                        "S0214",
                        t.position,
                        format!("The right side of {op} must be a variable name (start with $)"),
                    ));
                };
                let mut left = match left.kind {
                    Kind::Path { .. } => left,
                    _ => {
                        // A bound step is a path step: its predicates become stages.
                        let mut step = left;
                        step.stages = std::mem::take(&mut step.predicates);
                        path(vec![step], pos)
                    }
                };
                let Kind::Path { steps, .. } = &mut left.kind else {
                    return Err(Error::syntax("S0201", pos, "Syntax error"));
                };
                let Some(step) = steps.last_mut() else {
                    return Err(Error::syntax("S0201", pos, "Syntax error"));
                };
                if op == "@" && matches!(step.kind, Kind::Sort(_)) {
                    return Err(Error::syntax(
                        "S0216",
                        pos,
                        "A context variable binding must precede the 'order-by' clause on a step",
                    ));
                }
                match (op, step.stages.len()) {
                    ("@", 0) => step.focus = Some(name),
                    ("@", _) => {
                        return Err(Error::syntax(
                            "S0215",
                            pos,
                            "A context variable binding must precede any predicates on a step",
                        ))
                    }
                    (_, 0) => step.index = Some(name),
                    (_, filtered) => step.position_after = Some((filtered, name)),
                }
                left
            }
            _ => {
                let rhs = self.expression(lbp(&Tok::Op(op)))?;
                Node::new(
                    Kind::Binary {
                        op,
                        lhs: Box::new(left),
                        rhs: Box::new(rhs),
                    },
                    pos,
                )
            }
        })
    }
}

fn path(steps: Vec<Node>, pos: usize) -> Node {
    Node::new(
        Kind::Path {
            steps,
            keep_singleton: false,
        },
        pos,
    )
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Op(op) => format!("\"{op}\""),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Num(n) => n.to_string(),
        Tok::Value(v) => v.to_string(),
        Tok::Name(n) => n.clone(),
        Tok::Var(v) => format!("${v}"),
        Tok::Regex { pattern, .. } => format!("/{pattern}/"),
        Tok::End => "end of expression".into(),
        Tok::Error(error) => error.message().to_string(),
    }
}
