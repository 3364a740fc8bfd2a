// Evaluation throughput of the reference jsonata (jsonata-js) on the expressions and data
// scripts/bench-jsonata hands it: `node bench.js <cases.json> <data.json> <seconds>`.
// Prints one JSON line per case: {"name", "evaluations", "seconds", "result"}; the result lets
// the script check that both engines computed the same thing.
"use strict";
const fs = require("fs");
const jsonata = require("jsonata");

async function main() {
  const [casesPath, dataPath, secondsText] = process.argv.slice(2);
  const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));
  const data = JSON.parse(fs.readFileSync(dataPath, "utf8"));
  const budget = Number(secondsText) * 1000;
  for (const { name, expression } of cases) {
    const compiled = jsonata(expression);
    let result = await compiled.evaluate(data);
    // Warm-up so that V8 has optimised the evaluator before the clock starts.
    const warmEnd = Date.now() + budget / 4;
    while (Date.now() < warmEnd) await compiled.evaluate(data);
    let evaluations = 0;
    const start = process.hrtime.bigint();
    const end = Date.now() + budget;
    while (Date.now() < end) {
      result = await compiled.evaluate(data);
      evaluations += 1;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(JSON.stringify({ name, evaluations, seconds, result: summary(result) }));
  }
}

// The same digest the Rust side prints: the result's JSON length and its first characters.
function summary(value) {
  const text = JSON.stringify(value);
  return `${text.length}:${text.slice(0, 40)}`;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
