//! The job images provide every command the rendered state machines (and Terraform, once it
//! exists) run in them, are built from pinned base images, and run as an unprivileged user.
//! Static checks of `jobs/docker/Dockerfile`: the images need not build on this machine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Debug, Default)]
struct Stage {
    base: String,
    commands: BTreeSet<String>,
    /// Basenames copied into /usr/local/bin, with their source paths.
    installed: BTreeMap<String, String>,
    user: Option<String>,
    built_bins: BTreeSet<String>,
}

/// Stages of the Dockerfile by name, with `ARG` defaults substituted into `FROM`.
fn stages() -> BTreeMap<String, Stage> {
    let text = std::fs::read_to_string(repo().join("jobs/docker/Dockerfile")).unwrap();
    let mut args = BTreeMap::new();
    let mut stages: BTreeMap<String, Stage> = BTreeMap::new();
    let mut current: Option<String> = None;
    // Join continuation lines so each instruction is one line.
    let joined = text.replace("\\\n", " ");
    for line in joined.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["ARG", assignment] => {
                if let Some((name, value)) = assignment.split_once('=') {
                    args.insert(format!("${{{name}}}"), value.to_owned());
                }
            }
            ["FROM", image, "AS", name] => {
                let base = args
                    .get(*image)
                    .cloned()
                    .unwrap_or_else(|| (*image).to_owned());
                stages.insert(
                    (*name).to_owned(),
                    Stage {
                        base,
                        ..Stage::default()
                    },
                );
                current = Some((*name).to_owned());
            }
            _ => {
                let Some(stage) = current.as_ref().and_then(|name| stages.get_mut(name)) else {
                    continue;
                };
                if let Some(label) = line.strip_prefix("LABEL org.leadline.commands=") {
                    stage.commands = label
                        .trim_matches('"')
                        .split(' ')
                        .map(str::to_owned)
                        .collect();
                } else if let Some(user) = line.strip_prefix("USER ") {
                    stage.user = Some(user.trim().to_owned());
                } else if line.starts_with("COPY") && line.ends_with("/usr/local/bin/") {
                    for source in &words[1..words.len() - 1] {
                        if !source.starts_with("--") {
                            let name = source.rsplit('/').next().unwrap_or(source).to_owned();
                            stage.installed.insert(name, (*source).to_owned());
                        }
                    }
                } else if line.contains("cargo build") {
                    let mut words = words.iter();
                    while let Some(word) = words.next() {
                        if *word == "--bin" {
                            stage
                                .built_bins
                                .extend(words.next().map(|w| (*w).to_owned()));
                        }
                    }
                }
            }
        }
    }
    stages
}

/// What a target stage installs, including the stages it is built on.
fn installed(stages: &BTreeMap<String, Stage>, target: &str) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    let mut name = Some(target.to_owned());
    while let Some(stage) = name.as_ref().and_then(|n| stages.get(n)) {
        all.extend(stage.installed.clone());
        name = Some(stage.base.clone()).filter(|base| stages.contains_key(base));
    }
    all
}

/// The single-quoted literals of an intrinsic like `States.Array('a', $.x, 'b')`.
fn literals(intrinsic: &str) -> Vec<String> {
    intrinsic
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// (task definition, programs) for every `ecs:runTask.sync` state of every rendered machine.
fn fargate_commands() -> Vec<(String, Vec<String>)> {
    fn walk(value: &Value, found: &mut Vec<(String, Vec<String>)>) {
        match value {
            Value::Object(map) => {
                if map.get("Resource").and_then(Value::as_str)
                    == Some("arn:aws:states:::ecs:runTask.sync")
                {
                    let parameters = &map["Parameters"];
                    let definition = parameters["TaskDefinition"].as_str().unwrap_or_default();
                    for container in parameters["Overrides"]["ContainerOverrides"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        let argv = literals(container["Command.$"].as_str().unwrap_or_default());
                        let mut programs = vec![argv[0].clone()];
                        if let Some(at) = argv.iter().position(|a| a == "--") {
                            programs.push(argv[at + 1].clone());
                        }
                        found.push((definition.to_owned(), programs));
                    }
                }
                map.values().for_each(|v| walk(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(repo().join("state-machines")).unwrap() {
        for file in std::fs::read_dir(entry.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let machine: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                walk(&machine, &mut found);
            }
        }
    }
    found
}

/// The image target a task definition runs: the last `-` segment of its name (`leadline-dev-qc`).
fn target_of(task_definition: &str) -> &str {
    task_definition
        .rsplit(['/', '-'])
        .next()
        .unwrap_or_default()
}

#[test]
fn every_command_the_state_machines_run_is_in_its_image() {
    let stages = stages();
    let commands = fargate_commands();
    assert!(commands.len() >= 4, "no Fargate steps found: {commands:?}");
    for (definition, programs) in commands {
        let target = target_of(&definition);
        let stage = stages
            .get(target)
            .unwrap_or_else(|| panic!("{definition}: no image target {target:?}"));
        for program in programs {
            assert!(
                stage.commands.contains(&program),
                "{definition} runs {program:?}, which image {target:?} does not list"
            );
        }
    }
}

#[test]
fn terraform_commands_are_in_some_image() {
    let stages = stages();
    let all: BTreeSet<&String> = stages.values().flat_map(|s| &s.commands).collect();
    let Ok(walker) = std::fs::read_dir(repo().join("terraform")) else {
        return; // No Terraform yet (issue #5); the check applies as soon as it lands.
    };
    let mut pending: Vec<PathBuf> = walker.flatten().map(|e| e.path()).collect();
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path()),
            );
            continue;
        }
        if path.extension().is_none_or(|e| e != "tf") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Some((key, list)) = line.split_once('=') else {
                continue;
            };
            if key.trim() == "command" && list.trim_start().starts_with('[') {
                let program = list.split('"').nth(1).unwrap_or_default().to_owned();
                assert!(
                    all.contains(&program),
                    "{}: {program:?} is in no image",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn listed_commands_are_installed_from_real_sources() {
    let stages = stages();
    let built: BTreeSet<String> = stages.values().flat_map(|s| s.built_bins.clone()).collect();
    let targets: Vec<(&String, &Stage)> = stages
        .iter()
        .filter(|(_, s)| !s.commands.is_empty())
        .collect();
    assert_eq!(targets.len(), 2, "the qc and gdal targets");
    for (name, stage) in targets {
        let installed = installed(&stages, name);
        for command in &stage.commands {
            let source = installed
                .get(command)
                .unwrap_or_else(|| panic!("{name}: {command} is listed but not installed"));
            if let Some(bin) = source.strip_prefix("/src/target/release/") {
                assert!(
                    built.contains(bin),
                    "{name}: {bin} is copied but never built"
                );
            } else {
                assert!(
                    repo().join(source).is_file(),
                    "{name}: {source} does not exist"
                );
            }
        }
    }
}

#[test]
fn images_use_pinned_bases_and_an_unprivileged_user() {
    let stages = stages();
    for (name, stage) in &stages {
        if !stages.contains_key(&stage.base) {
            let tag = stage
                .base
                .split_once(':')
                .map(|(_, tag)| tag)
                .unwrap_or_default();
            assert!(
                tag.chars().next().is_some_and(|c| c.is_ascii_digit()) && tag.contains('.'),
                "{name}: base image {:?} is not pinned to a version",
                stage.base
            );
        }
        if !stage.commands.is_empty() {
            let user = stage.user.as_deref().unwrap_or("root");
            assert!(
                !user.starts_with("root") && !user.starts_with("0"),
                "{name}: runs as {user}"
            );
        }
    }
}
