//! What reviewers and deployers rely on in the rendered machines: they are current and stable,
//! every environment value lands where it should, every Task names a resource its environment
//! defines, the processor is checkpointed and always stops its host, and mistakes in templates
//! or environments are reported with file and line.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use leadline_render::{Environment, Project, RenderError, Rendered};
use serde_json::Value;

const ACTIVITY_STEPS: [&str; 8] = [
    "CreateHIPSFile",
    "ImportToHIPS",
    "ImportHIPSFromAuxiliary",
    "GeoreferenceHIPSBathymetry",
    "CreateHIPSGridWithCube",
    "FilterProcessedDepths",
    "ExportGeoTIFF",
    "ExportBAG",
];
const JOBS: [&str; 4] = ["QC", "COG", "Hillshade", "Coverage"];
const STOP: &str = "arn:aws:states:::aws-sdk:ec2:stopInstances";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A copy of the templates and environments in a temporary folder, free to break.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["templates", "environments"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(root().join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name())).unwrap();
        }
    }
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn json(rendered: &Rendered) -> Value {
    serde_json::from_str(&rendered.content).unwrap()
}

/// Every machine of every committed environment, with its environment.
fn committed() -> Vec<(Environment, Value)> {
    let project = Project::new(root());
    let templates = project.templates().unwrap();
    let mut out = Vec::new();
    for name in project.environment_names().unwrap() {
        let environment = project.environment(&name).unwrap();
        for rendered in templates.render(&environment).unwrap() {
            out.push((environment.clone(), json(&rendered)));
        }
    }
    assert_eq!(
        out.len(),
        3,
        "local, dev and prod each have the survey machine"
    );
    out
}

/// Every state at any depth (Map processors, Parallel branches) with its JSON pointer.
fn all_states(machine: &Value) -> Vec<(String, String, &Value)> {
    fn walk<'a>(scope: &'a Value, at: &str, out: &mut Vec<(String, String, &'a Value)>) {
        let Some(states) = scope["States"].as_object() else {
            return;
        };
        for (name, state) in states {
            let pointer = format!("{at}/States/{name}");
            walk(
                &state["ItemProcessor"],
                &format!("{pointer}/ItemProcessor"),
                out,
            );
            if let Some(branches) = state["Branches"].as_array() {
                for (i, branch) in branches.iter().enumerate() {
                    walk(branch, &format!("{pointer}/Branches/{i}"), out);
                }
            }
            out.push((name.clone(), pointer, state));
        }
    }
    let mut out = Vec::new();
    walk(machine, "", &mut out);
    out
}

/// Where a state can go next (Next, Default, Choices, Catch) within its scope.
fn successors(state: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = ["Next", "Default"]
        .iter()
        .filter_map(|k| state[*k].as_str())
        .collect();
    for list in ["Choices", "Catch"] {
        for rule in state[list].as_array().into_iter().flatten() {
            out.extend(rule["Next"].as_str());
        }
    }
    out
}

fn reachable<'a>(states: &'a Value, from: &'a str) -> HashSet<&'a str> {
    let mut seen = HashSet::from([from]);
    let mut todo = vec![from];
    while let Some(name) = todo.pop() {
        for next in successors(&states[name]) {
            if seen.insert(next) {
                todo.push(next);
            }
        }
    }
    seen
}

#[test]
fn committed_machines_are_current_and_rerender_byte_identical() {
    let project = Project::new(root());
    let first = project.render_all().unwrap();
    let second = project.render_all().unwrap();
    assert_eq!(first, second);
    for rendered in &first {
        assert!(rendered.content.ends_with("}\n"));
        assert_eq!(
            project.drift(rendered).unwrap(),
            None,
            "{} is stale: run `leadline render`",
            rendered.path.display()
        );
    }
    // No orphans: every committed file is one a render produces.
    assert_eq!(project.orphans(&first).unwrap(), Vec::<PathBuf>::new());
}

/// JSON pointers of every value equal to `needle` or a string containing it.
fn occurrences(value: &Value, needle: &Value, at: &str, out: &mut BTreeSet<String>) {
    let text = match needle {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                occurrences(v, needle, &format!("{at}/{}", k.replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                occurrences(v, needle, &format!("{at}/{i}"), out);
            }
        }
        Value::String(s) if s.contains(&text) => {
            out.insert(at.to_owned());
        }
        v if v == needle => {
            out.insert(at.to_owned());
        }
        _ => {}
    }
}

fn set(table: &mut toml::Table, path: &str, value: toml::Value) {
    let (parents, leaf) = path.rsplit_once('.').map_or(("", path), |(p, l)| (p, l));
    let mut at = table;
    for key in parents.split('.').filter(|k| !k.is_empty()) {
        at = at.get_mut(key).and_then(toml::Value::as_table_mut).unwrap();
    }
    assert!(at.contains_key(leaf), "{path} is not in local.toml");
    at.insert(leaf.to_owned(), value);
}

#[test]
fn every_environment_value_lands_exactly_where_expected() {
    let states = |names: &[&str], suffix: &str| -> Vec<String> {
        names
            .iter()
            .map(|n| format!("/States/{n}{suffix}"))
            .collect()
    };
    let jobs = |indices: &[usize], suffix: &str| -> Vec<String> {
        indices
            .iter()
            .map(|&i| {
                format!(
                    "/States/Products/ItemProcessor/States/GridProducts/Branches/{i}/States/{}/Parameters{suffix}",
                    JOBS[i]
                )
            })
            .collect()
    };
    let activity_states = ACTIVITY_STEPS;
    let functions = states(
        &["Inventory", "Plan", "Publish"],
        "/Parameters/FunctionName",
    );
    let resources = states(&activity_states, "/Resource");
    let all = [0, 1, 2, 3];
    let host_states = [
        "StartHost",
        "DescribeHost",
        "StopHost",
        "StopHostAfterFailure",
    ];
    let arn_fields = [
        functions.clone(),
        resources.clone(),
        jobs(&all, "/Cluster"),
        jobs(&all, "/TaskDefinition"),
    ]
    .concat();

    let cases: Vec<(&str, toml::Value, Vec<String>)> = vec![
        ("account", "999988887777".into(), arn_fields.clone()),
        ("region", "xx-test-9".into(), arn_fields),
        ("name_prefix", "prefix-sentinel".into(), functions),
        ("buckets.uploads", "uploads-sentinel".into(), vec![]),
        (
            "buckets.work",
            "work-sentinel".into(),
            ["work.$", "products.$", "cache"]
                .iter()
                .map(|k| format!("/States/Prepare/Parameters/run/{k}"))
                .collect(),
        ),
        (
            "buckets.products",
            "products-sentinel".into(),
            states(&["Publish"], "/Parameters/Payload/bucket"),
        ),
        (
            "fargate.cluster",
            "cluster-sentinel".into(),
            jobs(&all, "/Cluster"),
        ),
        (
            "fargate.subnets",
            toml::Value::Array(vec!["subnet-0feedface0".into()]),
            jobs(&all, "/NetworkConfiguration/AwsvpcConfiguration/Subnets/0"),
        ),
        (
            "fargate.security_groups",
            toml::Value::Array(vec!["sg-0deadbeef0".into()]),
            jobs(
                &all,
                "/NetworkConfiguration/AwsvpcConfiguration/SecurityGroups/0",
            ),
        ),
        (
            "fargate.container",
            "container-sentinel".into(),
            jobs(&all, "/Overrides/ContainerOverrides/0/Name"),
        ),
        (
            "fargate.task_definitions.qc",
            "qc-sentinel".into(),
            jobs(&[0], "/TaskDefinition"),
        ),
        (
            "fargate.task_definitions.gdal",
            "gdal-sentinel".into(),
            jobs(&[1, 2, 3], "/TaskDefinition"),
        ),
        ("processor.activity", "activity-sentinel".into(), resources),
        (
            "processor.instance_id",
            "i-0c0ffee0".into(),
            [
                states(&host_states, "/Parameters/InstanceIds/0"),
                states(&["HostNotRunning"], "/Parameters/Cause"),
            ]
            .concat(),
        ),
        (
            "processor.host_tag",
            "tag-sentinel".into(),
            [
                states(&["DescribeHost"], "/Parameters/Filters/0/Values/0"),
                states(&["HostNotRunning"], "/Parameters/Cause"),
            ]
            .concat(),
        ),
        (
            "processor.checkpoint",
            "s3://checkpoint-sentinel/processor/".into(),
            vec![
                "/States/Prepare/Parameters/run/processor.$".to_owned(),
                "/States/NotCheckpointed/Parameters/Cause".to_owned(),
            ],
        ),
        (
            "processor.heartbeat_seconds",
            4241.into(),
            states(&activity_states, "/HeartbeatSeconds"),
        ),
        (
            "processor.timeout_seconds",
            98765.into(),
            states(&activity_states, "/TimeoutSeconds"),
        ),
        (
            "processor.host_poll_seconds",
            4243.into(),
            states(&["WaitForHost"], "/Seconds")
                .into_iter()
                .chain(states(&["StartHost"], "/Comment"))
                .collect(),
        ),
        (
            "processor.host_max_polls",
            4247.into(),
            [
                states(&["HostRunning"], "/Choices/1/NumericGreaterThanEquals"),
                states(&["StartHost"], "/Comment"),
                states(&["HostNotRunning"], "/Parameters/Cause"),
            ]
            .concat(),
        ),
        (
            "products.max_concurrency",
            4253.into(),
            states(&["Products"], "/MaxConcurrency"),
        ),
    ];
    let survey_keys = [
        "resolution",
        "iho_order",
        "output_crs",
        "vessel_file",
        "vertical_reference",
        "tide_measured",
        "tide_zoning",
        "filter_threshold",
    ];
    let survey_cases = survey_keys.iter().map(|key| {
        (
            format!("survey.{key}"),
            toml::Value::from(format!("{key}-sentinel")),
            vec![format!("/States/Defaults/Parameters/defaults/{key}")],
        )
    });
    let cases = cases
        .into_iter()
        .map(|(p, v, e)| (p.to_owned(), v, e))
        .chain(survey_cases);

    let original: toml::Table =
        toml::from_str(&std::fs::read_to_string(root().join("environments/local.toml")).unwrap())
            .unwrap();
    let dir = scratch();
    let project = Project::new(dir.path());
    let templates = project.templates().unwrap();
    let file = dir.path().join("environments/local.toml");
    let mut tested = 0;
    for (path, sentinel, expected) in cases {
        let mut table = original.clone();
        set(&mut table, &path, sentinel.clone());
        std::fs::write(&file, toml::to_string(&table).unwrap()).unwrap();
        let environment = project.environment("local").unwrap();
        let machine = json(&templates.render(&environment).unwrap()[0]);
        let needle = match &sentinel {
            toml::Value::Array(items) => Value::String(items[0].as_str().unwrap().to_owned()),
            toml::Value::Integer(n) => Value::from(*n),
            other => Value::String(other.as_str().unwrap().to_owned()),
        };
        let mut found = BTreeSet::new();
        occurrences(&machine, &needle, "", &mut found);
        let expected: BTreeSet<String> = expected.into_iter().collect();
        assert_eq!(found, expected, "where {path} lands");
        tested += 1;
    }
    // Every leaf of the environment file was moved once.
    fn leaves(table: &toml::Table) -> usize {
        table
            .values()
            .map(|v| match v {
                toml::Value::Table(t) => leaves(t),
                _ => 1,
            })
            .sum()
    }
    assert_eq!(tested, leaves(&original));
}

#[test]
fn every_task_resource_is_one_the_environment_defines() {
    for (environment, machine) in committed() {
        let defined = environment.resources();
        let mut kinds = BTreeSet::new();
        for (name, _, state) in all_states(&machine) {
            if state["Type"] != "Task" {
                continue;
            }
            let resource = state["Resource"].as_str().unwrap();
            let parameters = &state["Parameters"];
            let context = format!("{} {name}", environment.name);
            match resource {
                "arn:aws:states:::lambda:invoke" => {
                    let function = parameters["FunctionName"].as_str().unwrap();
                    assert!(
                        defined.functions.values().any(|f| f == function),
                        "{context}: {function}"
                    );
                }
                "arn:aws:states:::ecs:runTask.sync" => {
                    assert_eq!(parameters["Cluster"], defined.cluster.as_str(), "{context}");
                    let definition = parameters["TaskDefinition"].as_str().unwrap();
                    assert!(
                        defined.task_definitions.values().any(|d| d == definition),
                        "{context}: {definition}"
                    );
                }
                "arn:aws:states:::aws-sdk:ec2:startInstances"
                | "arn:aws:states:::aws-sdk:ec2:describeInstances"
                | STOP => {
                    assert_eq!(
                        parameters["InstanceIds"],
                        serde_json::json!([defined.instance]),
                        "{context}"
                    );
                }
                other => assert_eq!(other, defined.activity, "{context}"),
            }
            kinds.insert(resource.to_owned());
        }
        // All six kinds are in use: a test that checked fewer would pass vacuously.
        assert_eq!(kinds.len(), 6, "{kinds:?}");
    }
}

#[test]
fn every_processor_step_is_followed_by_its_checkpoint() {
    for (environment, machine) in committed() {
        let activity = environment.resources().activity;
        let states = &machine["States"];
        let steps = all_states(&machine)
            .into_iter()
            .filter(|(_, _, s)| s["Resource"] == activity.as_str())
            .count();
        assert_eq!(steps, ACTIVITY_STEPS.len());
        // Walk the chain from the first step: step, checkpoint, step, … then the host stops.
        let mut at = ACTIVITY_STEPS[0];
        let mut operations = Vec::new();
        for expected in ACTIVITY_STEPS {
            assert_eq!(at, expected);
            let step = &states[at];
            // Exactly the leadline-worker task input; the upload is staged only for imports.
            let mut fields: Vec<&str> = step["Parameters"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            fields.sort_unstable();
            if at.starts_with("Import") {
                assert_eq!(fields, ["command.$", "inputs.$", "survey.$"], "{at}");
            } else {
                assert_eq!(fields, ["command.$", "survey.$"], "{at}");
            }
            let command = step["Parameters"]["command.$"].as_str().unwrap();
            let operation = command
                .strip_prefix("States.Array('carisbatch', '--run', '")
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{at} is not a raw carisbatch command: {command}"));
            operations.push(operation);
            assert_eq!(step["ResultPath"], "$.step");

            let name = step["Next"].as_str().unwrap();
            assert_eq!(name, format!("Checkpoint{at}"));
            let checkpoint = &states[name];
            assert_eq!(checkpoint["Type"], "Choice", "{name}");
            // A result without a checkpoint, or a null one, never goes on to the next step.
            let choices = checkpoint["Choices"].as_array().unwrap();
            assert_eq!(
                choices[0],
                serde_json::json!({"Not": {"Variable": "$.step.checkpoint", "IsPresent": true},
                                   "Next": "NotCheckpointed"})
            );
            assert_eq!(
                choices[1],
                serde_json::json!({"Variable": "$.step.checkpoint", "IsNull": true,
                                   "Next": "NotCheckpointed"})
            );
            assert_eq!(choices.len(), 2);
            at = checkpoint["Default"].as_str().unwrap();
        }
        assert_eq!(states[at]["Resource"], STOP, "after the last checkpoint");
        assert_eq!(
            operations,
            [
                "CreateHIPSFile",
                "ImportToHIPS",
                "ImportHIPSFromAuxiliary",
                "GeoreferenceHIPSBathymetry",
                "CreateHIPSGridWithCube",
                "FilterProcessedDepths",
                "ExportRaster",
                "ExportRaster"
            ]
        );
    }
}

/// The host stops from `from`, and every way out of that stop ends in a failed run.
fn assert_stops_host(states: &Value, from: &str, context: &str) {
    let stops: Vec<&str> = reachable(states, from)
        .into_iter()
        .filter(|s| states[*s]["Resource"] == STOP)
        .collect();
    assert!(!stops.is_empty(), "{context}: no host stop");
    for stop in stops {
        for next in successors(&states[stop]) {
            assert_eq!(states[next]["Type"], "Fail", "{context} → {stop} → {next}");
        }
    }
}

#[test]
fn host_stop_is_reachable_from_every_processor_failure() {
    for (environment, machine) in committed() {
        let activity = environment.resources().activity;
        let states = &machine["States"];
        let mut caught = 0;
        let mut checkpoints = 0;
        for (name, state) in states.as_object().unwrap() {
            let resource = state["Resource"].as_str().unwrap_or_default();
            if resource == activity || (resource.contains(":ec2:") && resource != STOP) {
                let catch = state["Catch"]
                    .as_array()
                    .and_then(|c| {
                        c.iter()
                            .find(|c| c["ErrorEquals"] == serde_json::json!(["States.ALL"]))
                    })
                    .unwrap_or_else(|| panic!("{name} catches no States.ALL"));
                assert_stops_host(states, catch["Next"].as_str().unwrap(), name);
                caught += 1;
            }
            if name.starts_with("Checkpoint") {
                for choice in state["Choices"].as_array().unwrap() {
                    assert_stops_host(states, choice["Next"].as_str().unwrap(), name);
                }
                checkpoints += 1;
            }
        }
        assert_eq!(caught, ACTIVITY_STEPS.len() + 2, "steps, start, describe");
        assert_eq!(checkpoints, ACTIVITY_STEPS.len());
    }
}

#[test]
fn unknown_variable_fails_naming_template_line_and_variable() {
    let dir = scratch();
    let template = dir.path().join("templates/survey.asl.json.tera");
    edit(
        &template,
        "\"Seconds\": {{ env.processor.host_poll_seconds }}",
        "\"Seconds\": {{ env.processor.host_poll_secs }}",
    );
    let line = std::fs::read_to_string(&template)
        .unwrap()
        .lines()
        .position(|l| l.contains("host_poll_secs"))
        .unwrap()
        + 1;
    let project = Project::new(dir.path());
    let error = project.render_all().unwrap_err();
    assert!(matches!(error, RenderError::Template(_)), "{error}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("templates/survey.asl.json.tera:{line}:")),
        "{message}"
    );
    assert!(message.contains("host_poll_secs"), "{message}");

    // Inside a component, the report names the component's file and line too.
    let dir = scratch();
    let components = dir.path().join("templates/components.tera");
    edit(
        &components,
        "\"HeartbeatSeconds\": {{ heartbeat }}",
        "\"HeartbeatSeconds\": {{ heartbeats }}",
    );
    let line = std::fs::read_to_string(&components)
        .unwrap()
        .lines()
        .position(|l| l.contains("{{ heartbeats }}"))
        .unwrap()
        + 1;
    let message = Project::new(dir.path())
        .render_all()
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(&format!("templates/components.tera:{line}:")),
        "{message}"
    );
    assert!(message.contains("heartbeats"), "{message}");
}

#[test]
fn environment_mistakes_name_file_and_line() {
    let dir = scratch();
    let file = dir.path().join("environments/dev.toml");
    edit(&file, "max_concurrency = 4", "max_concurency = 4");
    let message = Project::new(dir.path())
        .render_all()
        .unwrap_err()
        .to_string();
    assert!(message.contains("environments/dev.toml"), "{message}");
    assert!(message.contains("max_concurency"), "{message}");
    let line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l.contains("max_concurency"))
        .unwrap()
        + 1;
    assert!(message.contains(&format!("line {line}")), "{message}");

    let dir = scratch();
    edit(
        &dir.path().join("environments/prod.toml"),
        "max_concurrency = 16",
        "max_concurrency = \"16\"",
    );
    let message = Project::new(dir.path())
        .render_all()
        .unwrap_err()
        .to_string();
    assert!(message.contains("environments/prod.toml"), "{message}");
    assert!(message.contains("line"), "{message}");

    // Values are held to AWS's character sets: they end up in ARNs, URIs and intrinsics.
    let dir = scratch();
    let file = dir.path().join("environments/dev.toml");
    edit(
        &file,
        "work = \"leadline-dev-work\"",
        "work = \"Leadline's-work\"",
    );
    let line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l.contains("Leadline's-work"))
        .unwrap()
        + 1;
    let error = Project::new(dir.path()).render_all().unwrap_err();
    assert!(matches!(error, RenderError::InvalidValue { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.ends_with(&format!("environments/dev.toml:{line}: buckets.work: an S3 bucket name: 3 to 63 lowercase letters, digits, '-' or '.'")),
        "{message}"
    );

    let error = Project::new(root()).environment("staging").unwrap_err();
    assert!(
        error.to_string().contains("environments/staging.toml"),
        "{error}"
    );
}

#[test]
fn repeated_state_names_and_invalid_machines_are_refused() {
    let dir = scratch();
    edit(
        &dir.path().join("templates/survey.asl.json.tera"),
        "\"Done\": {",
        "\"Publish\": {\"Type\": \"Succeed\"},\n    \"Done\": {",
    );
    let message = Project::new(dir.path())
        .render_all()
        .unwrap_err()
        .to_string();
    assert!(message.contains("duplicate key \"Publish\""), "{message}");
    assert!(message.contains("line"), "{message}");

    // A trailing comma (the usual slip between components) names the rendered line.
    let dir = scratch();
    edit(
        &dir.path().join("templates/survey.asl.json.tera"),
        "\"Type\": \"Succeed\"",
        "\"Type\": \"Succeed\",",
    );
    let error = Project::new(dir.path()).render_all().unwrap_err();
    assert!(matches!(error, RenderError::Json { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("templates/survey.asl.json.tera rendered invalid JSON"),
        "{message}"
    );
    assert!(message.contains("rendered line"), "{message}");

    let dir = scratch();
    edit(
        &dir.path().join("templates/survey.asl.json.tera"),
        "\"Next\": \"CountHostPoll\"",
        "\"Next\": \"CountHostPolls\"",
    );
    let error = Project::new(dir.path()).render_all().unwrap_err();
    assert!(
        matches!(error, RenderError::InvalidMachine { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("CountHostPolls"), "{error}");
}

#[test]
fn drift_is_a_unified_diff_until_written() {
    let dir = scratch();
    let project = Project::new(dir.path());
    let rendered = project.render_all().unwrap();
    // Nothing committed yet: every file is new.
    assert!(project.drift(&rendered[0]).unwrap().is_some());
    for r in &rendered {
        assert!(project.write(r).unwrap());
        assert!(
            !project.write(r).unwrap(),
            "an identical file is left alone"
        );
        assert_eq!(project.drift(r).unwrap(), None);
    }
    let file = dir.path().join(&rendered[0].path);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("\"MaxConcurrency\": 4", "\"MaxConcurrency\": 40", 1),
    )
    .unwrap();
    let diff = project.drift(&rendered[0]).unwrap().unwrap();
    let shown = rendered[0].path.display().to_string();
    assert!(
        diff.starts_with(&format!("--- a/{shown}\n+++ b/{shown}\n@@ ")),
        "{diff}"
    );
    assert!(
        diff.contains("\n-      \"MaxConcurrency\": 40,\n"),
        "{diff}"
    );
    assert!(diff.contains("\n+      \"MaxConcurrency\": 4,\n"), "{diff}");
}
