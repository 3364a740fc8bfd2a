//! The syntax tree the parser builds and the evaluator walks. Paths are already normalised
//! (as jsonata-js's `processAST` does): a name is a one-step path, `a.b.c` is one path of three
//! steps, and a predicate on a path step is a *stage* of that step, applied per input item.
//! Shared parts are `Arc`s so that a parsed `Expression` is `Send + Sync` (the ASL engine
//! holds them across tasks); runtime values use `Rc`.

use std::sync::Arc;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub position: usize,
    /// Filters applied to the node's whole result (`$x[0]`, `[1,2,3][0]`).
    pub predicates: Vec<Node>,
    /// Filters applied per item when the node is a path step (`Phone[type='home']`).
    pub stages: Vec<Node>,
    /// `expr{key: value}` grouping.
    pub group: Option<Vec<(Node, Node)>>,
    /// `expr[]`: keep a singleton result as an array.
    pub keep_array: bool,
    /// `step@$v`: bind each result to `$v` and keep the step's input as the context (a join).
    pub focus: Option<String>,
    /// `step#$i`: bind each result's position to `$i`.
    pub index: Option<String>,
    /// `step[p]#$i`: after the first `n` stages, bind each remaining item's position (in the
    /// whole filtered sequence) to `$i`.
    pub position_after: Option<(usize, String)>,
    /// A path step at or after the first step that reads `%`: it runs item by item, as
    /// jsonata-js's tuple stream does (so an array a step builds is not kept whole).
    pub tuple: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Str(String),
    Num(f64),
    Value(serde_json::Value),
    Regex(Arc<regex::Regex>),
    Name(String),
    Var(String),
    Wildcard,
    Descendants,
    Path {
        steps: Vec<Node>,
        keep_singleton: bool,
    },
    /// Array constructor; `cons` marks it as a first or last path step, whose arrays are not
    /// flattened into the surrounding sequence.
    Array {
        items: Vec<Node>,
        cons: bool,
    },
    Object(Vec<(Node, Node)>),
    Neg(Box<Node>),
    Binary {
        op: &'static str,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Range(Box<Node>, Box<Node>),
    Condition {
        test: Box<Node>,
        then: Box<Node>,
        otherwise: Option<Box<Node>>,
    },
    Block(Vec<Node>),
    Bind(String, Box<Node>),
    Apply(Box<Node>, Box<Node>),
    Call {
        func: Box<Node>,
        args: Vec<Node>,
    },
    /// A call with `?` placeholders: a partial application.
    Partial {
        func: Box<Node>,
        args: Vec<Option<Node>>,
    },
    Lambda(Arc<LambdaDef>),
    Sort(Vec<SortTerm>),
    /// `%`: the item the current context item was reached from.
    Parent,
    Transform {
        pattern: Box<Node>,
        update: Box<Node>,
        delete: Option<Box<Node>>,
    },
}

#[derive(Debug)]
pub(crate) struct LambdaDef {
    pub params: Vec<String>,
    /// `<n-n:n>` after the parameters: checked on every call.
    pub signature: Option<crate::signature::Signature>,
    pub body: Node,
}

#[derive(Debug, Clone)]
pub(crate) struct SortTerm {
    pub descending: bool,
    pub expr: Node,
}

impl Node {
    pub fn new(kind: Kind, position: usize) -> Self {
        Node {
            kind,
            position,
            predicates: Vec::new(),
            stages: Vec::new(),
            group: None,
            keep_array: false,
            focus: None,
            index: None,
            position_after: None,
            tuple: false,
        }
    }
}

impl Node {
    /// Whether `%` appears anywhere in this node.
    pub fn reads_parent(&self) -> bool {
        let mut found = false;
        self.visit(false, &mut |node, _| {
            found |= matches!(node.kind, Kind::Parent)
        });
        found
    }

    /// Visits this node and every node below it. `top` tells whether a node is evaluated
    /// against the expression's own input (rather than against items a path, predicate, sort,
    /// grouping or transform hands it), which is what a caller that supplies no input (the
    /// ASL engine) needs to find names that could only ever read nothing.
    pub fn visit<'a>(&'a self, top: bool, f: &mut dyn FnMut(&'a Node, bool)) {
        f(self, top);
        for p in self.predicates.iter().chain(&self.stages) {
            p.visit(false, f);
        }
        for (k, v) in self.group.iter().flatten() {
            k.visit(false, f);
            v.visit(false, f);
        }
        match &self.kind {
            Kind::Str(_)
            | Kind::Num(_)
            | Kind::Value(_)
            | Kind::Regex(_)
            | Kind::Name(_)
            | Kind::Var(_)
            | Kind::Wildcard
            | Kind::Descendants
            | Kind::Parent => {}
            Kind::Path { steps, .. } => {
                for (i, step) in steps.iter().enumerate() {
                    step.visit(top && i == 0, f);
                }
            }
            Kind::Array { items, .. } | Kind::Block(items) => {
                for item in items {
                    item.visit(top, f);
                }
            }
            Kind::Object(pairs) => {
                for (k, v) in pairs {
                    k.visit(top, f);
                    v.visit(top, f);
                }
            }
            Kind::Neg(inner) | Kind::Bind(_, inner) => inner.visit(top, f),
            Kind::Binary { lhs, rhs, .. } | Kind::Range(lhs, rhs) | Kind::Apply(lhs, rhs) => {
                lhs.visit(top, f);
                rhs.visit(top, f);
            }
            Kind::Condition {
                test,
                then,
                otherwise,
            } => {
                test.visit(top, f);
                then.visit(top, f);
                if let Some(o) = otherwise {
                    o.visit(top, f);
                }
            }
            Kind::Call { func, args } => {
                func.visit(top, f);
                for a in args {
                    a.visit(top, f);
                }
            }
            Kind::Partial { func, args } => {
                func.visit(top, f);
                for a in args.iter().flatten() {
                    a.visit(top, f);
                }
            }
            // A lambda's body sees the input of the place it is defined.
            Kind::Lambda(def) => def.body.visit(top, f),
            Kind::Sort(terms) => {
                for t in terms {
                    t.expr.visit(false, f);
                }
            }
            Kind::Transform {
                pattern,
                update,
                delete,
            } => {
                pattern.visit(false, f);
                update.visit(false, f);
                if let Some(d) = delete {
                    d.visit(false, f);
                }
            }
        }
    }
}
