//! The Terraform functions this configuration uses, with Terraform's semantics. A function not
//! here fails the expression calling it, and a check needing that value says so.

use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::{Map, Value};

pub(super) fn declare(ctx: &mut Context) {
    let any = || ParamType::Any;
    ctx.declare_func("jsonencode", FuncDef::new(jsonencode, [any()]));
    ctx.declare_func("file", FuncDef::new(file, [ParamType::String]));
    ctx.declare_func("toset", FuncDef::new(toset, [any()]));
    ctx.declare_func("distinct", FuncDef::new(distinct, [any()]));
    ctx.declare_func("length", FuncDef::new(length, [any()]));
    ctx.declare_func("keys", FuncDef::new(keys, [any()]));
    ctx.declare_func("values", FuncDef::new(values, [any()]));
    ctx.declare_func(
        "lookup",
        FuncDef::new(lookup, [any(), ParamType::String, any()]),
    );
    ctx.declare_func("contains", FuncDef::new(contains, [any(), any()]));
    ctx.declare_func(
        "concat",
        FuncDef::builder().variadic_param(any()).build(concat),
    );
    ctx.declare_func(
        "merge",
        FuncDef::builder().variadic_param(any()).build(merge),
    );
}

fn array(value: &Value, function: &str) -> Result<Vec<Value>, String> {
    match value {
        Value::Array(items) => Ok(items.clone()),
        other => Err(format!("{function} takes a list or set, not {other}")),
    }
}

fn object<'a>(value: &'a Value, function: &str) -> Result<&'a Map<String, Value>, String> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(format!("{function} takes a map or object, not {other}")),
    }
}

fn jsonencode(args: FuncArgs) -> Result<Value, String> {
    serde_json::to_string(&args[0])
        .map(Value::String)
        .map_err(|e| e.to_string())
}

fn file(args: FuncArgs) -> Result<Value, String> {
    let path = args[0].as_str().unwrap_or_default();
    std::fs::read_to_string(path)
        .map(Value::String)
        .map_err(|e| format!("file({path}): {e}"))
}

/// Terraform's sets of strings iterate in lexical order.
fn toset(args: FuncArgs) -> Result<Value, String> {
    let mut items = array(&args[0], "toset")?;
    items.sort_by_key(|v| v.to_string());
    items.dedup();
    Ok(Value::Array(items))
}

fn distinct(args: FuncArgs) -> Result<Value, String> {
    let mut seen = Vec::new();
    for item in array(&args[0], "distinct")? {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    Ok(Value::Array(seen))
}

fn length(args: FuncArgs) -> Result<Value, String> {
    let n = match &args[0] {
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        Value::String(s) => s.chars().count(),
        other => return Err(format!("length of {other}")),
    };
    Ok(Value::from(n as u64))
}

fn keys(args: FuncArgs) -> Result<Value, String> {
    let mut keys: Vec<&String> = object(&args[0], "keys")?.keys().collect();
    keys.sort();
    Ok(Value::Array(
        keys.into_iter().cloned().map(Value::String).collect(),
    ))
}

/// In the order of the sorted keys, as Terraform does.
fn values(args: FuncArgs) -> Result<Value, String> {
    let map = object(&args[0], "values")?;
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    Ok(Value::Array(
        keys.into_iter().map(|k| map[k].clone()).collect(),
    ))
}

fn lookup(args: FuncArgs) -> Result<Value, String> {
    let map = object(&args[0], "lookup")?;
    let key = args[1].as_str().unwrap_or_default();
    Ok(map.get(key).cloned().unwrap_or_else(|| args[2].clone()))
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Bool(array(&args[0], "contains")?.contains(&args[1])))
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut all = Vec::new();
    for list in args.iter() {
        all.extend(array(list, "concat")?);
    }
    Ok(Value::Array(all))
}

fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut merged = Map::new();
    for map in args.iter() {
        for (k, v) in object(map, "merge")? {
            merged.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(merged))
}
