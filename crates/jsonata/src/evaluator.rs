//! The tree-walking evaluator, following jsonata-js's semantics: path steps map over a
//! sequence and flatten, predicates filter (numbers index, anything else is a test), a
//! sequence of one collapses to its item, and `undefined` (no match) is not `null`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use indexmap::IndexMap;

use crate::ast::{Kind, LambdaDef, Node, SortTerm};
use crate::error::Error;
use crate::functions;
use crate::stack::StackGuard;
use crate::value::{deep_equal, ArrayFlags, Function, Object, Value};

/// What a lambda body evaluates to: its value, or the call it ends with, still to be made.
enum Tail {
    Value(Value),
    Call {
        func: Value,
        args: Vec<Value>,
        input: Value,
        position: usize,
    },
}

/// Tail calls one lambda call may chain (a loop written as tail recursion): beyond this it is
/// taken for a non-terminating recursion (U1001), which jsonata-js would run until the state
/// times out.
const MAX_TAIL_CALLS: usize = 100_000;

/// The context item a function call sees: the top-level input array stands for its first
/// item, as `$` does.
fn context_item(input: &Value) -> Value {
    match input {
        Value::Array(items, f) if f.outer_wrapper => {
            items.first().cloned().unwrap_or(Value::Undefined)
        }
        other => other.clone(),
    }
}

/// A variable scope: blocks and lambda calls open a child; `:=` binds in the innermost.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    vars: RefCell<HashMap<String, Value>>,
    parent: Option<Rc<Scope>>,
}

impl Scope {
    pub fn child(parent: &Rc<Scope>) -> Rc<Scope> {
        Rc::new(Scope {
            vars: RefCell::default(),
            parent: Some(parent.clone()),
        })
    }

    pub fn bind(&self, name: &str, value: Value) {
        self.vars.borrow_mut().insert(name.to_string(), value);
    }

    /// The variables bound in this scope and its parents below `stop` (an item's `@`/`#`
    /// bindings, without the path's own scope).
    fn bindings_until(self: &Rc<Self>, stop: &Rc<Scope>) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let mut at = Some(self.clone());
        while let Some(s) = at {
            if Rc::ptr_eq(&s, stop) {
                break;
            }
            out.extend(s.vars.borrow().iter().map(|(k, v)| (k.clone(), v.clone())));
            at = s.parent.clone();
        }
        out
    }

    fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.vars.borrow().get(name) {
            return Some(v.clone());
        }
        self.parent.as_ref().and_then(|p| p.lookup(name))
    }
}

pub(crate) struct Evaluator {
    stack: StackGuard,
    /// The ancestry of the current context item, which `%` walks.
    ancestry: RefCell<Chain>,
    /// Milliseconds since the Unix epoch, fixed for one evaluation: `$now()` and `$millis()`
    /// return the same instant wherever they appear in an expression, as in jsonata-js.
    pub now_millis: i64,
}

impl Evaluator {
    pub fn new(now_millis: i64) -> Self {
        Evaluator {
            stack: StackGuard::new(),
            ancestry: RefCell::new(None),
            now_millis,
        }
    }

    pub fn eval(&self, node: &Node, input: &Value, scope: &Rc<Scope>) -> Result<Value, Error> {
        self.stack.check(node.position)?;
        let mut result = self.eval_inner(node, input, scope)?;
        for predicate in &node.predicates {
            result = self.filter(predicate, result, scope)?;
        }
        // A path groups its own items, which may carry variables bound by `@`/`#`.
        if let (Some(pairs), false) = (&node.group, matches!(node.kind, Kind::Path { .. })) {
            let ambient = self.ancestry.borrow().clone();
            let items = result.into_items().into_iter();
            result = self.group(
                pairs,
                items.map(|v| Item::plain(v, ambient.clone())).collect(),
                scope,
            )?;
        }
        Ok(collapse(result, node.keep_array))
    }

    fn eval_inner(&self, node: &Node, input: &Value, scope: &Rc<Scope>) -> Result<Value, Error> {
        let pos = node.position;
        Ok(match &node.kind {
            Kind::Str(s) => Value::string(s.as_str()),
            Kind::Num(n) => Value::Number(*n),
            Kind::Value(v) => Value::from_json(v),
            Kind::Regex(re) => Value::Function(Rc::new(Function::Regex(re.clone()))),
            Kind::Name(name) => lookup(input, name),
            Kind::Var(name) if name.is_empty() => context_item(input),
            Kind::Var(name) => match scope.lookup(name) {
                Some(v) => v,
                None => functions::lookup(name).map_or(Value::Undefined, |b| {
                    Value::Function(Rc::new(Function::Builtin(b)))
                }),
            },
            Kind::Wildcard => wildcard(input),
            Kind::Descendants => {
                let mut out = Vec::new();
                descendants(input, &mut out);
                if out.len() == 1 {
                    out.pop().unwrap_or(Value::Undefined)
                } else {
                    Value::sequence(out)
                }
            }
            Kind::Path {
                steps,
                keep_singleton,
            } => self.path(steps, *keep_singleton, node.group.as_deref(), input, scope)?,
            Kind::Array { items, cons } => {
                let mut out = Vec::new();
                for item in items {
                    let v = self.eval(item, input, scope)?;
                    match (v, &item.kind) {
                        (Value::Undefined, _) => {}
                        (v, Kind::Array { .. }) => out.push(v),
                        (v, _) => out.extend(v.into_items()),
                    }
                }
                Value::Array(
                    Rc::new(out),
                    ArrayFlags {
                        cons: *cons,
                        ..ArrayFlags::default()
                    },
                )
            }
            Kind::Object(pairs) => {
                let ambient = self.ancestry.borrow().clone();
                let items = input.clone().into_items().into_iter();
                self.group(
                    pairs,
                    items.map(|v| Item::plain(v, ambient.clone())).collect(),
                    scope,
                )?
            }
            Kind::Neg(operand) => match self.eval(operand, input, scope)? {
                Value::Undefined => Value::Undefined,
                Value::Number(n) => Value::Number(-n),
                _ => {
                    return Err(Error::dynamic(
                        "D1002",
                        pos,
                        "Cannot negate a non-numeric value",
                    ))
                }
            },
            Kind::Binary { op, lhs, rhs } => self.binary(op, lhs, rhs, input, scope, pos)?,
            Kind::Range(lo, hi) => range(
                self.eval(lo, input, scope)?,
                self.eval(hi, input, scope)?,
                pos,
            )?,
            Kind::Condition {
                test,
                then,
                otherwise,
            } => {
                if self.eval(test, input, scope)?.truthy() {
                    self.eval(then, input, scope)?
                } else if let Some(otherwise) = otherwise {
                    self.eval(otherwise, input, scope)?
                } else {
                    Value::Undefined
                }
            }
            Kind::Block(items) => {
                let inner = Scope::child(scope);
                let mut last = Value::Undefined;
                for item in items {
                    last = self.eval(item, input, &inner)?;
                }
                last
            }
            Kind::Bind(name, rhs) => {
                let v = self.eval(rhs, input, scope)?;
                scope.bind(name, v.clone());
                v
            }
            Kind::Apply(lhs, rhs) => {
                let arg = self.eval(lhs, input, scope)?;
                if let Kind::Call { func, args } = &rhs.kind {
                    // `x ~> $f(a)` is `$f(x, a)`.
                    let f = self.eval(func, input, scope)?;
                    let mut values = vec![arg];
                    for a in args {
                        values.push(self.eval(a, input, scope)?);
                    }
                    self.apply(&f, values, input, rhs.position)?
                } else {
                    let f = self.eval(rhs, input, scope)?;
                    if !matches!(f, Value::Function(_)) {
                        return Err(Error::type_error("T2006", pos, "The right side of the function application operator ~> must be a function"));
                    }
                    if matches!(arg, Value::Function(_)) {
                        Value::Function(Rc::new(Function::Chain(arg, f)))
                    } else {
                        self.apply(&f, vec![arg], input, pos)?
                    }
                }
            }
            Kind::Call { func, args } => {
                let (f, values) = self.call_parts(func, args, input, scope, pos)?;
                self.apply(&f, values, input, pos)?
            }
            Kind::Partial { func, args } => {
                let f = self.eval(func, input, scope)?;
                if !matches!(f, Value::Function(_)) {
                    // `substring(?, 0, 5)`: a field name where `$substring` was meant.
                    if let Some(name) = single_name(func).filter(|n| functions::lookup(n).is_some())
                    {
                        return Err(Error::type_error(
                            "T1007",
                            pos,
                            format!("Attempted to partially apply a non-function. Did you mean ${name}?"),
                        ));
                    }
                    return Err(Error::type_error(
                        "T1008",
                        pos,
                        "Attempted to partially apply a non-function",
                    ));
                }
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(match a {
                        Some(a) => Some(self.eval(a, input, scope)?),
                        None => None,
                    });
                }
                Value::Function(Rc::new(Function::Partial {
                    func: f,
                    args: values,
                }))
            }
            Kind::Lambda(def) => Value::Function(Rc::new(Function::Lambda {
                def: def.clone(),
                scope: scope.clone(),
                input: input.clone(),
            })),
            Kind::Sort(terms) => {
                let ambient = self.ancestry.borrow().clone();
                let items = input
                    .clone()
                    .into_items()
                    .into_iter()
                    .map(|v| Item::plain(v, ambient.clone()));
                let sorted = self.sort(terms, items.collect(), scope)?;
                Value::sequence(sorted.into_iter().map(|item| item.value).collect())
            }
            Kind::Parent => match self.ancestry.borrow().as_ref() {
                Some(link) => link.value.clone(),
                None => return Err(no_parent(pos)),
            },
            Kind::Transform { .. } => Value::Function(Rc::new(Function::Transform {
                node: Rc::new(node.clone()),
                scope: scope.clone(),
            })),
        })
    }

    fn path(
        &self,
        steps: &[Node],
        keep_singleton: bool,
        group: Option<&[(Node, Node)]>,
        input: &Value,
        scope: &Rc<Scope>,
    ) -> Result<Value, Error> {
        let ambient = self.ancestry.borrow().clone();
        let mut seq: Vec<Item> = match input {
            Value::Array(items, _)
                if !matches!(steps.first().map(|s| &s.kind), Some(Kind::Var(_))) =>
            {
                items
                    .iter()
                    .map(|v| Item::plain(v.clone(), ambient.clone()))
                    .collect()
            }
            other => vec![Item::plain(other.clone(), ambient.clone())],
        };
        let mut result = Value::Undefined;
        let last = steps.len().saturating_sub(1);
        for (i, step) in steps.iter().enumerate() {
            let next;
            (result, next) = match &step.kind {
                Kind::Array { cons: true, .. } if i == 0 => {
                    let values = seq.iter().map(|item| item.value.clone()).collect();
                    let v = self.eval(step, &Value::sequence(values), scope)?;
                    let items = v.clone().into_items();
                    let items = items.into_iter().map(|x| Item::plain(x, ambient.clone()));
                    (v, items.collect())
                }
                _ => self.step(step, &seq, scope, i == last)?,
            };
            seq = next;
            match &result {
                Value::Undefined => break,
                Value::Array(items, _) if items.is_empty() => break,
                _ => {}
            }
        }
        if keep_singleton {
            result = match result {
                Value::Array(items, mut flags) => {
                    if flags.cons && !flags.sequence {
                        Value::Array(
                            Rc::new(vec![Value::Array(items, flags)]),
                            ArrayFlags {
                                sequence: true,
                                keep_singleton: true,
                                ..ArrayFlags::default()
                            },
                        )
                    } else {
                        flags.keep_singleton = true;
                        Value::Array(items, flags)
                    }
                }
                Value::Undefined => Value::Undefined,
                other => Value::Array(
                    Rc::new(vec![other]),
                    ArrayFlags {
                        sequence: true,
                        keep_singleton: true,
                        ..ArrayFlags::default()
                    },
                ),
            };
        }
        match group {
            Some(pairs) => self.group(pairs, seq, scope),
            None => Ok(result),
        }
    }

    /// Runs `f` with `chain` as the ancestry of the context item (what `%` reads).
    fn with_ancestry<T>(&self, chain: Chain, f: impl FnOnce() -> T) -> T {
        let saved = self.ancestry.replace(chain);
        let out = f();
        *self.ancestry.borrow_mut() = saved;
        out
    }

    /// One path step over a sequence: the step's result (as a value) and its items, each with
    /// its ancestry and bindings, for the next step.
    fn step(
        &self,
        step: &Node,
        seq: &[Item],
        scope: &Rc<Scope>,
        last: bool,
    ) -> Result<(Value, Vec<Item>), Error> {
        let binding = step.tuple
            || step.focus.is_some()
            || step.index.is_some()
            || step.position_after.is_some()
            || seq.iter().any(|item| item.scope.is_some());
        let whole: Option<Vec<Item>> = match &step.kind {
            Kind::Sort(terms) => {
                let sorted = self.sort(terms, seq.to_vec(), scope)?;
                Some(match &step.index {
                    // `^(…)#$i`: positions in the sorted order.
                    Some(name) => bind_positions(sorted, name, scope),
                    None => sorted,
                })
            }
            Kind::Parent => Some(
                seq.iter()
                    .map(|item| match &item.chain {
                        Some(link) => Ok(Item {
                            value: link.value.clone(),
                            chain: link.up.clone(),
                            scope: item.scope.clone(),
                            focused: false,
                        }),
                        None => Err(no_parent(step.position)),
                    })
                    .collect::<Result<Vec<_>, Error>>()?,
            ),
            _ if binding => Some(self.binding_step(step, seq, scope)?),
            _ => None,
        };
        // Sorting, parent and binding steps filter their whole output; plain steps (below)
        // filter each input item's results separately, as jsonata-js does.
        if let Some(mut items) = whole {
            for (done, stage) in step.stages.iter().enumerate() {
                if let Some((at, name)) = &step.position_after {
                    if *at == done {
                        items = bind_positions(items, name, scope);
                    }
                }
                items = self.filter_items(stage, items, scope)?;
            }
            if let Some((at, name)) = &step.position_after {
                if *at == step.stages.len() {
                    items = bind_positions(items, name, scope);
                }
            }
            let values = items.iter().map(|item| item.value.clone()).collect();
            return Ok((Value::sequence(values), items));
        }
        let mut results = Vec::with_capacity(seq.len());
        for item in seq {
            let mut r =
                self.with_ancestry(item.chain.clone(), || self.eval(step, &item.value, scope))?;
            let child: Chain = Some(Rc::new(Link {
                value: item.value.clone(),
                up: item.chain.clone(),
            }));
            for stage in &step.stages {
                r = self.with_ancestry(child.clone(), || self.filter(stage, r, scope))?;
            }
            if !r.is_undefined() {
                results.push((r, child));
            }
        }
        if last && results.len() == 1 && matches!(&results[0].0, Value::Array(_, f) if !f.sequence)
        {
            if let Some((r, child)) = results.pop() {
                let items = r.clone().into_items();
                return Ok((
                    r,
                    items
                        .into_iter()
                        .map(|x| Item::plain(x, child.clone()))
                        .collect(),
                ));
            }
        }
        let mut out = Vec::with_capacity(results.len());
        for (r, child) in results {
            match r {
                Value::Array(items, f) if !f.cons => {
                    out.extend(items.iter().map(|x| Item::plain(x.clone(), child.clone())))
                }
                other => out.push(Item::plain(other, child)),
            }
        }
        let values = out.iter().map(|item| item.value.clone()).collect();
        Ok((Value::sequence(values), out))
    }

    /// A step in a path that binds variables: each result becomes an item with its own scope,
    /// holding `@`'s focus (the context stays the input item) and `#`'s position.
    fn binding_step(
        &self,
        step: &Node,
        seq: &[Item],
        scope: &Rc<Scope>,
    ) -> Result<Vec<Item>, Error> {
        let mut out = Vec::new();
        for item in seq {
            let item_scope = item.scope.clone().unwrap_or_else(|| scope.clone());
            let r = self.with_ancestry(item.chain.clone(), || {
                self.eval(step, &item.value, &item_scope)
            })?;
            for (position, x) in r.into_items().into_iter().enumerate() {
                let bound = Scope::child(&item_scope);
                let child = || {
                    Some(Rc::new(Link {
                        value: item.value.clone(),
                        up: item.chain.clone(),
                    }))
                };
                // `%` after `a@$x.b@$y` selects the context those steps kept: a run of
                // focus steps is one level of ancestry, as jsonata-js resolves it.
                let (value, chain) = match &step.focus {
                    Some(name) if item.focused => {
                        bound.bind(name, x);
                        (item.value.clone(), item.chain.clone())
                    }
                    Some(name) => {
                        bound.bind(name, x);
                        (item.value.clone(), child())
                    }
                    None => (x, child()),
                };
                if let Some(name) = &step.index {
                    bound.bind(name, Value::Number(position as f64));
                }
                out.push(Item {
                    value,
                    chain,
                    scope: Some(bound),
                    focused: step.focus.is_some(),
                });
            }
        }
        Ok(out)
    }

    /// Filters path items, each predicate evaluated in its item's ancestry and scope.
    fn filter_items(
        &self,
        predicate: &Node,
        items: Vec<Item>,
        scope: &Rc<Scope>,
    ) -> Result<Vec<Item>, Error> {
        let kept = self.selected(predicate, items.len(), |i| {
            let item = &items[i];
            let s = item.scope.as_ref().unwrap_or(scope);
            self.with_ancestry(item.chain.clone(), || self.eval(predicate, &item.value, s))
        })?;
        Ok(kept.into_iter().map(|i| items[i].clone()).collect())
    }

    /// The positions a predicate keeps out of `len` items: a number (or numbers) selects by
    /// index, counting from the end when negative; any other value keeps the items for which
    /// it is truthy. `test(i)` evaluates the predicate against item `i`.
    fn selected(
        &self,
        predicate: &Node,
        len: usize,
        mut test: impl FnMut(usize) -> Result<Value, Error>,
    ) -> Result<Vec<usize>, Error> {
        if let (Kind::Num(n), true) = (&predicate.kind, predicate.predicates.is_empty()) {
            return Ok(resolve_index(len, *n).into_iter().collect());
        }
        let mut kept = Vec::new();
        for i in 0..len {
            let keep = match test(i)? {
                Value::Number(n) => resolve_index(len, n) == Some(i),
                Value::Array(xs, _)
                    if !xs.is_empty() && xs.iter().all(|x| matches!(x, Value::Number(_))) =>
                {
                    xs.iter()
                        .any(|x| matches!(x, Value::Number(n) if resolve_index(len, *n) == Some(i)))
                }
                other => other.truthy(),
            };
            if keep {
                kept.push(i);
            }
        }
        Ok(kept)
    }

    /// `input[predicate]` (see `selected`). A literal index that selects an array returns
    /// that array itself.
    pub fn filter(
        &self,
        predicate: &Node,
        input: Value,
        scope: &Rc<Scope>,
    ) -> Result<Value, Error> {
        let items = input.into_items();
        let kept = self.selected(predicate, items.len(), |i| {
            self.eval(predicate, &items[i], scope)
        })?;
        if let ([i], Kind::Num(_)) = (kept.as_slice(), &predicate.kind) {
            if let Value::Array(..) = &items[*i] {
                return Ok(items[*i].clone());
            }
        }
        Ok(Value::sequence(
            kept.into_iter().map(|i| items[i].clone()).collect(),
        ))
    }

    /// Object construction and grouping: each item is assigned to the key its key expression
    /// gives; the value expression then runs once per key, over that key's items and with the
    /// variables they carry (several items' bindings of one variable become an array).
    fn group(
        &self,
        pairs: &[(Node, Node)],
        mut items: Vec<Item>,
        scope: &Rc<Scope>,
    ) -> Result<Value, Error> {
        if items.is_empty() {
            items.push(Item::plain(
                Value::Undefined,
                self.ancestry.borrow().clone(),
            ));
        }
        let mut groups: IndexMap<Rc<str>, (Vec<Item>, usize)> = IndexMap::new();
        for item in items {
            let item_scope = item.scope.as_ref().unwrap_or(scope);
            for (i, (key_node, _)) in pairs.iter().enumerate() {
                let key = self.with_ancestry(item.chain.clone(), || {
                    self.eval(key_node, &item.value, item_scope)
                })?;
                let key = match key {
                    Value::Undefined => continue,
                    Value::String(s) => s,
                    other => {
                        return Err(Error::type_error(
                            "T1003",
                            key_node.position,
                            format!(
                                "Key in object structure must evaluate to a string; got: {}",
                                other.type_name()
                            ),
                        ));
                    }
                };
                match groups.get_mut(&key) {
                    Some((members, idx)) => {
                        if *idx != i {
                            return Err(Error::dynamic(
                                "D1009",
                                key_node.position,
                                format!("Multiple key definitions evaluate to same key: \"{key}\""),
                            ));
                        }
                        members.push(item.clone());
                    }
                    None => {
                        groups.insert(key, (vec![item.clone()], i));
                    }
                }
            }
        }
        let mut out = Object::new();
        for (key, (members, i)) in groups {
            let data = members
                .iter()
                .fold(Value::Undefined, |acc, m| append(acc, m.value.clone()));
            let group_scope = match members.as_slice() {
                [one] => one.scope.clone().unwrap_or_else(|| scope.clone()),
                many => {
                    let merged = Scope::child(scope);
                    let mut vars: IndexMap<String, Value> = IndexMap::new();
                    for m in many {
                        for (name, v) in m
                            .scope
                            .as_ref()
                            .map(|s| s.bindings_until(scope))
                            .unwrap_or_default()
                        {
                            let acc = vars.shift_remove(&name).unwrap_or(Value::Undefined);
                            vars.insert(name, append(acc, v));
                        }
                    }
                    for (name, v) in vars {
                        merged.bind(&name, v);
                    }
                    merged
                }
            };
            let chain = members.first().and_then(|m| m.chain.clone());
            let v = self.with_ancestry(chain, || self.eval(&pairs[i].1, &data, &group_scope))?;
            if !v.is_undefined() {
                out.insert(key.to_string(), v);
            }
        }
        Ok(Value::Object(Rc::new(out)))
    }

    fn sort(
        &self,
        terms: &[SortTerm],
        items: Vec<Item>,
        scope: &Rc<Scope>,
    ) -> Result<Vec<Item>, Error> {
        let mut keyed = Vec::with_capacity(items.len());
        for item in items {
            let mut keys = Vec::with_capacity(terms.len());
            for term in terms {
                let s = item.scope.as_ref().unwrap_or(scope);
                let k = self
                    .with_ancestry(item.chain.clone(), || self.eval(&term.expr, &item.value, s))?;
                if !matches!(k, Value::Undefined | Value::String(_) | Value::Number(_)) {
                    return Err(Error::type_error("T2008", term.expr.position, "The expressions within an order-by clause must evaluate to numeric or string values"));
                }
                keys.push(k);
            }
            keyed.push((keys, item));
        }
        let sorted = merge_sort(
            keyed,
            &mut |a: &(Vec<Value>, Item), b: &(Vec<Value>, Item)| {
                for (t, term) in terms.iter().enumerate() {
                    let ord = match (&a.0[t], &b.0[t]) {
                        (Value::Undefined, Value::Undefined) => continue,
                        // Missing keys sort last whatever the direction.
                        (Value::Undefined, _) => return Ok(true),
                        (_, Value::Undefined) => return Ok(false),
                        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
                        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                        _ => {
                            return Err(Error::type_error(
                                "T2007",
                                term.expr.position,
                                "Type mismatch when comparing values in order-by clause",
                            ));
                        }
                    };
                    match ord {
                        Some(std::cmp::Ordering::Equal) | None => continue,
                        Some(o) => return Ok((o == std::cmp::Ordering::Greater) != term.descending),
                    }
                }
                Ok(false)
            },
        )?;
        Ok(sorted.into_iter().map(|(_, item)| item).collect())
    }

    fn binary(
        &self,
        op: &str,
        lhs: &Node,
        rhs: &Node,
        input: &Value,
        scope: &Rc<Scope>,
        pos: usize,
    ) -> Result<Value, Error> {
        let l = self.eval(lhs, input, scope)?;
        match op {
            "and" => {
                return Ok(Value::Bool(
                    l.truthy() && self.eval(rhs, input, scope)?.truthy(),
                ))
            }
            "or" => {
                return Ok(Value::Bool(
                    l.truthy() || self.eval(rhs, input, scope)?.truthy(),
                ))
            }
            "?:" => {
                return if l.truthy() {
                    Ok(l)
                } else {
                    self.eval(rhs, input, scope)
                }
            }
            "??" => {
                return if l.is_undefined() {
                    self.eval(rhs, input, scope)
                } else {
                    Ok(l)
                }
            }
            _ => {}
        }
        let r = self.eval(rhs, input, scope)?;
        Ok(match op {
            "+" | "-" | "*" | "/" | "%" => {
                let (x, y) = match (&l, &r) {
                    (Value::Number(x), Value::Number(y)) => (*x, *y),
                    (Value::Number(_) | Value::Undefined, Value::Number(_) | Value::Undefined) => {
                        return Ok(Value::Undefined)
                    }
                    (Value::Number(_) | Value::Undefined, _) => {
                        return Err(Error::type_error(
                            "T2002",
                            pos,
                            format!(
                                "The right side of the \"{op}\" operator must evaluate to a number"
                            ),
                        ));
                    }
                    _ => {
                        return Err(Error::type_error(
                            "T2001",
                            pos,
                            format!(
                                "The left side of the \"{op}\" operator must evaluate to a number"
                            ),
                        ))
                    }
                };
                let n = match op {
                    "+" => x + y,
                    "-" => x - y,
                    "*" => x * y,
                    "/" => x / y,
                    _ => x % y,
                };
                if !n.is_finite() {
                    return Err(Error::dynamic(
                        "D1001",
                        pos,
                        format!("Number out of range: {n}"),
                    ));
                }
                Value::Number(n)
            }
            "=" => Value::Bool(!l.is_undefined() && !r.is_undefined() && deep_equal(&l, &r)),
            "!=" => Value::Bool(!l.is_undefined() && !r.is_undefined() && !deep_equal(&l, &r)),
            "<" | "<=" | ">" | ">=" => {
                let comparable =
                    |v: &Value| matches!(v, Value::Undefined | Value::String(_) | Value::Number(_));
                if !comparable(&l) || !comparable(&r) {
                    return Err(Error::type_error("T2010", pos, format!("The expressions either side of operator \"{op}\" must evaluate to numeric or string values")));
                }
                let ord = match (&l, &r) {
                    (Value::Undefined, _) | (_, Value::Undefined) => return Ok(Value::Undefined),
                    (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
                    (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                    _ => {
                        return Err(Error::type_error("T2009", pos, format!("The values either side of operator \"{op}\" must be of the same data type")));
                    }
                };
                use std::cmp::Ordering::*;
                Value::Bool(match (op, ord) {
                    (_, None) => false,
                    ("<", Some(o)) => o == Less,
                    ("<=", Some(o)) => o != Greater,
                    (">", Some(o)) => o == Greater,
                    (_, Some(o)) => o != Less,
                })
            }
            "&" => {
                let mut s = String::new();
                for v in [&l, &r] {
                    if !v.is_undefined() {
                        s.push_str(&functions::string::stringify(v, false, pos)?);
                    }
                }
                Value::string(s)
            }
            "in" => {
                if l.is_undefined() {
                    Value::Bool(false)
                } else {
                    Value::Bool(r.into_items().iter().any(|x| deep_equal(&l, x)))
                }
            }
            _ => {
                return Err(Error::syntax(
                    "S0201",
                    pos,
                    format!("Unknown operator {op}"),
                ))
            }
        })
    }

    /// The function a call names (T1005/T1006 when it is none) and its evaluated arguments.
    fn call_parts(
        &self,
        func: &Node,
        args: &[Node],
        input: &Value,
        scope: &Rc<Scope>,
        pos: usize,
    ) -> Result<(Value, Vec<Value>), Error> {
        let f = match self.eval(func, input, scope) {
            // `%()`: jsonata-js resolves no parent for a called `%` and calls undefined.
            Err(e) if e.code() == "S0217" && func.reads_parent() => Value::Undefined,
            other => other?,
        };
        if let (false, Some(name)) = (matches!(f, Value::Function(_)), single_name(func)) {
            // `sum(x)`: a field name called like a function that exists as `$sum`.
            if functions::lookup(name).is_none() && scope.lookup(name).is_none() {
                return Err(Error::type_error(
                    "T1006",
                    pos,
                    "Attempted to invoke a non-function",
                ));
            }
            return Err(Error::type_error(
                "T1005",
                pos,
                format!("Attempted to invoke a non-function. Did you mean ${name}?"),
            ));
        }
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval(a, input, scope)?);
        }
        Ok((f, values))
    }

    /// A lambda body, evaluated as far as a call in tail position (the last expression of a
    /// block, a branch of a condition, or the body itself), which is returned unmade so that
    /// `apply` can loop instead of recursing: jsonata-js optimises tail calls the same way,
    /// and recursive definitions such as `$iter($n - 1, $n * $acc)` rely on it.
    fn eval_tail(&self, node: &Node, input: &Value, scope: &Rc<Scope>) -> Result<Tail, Error> {
        let plain = node.predicates.is_empty() && node.group.is_none() && !node.keep_array;
        if plain {
            self.stack.check(node.position)?;
            match &node.kind {
                Kind::Call { func, args } => {
                    let (func, args) = self.call_parts(func, args, input, scope, node.position)?;
                    return Ok(Tail::Call {
                        func,
                        args,
                        input: input.clone(),
                        position: node.position,
                    });
                }
                Kind::Condition {
                    test,
                    then,
                    otherwise,
                } => {
                    return if self.eval(test, input, scope)?.truthy() {
                        self.eval_tail(then, input, scope)
                    } else if let Some(otherwise) = otherwise {
                        self.eval_tail(otherwise, input, scope)
                    } else {
                        Ok(Tail::Value(Value::Undefined))
                    };
                }
                Kind::Block(items) => {
                    let inner = Scope::child(scope);
                    let Some((last, first)) = items.split_last() else {
                        return Ok(Tail::Value(Value::Undefined));
                    };
                    for item in first {
                        self.eval(item, input, &inner)?;
                    }
                    return self.eval_tail(last, input, &inner);
                }
                _ => {}
            }
        }
        Ok(Tail::Value(self.eval(node, input, scope)?))
    }

    /// Binds a lambda's (checked) arguments and evaluates its body up to a tail call.
    fn enter_lambda(
        &self,
        lambda: (&LambdaDef, &Rc<Scope>, &Value),
        args: Vec<Value>,
        input: &Value,
        pos: usize,
    ) -> Result<Tail, Error> {
        let (def, scope, captured) = lambda;
        let args = match &def.signature {
            Some(signature) => signature.validate(args, &context_item(input), "lambda", pos)?,
            None => args,
        };
        let inner = Scope::child(scope);
        for (i, name) in def.params.iter().enumerate() {
            inner.bind(name, args.get(i).cloned().unwrap_or(Value::Undefined));
        }
        self.eval_tail(&def.body, captured, &inner)
    }

    /// Calls a function value with evaluated arguments.
    pub fn apply(
        &self,
        f: &Value,
        mut args: Vec<Value>,
        input: &Value,
        pos: usize,
    ) -> Result<Value, Error> {
        let Value::Function(func) = f else {
            return Err(Error::type_error(
                "T1006",
                pos,
                "Attempted to invoke a non-function",
            ));
        };
        self.stack.check(pos)?;
        let result = match &**func {
            Function::Lambda {
                def,
                scope,
                input: captured,
            } => {
                let mut tail = self.enter_lambda((def, scope, captured), args, input, pos)?;
                let mut calls = 0usize;
                loop {
                    let (func, args, input, position) = match tail {
                        Tail::Value(v) => break Ok(collapse(v, false)),
                        Tail::Call {
                            func,
                            args,
                            input,
                            position,
                        } => (func, args, input, position),
                    };
                    calls += 1;
                    if calls > MAX_TAIL_CALLS {
                        return Err(crate::stack::overflow(position));
                    }
                    tail = match as_lambda(&func) {
                        Some(lambda) => self.enter_lambda(lambda, args, &input, position)?,
                        None => Tail::Value(self.apply(&func, args, &input, position)?),
                    };
                }
            }
            Function::Builtin(b) => {
                if let Some(signature) = functions::signatures::signature(b) {
                    args = signature.validate(args, &context_item(input), b.name, pos)?;
                }
                (b.func)(self, &mut functions::Args::new(b.name, args, input, pos))
            }
            Function::Partial { func, args: bound } => {
                let mut supplied = args.into_iter();
                let full = bound
                    .iter()
                    .map(|a| {
                        a.clone()
                            .unwrap_or_else(|| supplied.next().unwrap_or(Value::Undefined))
                    })
                    .collect();
                self.apply(func, full, input, pos)
            }
            Function::Regex(re) => Ok(match args.first() {
                Some(Value::String(s)) => functions::string::regex_matches(re, s)
                    .into_iter()
                    .next()
                    .unwrap_or(Value::Undefined),
                _ => Value::Undefined,
            }),
            Function::Transform { node, scope } => self.transform(
                node,
                scope,
                args.into_iter().next().unwrap_or(Value::Undefined),
            ),
            Function::Chain(first, second) => {
                let mid = self.apply(first, args, input, pos)?;
                self.apply(second, vec![mid], input, pos)
            }
        };
        // Not collapsed here: the calling node collapses, honouring its `[]`.
        result
    }

    /// `|pattern|update,delete|` applied to `target`: a copy of `target` in which every object
    /// the pattern selects is merged with `update` and loses the `delete` keys. Matches are
    /// found by identity (the pattern shares the target's objects), so equal-looking objects
    /// elsewhere are left alone.
    fn transform(&self, node: &Node, scope: &Rc<Scope>, target: Value) -> Result<Value, Error> {
        let Kind::Transform {
            pattern,
            update,
            delete,
        } = &node.kind
        else {
            return Ok(Value::Undefined);
        };
        if target.is_undefined() {
            return Ok(Value::Undefined);
        }
        if !matches!(target, Value::Object(_) | Value::Array(..)) {
            return Err(Error::type_error("T0410", node.position, "Argument 1 of the transform does not match function signature (an object or array)"));
        }
        let matches: Vec<Rc<Object>> = self
            .eval(pattern, &target, scope)?
            .into_items()
            .into_iter()
            .filter_map(|v| {
                if let Value::Object(o) = v {
                    Some(o)
                } else {
                    None
                }
            })
            .collect();
        self.rebuild(&target, &matches, update, delete.as_deref(), scope)
    }

    fn rebuild(
        &self,
        v: &Value,
        matches: &[Rc<Object>],
        update: &Node,
        delete: Option<&Node>,
        scope: &Rc<Scope>,
    ) -> Result<Value, Error> {
        Ok(match v {
            Value::Object(o) => {
                let mut copy: Object = (**o).clone();
                if matches.iter().any(|m| Rc::ptr_eq(m, o)) {
                    match self.eval(update, v, scope)? {
                        Value::Undefined => {}
                        Value::Object(u) => copy.extend(u.iter().map(|(k, v)| (k.clone(), v.clone()))),
                        _ => return Err(Error::type_error("T2011", update.position, "The insert/update clause of the transform expression must evaluate to an object")),
                    }
                    if let Some(delete) = delete {
                        for key in self.eval(delete, v, scope)?.into_items() {
                            let Value::String(key) = key else {
                                return Err(Error::type_error("T2012", delete.position, "The delete clause of the transform expression must evaluate to a string or array of strings"));
                            };
                            copy.shift_remove(&*key);
                        }
                    }
                }
                let mut out = Object::with_capacity(copy.len());
                for (k, child) in copy {
                    let child = self.rebuild(&child, matches, update, delete, scope)?;
                    out.insert(k, child);
                }
                Value::Object(Rc::new(out))
            }
            Value::Array(items, flags) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.rebuild(item, matches, update, delete, scope)?);
                }
                Value::Array(Rc::new(out), *flags)
            }
            other => other.clone(),
        })
    }
}

/// The items a path step was evaluated on, innermost first: what `%`, `%.%`, … select.
type Chain = Option<Rc<Link>>;

pub(crate) struct Link {
    value: Value,
    up: Chain,
}

/// An item flowing along a path: its value, its ancestry (for `%`), and the variables `@` and
/// `#` bound on the way (`None`: only the path's own scope). Once a step binds variables, the
/// rest of the path runs item by item in each item's scope — jsonata-js's "tuple stream".
#[derive(Clone)]
struct Item {
    value: Value,
    chain: Chain,
    scope: Option<Rc<Scope>>,
    /// Made by a `@` step, whose input is already the top of `chain`.
    focused: bool,
}

impl Item {
    fn plain(value: Value, chain: Chain) -> Self {
        Item {
            value,
            chain,
            scope: None,
            focused: false,
        }
    }
}

/// A lambda's definition, closure scope and captured context item.
fn as_lambda(f: &Value) -> Option<(&LambdaDef, &Rc<Scope>, &Value)> {
    match f {
        Value::Function(func) => match &**func {
            Function::Lambda { def, scope, input } => Some((def, scope, input)),
            _ => None,
        },
        _ => None,
    }
}

/// The field name a node is, if it is a path of just one name (`sum` in `sum(x)`).
fn single_name(node: &Node) -> Option<&str> {
    match &node.kind {
        Kind::Path { steps, .. } => match steps.as_slice() {
            [Node {
                kind: Kind::Name(name),
                ..
            }] => Some(name),
            _ => None,
        },
        _ => None,
    }
}

/// Binds each item's position in `items` to `$name`, in a scope of the item's own.
fn bind_positions(items: Vec<Item>, name: &str, scope: &Rc<Scope>) -> Vec<Item> {
    items
        .into_iter()
        .enumerate()
        .map(|(position, mut item)| {
            let bound = Scope::child(item.scope.as_ref().unwrap_or(scope));
            bound.bind(name, Value::Number(position as f64));
            item.scope = Some(bound);
            item
        })
        .collect()
}

fn no_parent(position: usize) -> Error {
    Error::syntax(
        "S0217",
        position,
        "The object representing the 'parent' cannot be derived from this expression",
    )
}

/// A sequence of one becomes its item (unless `[]` asked to keep it); an empty one, undefined.
fn collapse(v: Value, keep_array: bool) -> Value {
    match v {
        Value::Array(items, mut flags) if flags.sequence => {
            flags.keep_singleton |= keep_array;
            match items.len() {
                0 => Value::Undefined,
                1 if !flags.keep_singleton => items[0].clone(),
                _ => Value::Array(items, flags),
            }
        }
        other => other,
    }
}

fn resolve_index(len: usize, n: f64) -> Option<usize> {
    let i = n.floor();
    let i = if i < 0.0 { len as f64 + i } else { i };
    (i >= 0.0 && i < len as f64).then_some(i as usize)
}

/// The field `key` of an object, or of every object in an array (flattened one level).
pub(crate) fn lookup(input: &Value, key: &str) -> Value {
    match input {
        Value::Array(items, _) => {
            let mut out = Vec::new();
            for item in items.iter() {
                match lookup(item, key) {
                    Value::Undefined => {}
                    Value::Array(xs, _) => out.extend(xs.iter().cloned()),
                    v => out.push(v),
                }
            }
            Value::sequence(out)
        }
        Value::Object(o) => field(o, key).cloned().unwrap_or(Value::Undefined),
        _ => Value::Undefined,
    }
}

/// A field of an object. Most JSON objects are small, and comparing a few keys costs less than
/// hashing the name (the profile of a path over 10,000 items showed the hash dominating).
fn field<'o>(o: &'o Object, key: &str) -> Option<&'o Value> {
    if o.len() <= 8 {
        o.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        o.get(key)
    }
}

fn wildcard(input: &Value) -> Value {
    let input = match input {
        Value::Array(items, f) if f.outer_wrapper && !items.is_empty() => &items[0],
        other => other,
    };
    let mut out = Vec::new();
    let mut push = |v: &Value| match v {
        Value::Array(..) => flatten(v, &mut out),
        Value::Undefined => {}
        other => out.push(other.clone()),
    };
    match input {
        Value::Object(o) => o.values().for_each(&mut push),
        Value::Array(items, _) => items.iter().for_each(&mut push),
        _ => {}
    }
    Value::sequence(out)
}

pub(crate) fn flatten(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items, _) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other.clone()),
    }
}

fn descendants(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items, _) => items.iter().for_each(|i| descendants(i, out)),
        Value::Undefined => {}
        other => {
            out.push(other.clone());
            if let Value::Object(o) = other {
                o.values().for_each(|c| descendants(c, out));
            }
        }
    }
}

/// `$append` semantics: undefined is the identity, scalars become one-item arrays.
pub(crate) fn append(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Undefined, b) => b,
        (a, Value::Undefined) => a,
        (a, b) => {
            let mut items = a.into_items();
            items.extend(b.into_items());
            Value::array(items)
        }
    }
}

fn range(lo: Value, hi: Value, pos: usize) -> Result<Value, Error> {
    let int = |v: &Value| matches!(v, Value::Number(n) if n.fract() == 0.0);
    if !lo.is_undefined() && !int(&lo) {
        return Err(Error::type_error(
            "T2003",
            pos,
            "The left side of the range operator (..) must evaluate to an integer",
        ));
    }
    if !hi.is_undefined() && !int(&hi) {
        return Err(Error::type_error(
            "T2004",
            pos,
            "The right side of the range operator (..) must evaluate to an integer",
        ));
    }
    let (Value::Number(lo), Value::Number(hi)) = (lo, hi) else {
        return Ok(Value::Undefined);
    };
    if lo > hi {
        return Ok(Value::Undefined);
    }
    if hi - lo >= 1e7 {
        return Err(Error::dynamic(
            "D2014",
            pos,
            "The size of the sequence allocated by the range operator (..) must not exceed 1e7",
        ));
    }
    Ok(Value::array(
        (lo as i64..=hi as i64)
            .map(|n| Value::Number(n as f64))
            .collect(),
    ))
}

/// A stable merge sort with a fallible "a belongs after b" comparator, which is the shape of
/// both `^(...)` and `$sort`'s user function.
pub(crate) fn merge_sort<T: Clone>(
    items: Vec<T>,
    after: &mut dyn FnMut(&T, &T) -> Result<bool, Error>,
) -> Result<Vec<T>, Error> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let mut left = items;
    let right = left.split_off(left.len() / 2);
    let left = merge_sort(left, after)?;
    let right = merge_sort(right, after)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
        let take_right = after(a, b)?;
        let next = if take_right { r.next() } else { l.next() };
        out.extend(next);
    }
    out.extend(l);
    out.extend(r);
    Ok(out)
}
