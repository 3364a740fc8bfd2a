//! Terraform as a plan would see it, without providers: a root module and the modules it calls
//! are read with `hcl-rs` and evaluated to a fixpoint. Attributes written in the configuration
//! get their values; attributes AWS computes get them where the provider derives them from
//! names (ARNs of functions, roles, buckets, task-definition families, …, see [`computed`]),
//! and otherwise stay unknown, spelled `(known after apply: <address>.<attribute>)` as in a plan.
//!
//! Supported: `variable`, `locals`, `resource` and `data` (with `for_each` or `count`),
//! `module` with a local `source`, `output`; the functions in [`functions`]. Anything else that
//! a check needs and cannot be evaluated is reported with the evaluation error, never guessed.

mod computed;
mod functions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl::{Block, Body, Expression, Map, Value};

use crate::InfraError;

pub use computed::{is_unknown, unknown};

/// What a provider would read from the account: the caller's account and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bindings {
    pub account: String,
    pub region: String,
}

/// Meta-arguments and blocks that configure Terraform, not the resource.
const META_ATTRIBUTES: [&str; 5] = ["for_each", "count", "depends_on", "provider", "providers"];
const META_BLOCKS: [&str; 4] = ["lifecycle", "provisioner", "connection", "precondition"];
/// Enough for any chain of references through modules; a configuration that needs more has a
/// cycle.
const MAX_PASSES: usize = 64;

/// An evaluated root module and everything it calls.
#[derive(Debug)]
pub struct Deployment {
    root: ModuleInstance,
}

/// One resource or data-source instance (or a provider configuration), with its attributes as
/// far as they are known.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// `module.a.module.b.aws_iam_role.x["key"]`.
    pub address: String,
    pub attributes: Map<String, Value>,
    /// Attribute → why it could not be evaluated.
    pub errors: BTreeMap<String, String>,
}

impl Resource {
    /// The attribute's value, or why there is none.
    pub fn get(&self, attribute: &str) -> Result<&Value, String> {
        self.attributes.get(attribute).ok_or_else(|| {
            let reason = self
                .errors
                .get(attribute)
                .map_or("it is not set", String::as_str);
            format!("{}.{attribute} cannot be evaluated: {reason}", self.address)
        })
    }

    /// A string attribute, or why there is none.
    pub fn string(&self, attribute: &str) -> Result<&str, String> {
        match self.get(attribute)? {
            Value::String(s) => Ok(s),
            other => Err(format!(
                "{}.{attribute} is {other}, not a string",
                self.address
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum InstanceKey {
    Single,
    Key(String),
    Index(usize),
}

impl InstanceKey {
    /// How Terraform addresses the instance: `x`, `x["key"]`, `x[0]`.
    fn suffix(&self) -> String {
        match self {
            InstanceKey::Single => String::new(),
            InstanceKey::Key(k) => format!("[\"{k}\"]"),
            InstanceKey::Index(i) => format!("[{i}]"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    Single,
    ForEach,
    Count,
}

#[derive(Debug, Clone, PartialEq)]
struct Instance {
    key: InstanceKey,
    attributes: Map<String, Value>,
    errors: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
struct Stored {
    mode: Mode,
    instances: Vec<Instance>,
}

/// Everything known about one module instance; only grows from pass to pass.
#[derive(Debug, Clone, PartialEq, Default)]
struct State {
    inputs: Map<String, Value>,
    locals: Map<String, Value>,
    /// (`resource`|`data`, type, name) → instances.
    resources: BTreeMap<(bool, String, String), Stored>,
    outputs: Map<String, Value>,
    /// Provider configurations by name (`aws`, `aws.alias`).
    providers: BTreeMap<String, Resource>,
}

#[derive(Debug)]
struct Declaration {
    data: bool,
    kind: String,
    name: String,
    body: Body,
}

#[derive(Debug)]
struct Call {
    name: String,
    arguments: Vec<(String, Expression)>,
    module: ModuleInstance,
}

#[derive(Debug)]
struct ModuleInstance {
    address: String,
    dir: PathBuf,
    root_dir: PathBuf,
    variables: Vec<(String, Option<Expression>)>,
    locals: Vec<(String, Expression)>,
    declarations: Vec<Declaration>,
    outputs: Vec<(String, Expression)>,
    providers: Vec<(String, Body)>,
    calls: Vec<Call>,
    state: State,
    /// Declaration address → why its `for_each`/`count` did not evaluate (last pass).
    unexpanded: BTreeMap<String, String>,
}

impl Deployment {
    /// Reads the root module in `dir` and the modules it calls, and evaluates them with the
    /// account and region of `bindings`. Root variables without a default stay unknown.
    pub fn evaluate(dir: &Path, bindings: &Bindings) -> Result<Self, InfraError> {
        let dir = dir.canonicalize().map_err(InfraError::io(dir))?;
        let mut root = ModuleInstance::load(String::new(), &dir, &dir)?;
        for (name, default) in &root.variables {
            if default.is_none() {
                root.state.inputs.insert(name.clone(), unknown("var", name));
            }
        }
        for _ in 0..MAX_PASSES {
            let before = root.snapshot();
            root.pass(bindings);
            if root.snapshot() == before {
                return Ok(Self { root });
            }
        }
        Err(InfraError::NoFixpoint {
            path: dir,
            passes: MAX_PASSES,
        })
    }

    /// Every instance of the resources of type `kind` in the whole tree.
    pub fn resources(&self, kind: &str) -> Vec<Resource> {
        let mut found = Vec::new();
        self.root.collect(kind, &mut found);
        found
    }

    /// The root module's configuration of provider `name` (`aws`, or `aws.<alias>`), as far as
    /// it evaluates.
    pub fn provider(&self, name: &str) -> Option<&Resource> {
        self.root.state.providers.get(name)
    }
}

fn read_bodies(dir: &Path) -> Result<Vec<(PathBuf, Body)>, InfraError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(InfraError::io(dir))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(InfraError::io(&path))?;
            let body = hcl::parse(&text).map_err(|source| InfraError::Hcl {
                path: path.clone(),
                source,
            })?;
            Ok((path, body))
        })
        .collect()
}

fn label(block: &Block, index: usize, path: &Path) -> Result<String, InfraError> {
    block
        .labels()
        .get(index)
        .map(|l| l.as_str().to_owned())
        .ok_or_else(|| InfraError::Unsupported {
            path: path.to_owned(),
            what: format!(
                "a `{}` block without label {}",
                block.identifier(),
                index + 1
            ),
        })
}

impl ModuleInstance {
    fn load(address: String, dir: &Path, root_dir: &Path) -> Result<Self, InfraError> {
        let mut module = ModuleInstance {
            address,
            dir: dir.to_owned(),
            root_dir: root_dir.to_owned(),
            variables: Vec::new(),
            locals: Vec::new(),
            declarations: Vec::new(),
            outputs: Vec::new(),
            providers: Vec::new(),
            calls: Vec::new(),
            state: State::default(),
            unexpanded: BTreeMap::new(),
        };
        for (path, body) in read_bodies(dir)? {
            for block in body.blocks() {
                match block.identifier() {
                    "variable" => module.variables.push((
                        label(block, 0, &path)?,
                        attribute(block.body(), "default").cloned(),
                    )),
                    "locals" => module.locals.extend(
                        block
                            .body()
                            .attributes()
                            .map(|a| (a.key().to_owned(), a.expr().clone())),
                    ),
                    "resource" | "data" => module.declarations.push(Declaration {
                        data: block.identifier() == "data",
                        kind: label(block, 0, &path)?,
                        name: label(block, 1, &path)?,
                        body: block.body().clone(),
                    }),
                    "output" => {
                        let name = label(block, 0, &path)?;
                        let value = attribute(block.body(), "value").cloned().ok_or_else(|| {
                            InfraError::Unsupported {
                                path: path.clone(),
                                what: format!("output {name} without a value"),
                            }
                        })?;
                        module.outputs.push((name, value));
                    }
                    "module" => {
                        let call = module.load_call(block, &path)?;
                        module.calls.push(call);
                    }
                    "provider" => {
                        let name = label(block, 0, &path)?;
                        let name = match attribute(block.body(), "alias") {
                            Some(Expression::String(alias)) => format!("{name}.{alias}"),
                            _ => name,
                        };
                        module.providers.push((name, block.body().clone()));
                    }
                    // Backend settings, moves and checks do not change what a
                    // configuration creates.
                    _ => {}
                }
            }
        }
        Ok(module)
    }

    fn load_call(&self, block: &Block, path: &Path) -> Result<Call, InfraError> {
        let name = label(block, 0, path)?;
        let unsupported = |what: String| InfraError::Unsupported {
            path: path.to_owned(),
            what,
        };
        let source = match attribute(block.body(), "source") {
            Some(Expression::String(s)) if s.starts_with("./") || s.starts_with("../") => s,
            _ => {
                return Err(unsupported(format!(
                    "module {name}: a source that is not a local path"
                )))
            }
        };
        if attribute(block.body(), "for_each").is_some()
            || attribute(block.body(), "count").is_some()
        {
            return Err(unsupported(format!("module {name}: for_each or count")));
        }
        let dir = self.dir.join(source);
        let dir = dir.canonicalize().map_err(InfraError::io(&dir))?;
        let address = if self.address.is_empty() {
            format!("module.{name}")
        } else {
            format!("{}.module.{name}", self.address)
        };
        Ok(Call {
            arguments: block
                .body()
                .attributes()
                .filter(|a| !["source", "version", "providers", "depends_on"].contains(&a.key()))
                .map(|a| (a.key().to_owned(), a.expr().clone()))
                .collect(),
            module: ModuleInstance::load(address, &dir, &self.root_dir)?,
            name,
        })
    }

    fn snapshot(&self) -> Vec<State> {
        let mut states = vec![self.state.clone()];
        for call in &self.calls {
            states.extend(call.module.snapshot());
        }
        states
    }

    fn item_address(&self, item: &str) -> String {
        if self.address.is_empty() {
            item.to_owned()
        } else {
            format!("{}.{item}", self.address)
        }
    }

    /// The evaluation context of this module as of the previous pass.
    fn context(&self) -> Context<'static> {
        let mut ctx = Context::new();
        functions::declare(&mut ctx);
        let mut var = Map::new();
        for (name, default) in &self.variables {
            if let Some(value) = self.state.inputs.get(name) {
                var.insert(name.clone(), value.clone());
            } else if let Some(Ok(value)) = default.as_ref().map(|d| d.evaluate(&ctx)) {
                var.insert(name.clone(), value);
            }
        }
        ctx.declare_var("var", Value::Object(var));
        ctx.declare_var("local", Value::Object(self.state.locals.clone()));
        let mut path = Map::new();
        path.insert(
            "module".to_owned(),
            Value::from(self.dir.display().to_string()),
        );
        path.insert(
            "root".to_owned(),
            Value::from(self.root_dir.display().to_string()),
        );
        ctx.declare_var("path", Value::Object(path));
        let mut module = Map::new();
        for call in &self.calls {
            module.insert(
                call.name.clone(),
                Value::Object(call.module.state.outputs.clone()),
            );
        }
        ctx.declare_var("module", Value::Object(module));
        let mut by_kind: BTreeMap<(bool, &str), Map<String, Value>> = BTreeMap::new();
        for ((data, kind, name), stored) in &self.state.resources {
            let value = match stored.mode {
                Mode::Single => stored
                    .instances
                    .first()
                    .map(|i| Value::Object(i.attributes.clone()))
                    .unwrap_or(Value::Null),
                Mode::ForEach => Value::Object(
                    stored
                        .instances
                        .iter()
                        .filter_map(|i| match &i.key {
                            InstanceKey::Key(k) => {
                                Some((k.clone(), Value::Object(i.attributes.clone())))
                            }
                            _ => None,
                        })
                        .collect(),
                ),
                Mode::Count => Value::Array(
                    stored
                        .instances
                        .iter()
                        .map(|i| Value::Object(i.attributes.clone()))
                        .collect(),
                ),
            };
            by_kind
                .entry((*data, kind))
                .or_default()
                .insert(name.clone(), value);
        }
        let mut data = Map::new();
        for ((is_data, kind), names) in by_kind {
            if is_data {
                data.insert(kind.to_owned(), Value::Object(names));
            } else {
                ctx.declare_var(kind, Value::Object(names));
            }
        }
        ctx.declare_var("data", Value::Object(data));
        ctx
    }

    /// One evaluation of everything in this module and below, with what the previous pass
    /// knew. What does not evaluate yet may in a later pass; what never does shows up in the
    /// errors of the resource attributes that refer to it.
    fn pass(&mut self, bindings: &Bindings) {
        let ctx = self.context();
        for (name, expr) in &self.locals {
            if let Ok(value) = expr.evaluate(&ctx) {
                self.state.locals.insert(name.clone(), value);
            }
        }
        for declaration in &self.declarations {
            let address = self.declaration_address(declaration);
            match self.evaluate_declaration(declaration, &ctx, bindings) {
                Ok(stored) => {
                    let key = (
                        declaration.data,
                        declaration.kind.clone(),
                        declaration.name.clone(),
                    );
                    self.state.resources.insert(key, stored);
                }
                Err(e) => {
                    self.unexpanded.insert(address, e);
                }
            }
        }
        for call in &mut self.calls {
            for (name, expr) in &call.arguments {
                if let Ok(value) = expr.evaluate(&ctx) {
                    call.module.state.inputs.insert(name.clone(), value);
                }
            }
            call.module.pass(bindings);
        }
        for (name, expr) in &self.outputs {
            if let Ok(value) = expr.evaluate(&ctx) {
                self.state.outputs.insert(name.clone(), value);
            }
        }
        for (name, body) in &self.providers {
            let mut errors = BTreeMap::new();
            let attributes = evaluate_body(body, &ctx, "", &mut errors);
            let provider = Resource {
                address: format!("provider.{name}"),
                attributes,
                errors,
            };
            self.state.providers.insert(name.clone(), provider);
        }
    }

    fn declaration_address(&self, declaration: &Declaration) -> String {
        let prefix = if declaration.data { "data." } else { "" };
        self.item_address(&format!(
            "{prefix}{}.{}",
            declaration.kind, declaration.name
        ))
    }

    /// The instances of one declaration, or why its `for_each`/`count` is not known (yet).
    fn evaluate_declaration(
        &self,
        declaration: &Declaration,
        ctx: &Context,
        bindings: &Bindings,
    ) -> Result<Stored, String> {
        let address = self.declaration_address(declaration);
        let keyed = |expr: &Expression| -> Result<Value, String> {
            expr.evaluate(ctx).map_err(|e| e.to_string())
        };
        let (mode, keys) = if let Some(expr) = attribute(&declaration.body, "for_each") {
            let keys = keyed(expr).and_then(|value| match value {
                Value::Object(map) => Ok(map
                    .into_iter()
                    .map(|(k, v)| (InstanceKey::Key(k), v))
                    .collect::<Vec<_>>()),
                Value::Array(items) => items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(s) => Ok((InstanceKey::Key(s.clone()), Value::String(s))),
                        other => Err(format!("for_each over a set holding {other}")),
                    })
                    .collect(),
                other => Err(format!("for_each over {other}")),
            });
            (Mode::ForEach, keys)
        } else if let Some(expr) = attribute(&declaration.body, "count") {
            let keys = keyed(expr).and_then(|value| match value.as_u64() {
                Some(n) => Ok((0..n as usize)
                    .map(|i| (InstanceKey::Index(i), Value::from(i as u64)))
                    .collect()),
                None => Err(format!("count is {value}, not a whole number")),
            });
            (Mode::Count, keys)
        } else {
            (Mode::Single, Ok(vec![(InstanceKey::Single, Value::Null)]))
        };
        let keys = keys?;
        let mut instances = Vec::new();
        for (key, each_value) in keys {
            let mut ctx = ctx.clone();
            match &key {
                InstanceKey::Single => {}
                InstanceKey::Key(k) => {
                    let mut each = Map::new();
                    each.insert("key".to_owned(), Value::from(k.clone()));
                    each.insert("value".to_owned(), each_value);
                    ctx.declare_var("each", Value::Object(each));
                }
                InstanceKey::Index(i) => {
                    let mut count = Map::new();
                    count.insert("index".to_owned(), Value::from(*i as u64));
                    ctx.declare_var("count", Value::Object(count));
                }
            }
            let instance_address = format!("{address}{}", key.suffix());
            let mut errors = BTreeMap::new();
            let mut attributes = evaluate_body(&declaration.body, &ctx, "", &mut errors);
            computed::complete(
                declaration.data,
                &declaration.kind,
                &instance_address,
                &mut attributes,
                bindings,
            );
            instances.push(Instance {
                key,
                attributes,
                errors,
            });
        }
        Ok(Stored { mode, instances })
    }

    fn collect(&self, kind: &str, found: &mut Vec<Resource>) {
        for declaration in &self.declarations {
            if declaration.data || declaration.kind != kind {
                continue;
            }
            let address = self.declaration_address(declaration);
            let key = (false, kind.to_owned(), declaration.name.clone());
            let Some(stored) = self.state.resources.get(&key) else {
                let reason = self
                    .unexpanded
                    .get(&address)
                    .cloned()
                    .unwrap_or_else(|| "its instances are not known".to_owned());
                found.push(Resource {
                    address,
                    attributes: Map::new(),
                    errors: [("for_each".to_owned(), reason)].into(),
                });
                continue;
            };
            for instance in &stored.instances {
                found.push(Resource {
                    address: format!("{address}{}", instance.key.suffix()),
                    attributes: instance.attributes.clone(),
                    errors: instance.errors.clone(),
                });
            }
        }
        for call in &self.calls {
            call.module.collect(kind, found);
        }
    }
}

fn attribute<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

/// A block body as a value: attributes that evaluate, nested blocks as lists of objects (as
/// Terraform exposes them). Failures go to `errors` under their dotted path.
fn evaluate_body(
    body: &Body,
    ctx: &Context,
    prefix: &str,
    errors: &mut BTreeMap<String, String>,
) -> Map<String, Value> {
    let mut object = Map::new();
    for attribute in body.attributes() {
        if prefix.is_empty() && META_ATTRIBUTES.contains(&attribute.key()) {
            continue;
        }
        match attribute.expr().evaluate(ctx) {
            Ok(value) => {
                object.insert(attribute.key().to_owned(), value);
            }
            Err(e) => {
                errors.insert(format!("{prefix}{}", attribute.key()), e.to_string());
            }
        }
    }
    for block in body.blocks() {
        let identifier = block.identifier();
        if META_BLOCKS.contains(&identifier) {
            continue;
        }
        if identifier == "dynamic" {
            errors.insert(
                format!("{prefix}dynamic"),
                "dynamic blocks are not evaluated".to_owned(),
            );
            continue;
        }
        let nested = evaluate_body(block.body(), ctx, &format!("{prefix}{identifier}."), errors);
        match object
            .entry(identifier.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(items) => items.push(Value::Object(nested)),
            _ => {
                errors.insert(
                    format!("{prefix}{identifier}"),
                    "set both as an attribute and as a block".to_owned(),
                );
            }
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindings() -> Bindings {
        Bindings {
            account: "123456789012".to_owned(),
            region: "eu-west-1".to_owned(),
        }
    }

    fn write(dir: &Path, file: &str, text: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn values_flow_through_modules_for_each_and_computed_arns() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "root/main.tf",
            r#"
            variable "tag" {}
            module "m" {
              source = "../child"
              prefix = "p"
            }
            output "arns" { value = module.m.arns }
            "#,
        );
        write(
            dir.path(),
            "child/main.tf",
            r#"
            variable "prefix" {}
            locals { names = toset(["a", "b"]) }
            resource "aws_lambda_function" "f" {
              for_each      = local.names
              function_name = "${var.prefix}-${each.key}"
            }
            resource "aws_subnet" "s" {
              count = 2
              cidr_block = "x${count.index}"
            }
            output "arns" { value = { for k, f in aws_lambda_function.f : k => f.arn } }
            "#,
        );
        let deployment = Deployment::evaluate(&dir.path().join("root"), &bindings()).unwrap();
        let functions = deployment.resources("aws_lambda_function");
        let arns: Vec<&str> = functions.iter().map(|f| f.string("arn").unwrap()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:lambda:eu-west-1:123456789012:function:p-a",
                "arn:aws:lambda:eu-west-1:123456789012:function:p-b"
            ]
        );
        assert_eq!(
            functions[0].address,
            "module.m.aws_lambda_function.f[\"a\"]"
        );
        let subnets = deployment.resources("aws_subnet");
        assert_eq!(subnets[1].string("cidr_block"), Ok("x1"));
        assert!(is_unknown(subnets[1].string("id").unwrap()));
    }

    #[test]
    fn an_attribute_that_cannot_be_evaluated_says_why() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "main.tf",
            r#"
            resource "aws_iam_role" "r" {
              name = "r"
              description = nosuchfunction("x")
            }
            "#,
        );
        let deployment = Deployment::evaluate(dir.path(), &bindings()).unwrap();
        let role = &deployment.resources("aws_iam_role")[0];
        assert_eq!(role.string("arn"), Ok("arn:aws:iam::123456789012:role/r"));
        let reason = role.get("description").unwrap_err();
        assert!(reason.contains("aws_iam_role.r.description"), "{reason}");
        assert!(reason.contains("nosuchfunction"), "{reason}");
    }

    #[test]
    fn a_reference_cycle_is_refused_instead_of_evaluated_forever() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "main.tf",
            r#"resource "aws_iam_role" "r" { name = "x${aws_iam_role.r.arn}" }"#,
        );
        let error = Deployment::evaluate(dir.path(), &bindings()).unwrap_err();
        assert!(
            matches!(error, InfraError::NoFixpoint { passes: 64, .. }),
            "{error}"
        );
    }

    #[test]
    fn a_remote_module_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "main.tf",
            r#"module "vpc" { source = "terraform-aws-modules/vpc/aws" }"#,
        );
        let error = Deployment::evaluate(dir.path(), &bindings()).unwrap_err();
        assert!(error.to_string().contains("not a local path"), "{error}");
    }
}
