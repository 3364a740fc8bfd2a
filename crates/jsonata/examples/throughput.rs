//! Evaluation throughput of leadline-jsonata on the expressions and data scripts/bench-jsonata
//! hands it: `throughput <cases.json> <data.json> <seconds>`. Prints one JSON line per case,
//! as tools/jsonata-bench/bench.js does for jsonata-js, so the script can put them side by side.
//! Two timings per case: on an input converted once (as jsonata-js evaluates a JavaScript
//! object), and with the conversion from `serde_json` in every evaluation (what the ASL engine
//! pays today).

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use leadline_jsonata::{Context, Expression, Input};
use serde_json::Value;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cases, data, seconds] = args.as_slice() else {
        bail!("usage: throughput <cases.json> <data.json> <seconds>");
    };
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(cases).with_context(|| format!("reading {cases}"))?,
    )
    .with_context(|| format!("parsing {cases}"))?;
    let data: Value = serde_json::from_str(
        &std::fs::read_to_string(data).with_context(|| format!("reading {data}"))?,
    )
    .with_context(|| format!("parsing {data}"))?;
    let budget = Duration::from_secs_f64(
        seconds
            .parse()
            .with_context(|| format!("seconds: {seconds}"))?,
    );
    for case in &cases {
        let (Some(name), Some(text)) = (case["name"].as_str(), case["expression"].as_str()) else {
            bail!("a case needs a name and an expression: {case}");
        };
        let expression = Expression::parse(text).with_context(|| format!("parsing {name}"))?;
        let input = Input::new(&data);
        let context = Context::default();
        let (evaluations, seconds, result) =
            timed(budget, || expression.evaluate_input(&input, &context))?;
        let (converting, converting_seconds, _) =
            timed(budget, || expression.evaluate(Some(&data)))?;
        let text = result.map_or_else(|| "undefined".to_owned(), |v| v.to_string());
        let head: String = text.chars().take(40).collect();
        println!(
            "{}",
            serde_json::json!({"name": name, "evaluations": evaluations, "seconds": seconds,
                "converting": converting, "converting_seconds": converting_seconds,
                "result": format!("{}:{head}", text.len())})
        );
    }
    Ok(())
}

type Evaluation = Result<Option<Value>, leadline_jsonata::Error>;

/// Runs `evaluate` for a quarter of `budget` to warm up, then for `budget`: (evaluations,
/// seconds, last result).
fn timed(
    budget: Duration,
    mut evaluate: impl FnMut() -> Evaluation,
) -> anyhow::Result<(u64, f64, Option<Value>)> {
    let mut result = evaluate()?;
    let warm_end = Instant::now() + budget / 4;
    while Instant::now() < warm_end {
        evaluate()?;
    }
    let start = Instant::now();
    let mut evaluations = 0u64;
    while start.elapsed() < budget {
        result = evaluate()?;
        evaluations += 1;
    }
    Ok((evaluations, start.elapsed().as_secs_f64(), result))
}
