//! The `leadline` binary as users and scripts run it.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use leadline_testkit::Moto;

const HELLO_WORLD: &str = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const EMPTY: &str = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";

fn leadline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leadline"))
}

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .expect("leadline runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_every_subcommand_with_a_description() {
    let out = run(leadline().arg("--help"));
    assert!(out.status.success());
    let help = text(&out.stdout);
    let commands: Vec<(&str, &str)> = help
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // A long description wraps onto lines indented past the command column.
        .filter(|line| !line.starts_with("   "))
        .map(|line| line.trim().split_once(' ').unwrap_or((line.trim(), "")))
        .map(|(name, description)| (name, description.trim()))
        .collect();
    for (name, description) in &commands {
        assert!(
            !description.is_empty(),
            "`{name}` has no description:\n{help}"
        );
    }
    let described = |name: &str| commands.iter().find(|(n, _)| *n == name).map(|(_, d)| *d);
    assert!(
        described("cid").is_some_and(|d| d.starts_with("Print the content identifier")),
        "{help}"
    );
    assert!(
        described("sync").is_some_and(|d| d.starts_with("Copy a folder or S3 prefix")),
        "{help}"
    );

    let version = text(&run(leadline().arg("--version")).stdout);
    assert!(version.starts_with("leadline 0."), "{version}");
    assert!(
        version.contains('('),
        "the git commit is embedded: {version}"
    );
}

#[test]
fn cid_prints_one_line_per_file_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("survey/raw")).unwrap();
    std::fs::write(dir.path().join("survey/raw/b.all"), b"hello world").unwrap();
    std::fs::write(dir.path().join("survey/.done"), b"").unwrap();
    let out = run(leadline().current_dir(dir.path()).args(["cid", "survey"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{EMPTY}  survey/.done\n{HELLO_WORLD}  survey/raw/b.all\n")
    );
    assert!(
        out.stderr.is_empty(),
        "no progress bar when not on a terminal"
    );

    let out = run(leadline()
        .current_dir(dir.path())
        .args(["cid", "--json", "survey/raw/b.all"]));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"path": "survey/raw/b.all", "cid": HELLO_WORLD, "size": 11}])
    );
}

#[test]
fn cid_names_what_it_cannot_read_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok"), b"hello world").unwrap();
    let out = run(leadline()
        .arg("cid")
        .arg(dir.path().join("ok"))
        .arg(dir.path().join("missing.bag")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("missing.bag"),
        "{}",
        text(&out.stderr)
    );
}

/// `leadline` talking to `moto`, with its S3 CID cache in `cache` instead of the user's home.
fn against(moto: &Moto, cache: &Path) -> Command {
    let mut command = leadline();
    command.envs(moto.env()).env("LEADLINE_CACHE_DIR", cache);
    command
}

fn sync_json(moto: &Moto, cache: &Path, src: &str, dst: &str) -> serde_json::Value {
    let out = run(against(moto, cache).args(["sync", "--json", src, dst]));
    assert!(
        out.status.success(),
        "sync {src} {dst}: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

#[tokio::test]
async fn sync_folder_to_bucket_and_back() {
    let moto = Moto::start();
    moto.create_bucket("uploads").await;
    let dir = tempfile::tempdir().unwrap();
    let survey = dir.path().join("H12604");
    std::fs::create_dir_all(survey.join("raw")).unwrap();
    std::fs::write(survey.join("raw/line 1.all"), b"hello world").unwrap();
    std::fs::write(survey.join(".done"), b"").unwrap();
    let src = survey.to_str().unwrap();

    let cache = dir.path().join("cache");
    let first = sync_json(&moto, &cache, src, "s3://uploads/H12604");
    assert_eq!(
        first,
        serde_json::json!({"copied": 2, "skipped": 0, "bytes": 11, "failed": []})
    );
    let second = sync_json(&moto, &cache, src, "s3://uploads/H12604");
    assert_eq!(second["skipped"], 2);
    assert_eq!(second["copied"], 0);

    let head = moto
        .s3_client()
        .head_object()
        .bucket("uploads")
        .key("H12604/raw/line 1.all")
        .send()
        .await
        .unwrap();
    assert_eq!(head.metadata().unwrap()["cid"], HELLO_WORLD);

    let back = dir.path().join("back");
    sync_json(&moto, &cache, "s3://uploads/H12604", back.to_str().unwrap());
    assert_eq!(
        std::fs::read(back.join("raw/line 1.all")).unwrap(),
        b"hello world"
    );

    // The CIDs learned by ETag are kept for the next run.
    let remembered = std::fs::read_to_string(cache.join("s3-etag-cids.tsv")).unwrap();
    assert!(remembered.contains("H12604/raw/line 1.all"), "{remembered}");
    assert!(remembered.contains(HELLO_WORLD), "{remembered}");
    let uncached = dir.path().join("uncached");
    let out =
        run(against(&moto, &uncached).args(["sync", "--no-cache", src, "s3://uploads/H12604"]));
    assert!(out.status.success());
    assert!(!uncached.exists(), "--no-cache writes no cache");
}

#[tokio::test]
async fn sync_reports_a_missing_bucket_or_folder_by_name() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), b"a").unwrap();
    let cache = dir.path().join("cache");
    let out = run(against(&moto, &cache)
        .arg("sync")
        .arg(dir.path())
        .arg("s3://no-such-bucket/x"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no-such-bucket"),
        "{}",
        text(&out.stderr)
    );

    let out = run(against(&moto, &cache).args(["sync", "/nonexistent/survey", "s3://b/x"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/nonexistent/survey"),
        "{}",
        text(&out.stderr)
    );
}

async fn objects_in(moto: &Moto, bucket: &str) -> usize {
    let mut count = 0;
    let mut token = None;
    loop {
        let page = moto
            .s3_client()
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        count += page.contents().len();
        match page.next_continuation_token() {
            Some(next) => token = Some(next.to_owned()),
            None => return count,
        }
    }
}

#[tokio::test]
async fn a_sync_killed_with_sigkill_finishes_on_rerun_without_recopying() {
    let moto = Moto::start();
    moto.create_bucket("killed").await;
    let dir = tempfile::tempdir().unwrap();
    let files = 300;
    for i in 0..files {
        std::fs::write(
            dir.path().join(format!("{i:03}.gsf")),
            format!("sounding {i}").repeat(500),
        )
        .unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let mut child = against(&moto, cache.path())
        .args(["sync", "--concurrency", "1"])
        .arg(dir.path())
        .arg("s3://killed/survey")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while objects_in(&moto, "killed").await < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "sync made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "sync finished before it could be killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let landed = objects_in(&moto, "killed").await;
    assert!(landed < files, "the kill came too late to test anything");

    let resumed = sync_json(
        &moto,
        cache.path(),
        dir.path().to_str().unwrap(),
        "s3://killed/survey",
    );
    let skipped = resumed["skipped"].as_u64().unwrap() as usize;
    let copied = resumed["copied"].as_u64().unwrap() as usize;
    assert_eq!(
        skipped, landed,
        "every object that landed before the kill is skipped"
    );
    assert_eq!(copied + skipped, files);
    assert_eq!(objects_in(&moto, "killed").await, files);

    let check = sync_json(
        &moto,
        cache.path(),
        dir.path().to_str().unwrap(),
        "s3://killed/survey",
    );
    assert_eq!(
        check["skipped"].as_u64(),
        Some(files as u64),
        "no object is partial or missing"
    );
}

#[test]
fn golden_surveys_hash_to_their_recorded_digests() {
    // The README's reference command hashes these; their sha256 is recorded in the golden README.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../integration-tests/golden");
    let out = run(leadline()
        .arg("cid")
        .arg("--json")
        .arg(golden.join("H12604/input/bdb_01.bag")));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cid = sha256_hex_of_cid(json[0]["cid"].as_str().unwrap());
    let readme = std::fs::read_to_string(golden.join("README.md")).unwrap();
    assert!(
        readme.contains(&cid),
        "{cid} (sha256 of bdb_01.bag) not in the golden README"
    );
}

/// The hex sha256 inside a raw CID, to compare with `sha256sum` figures.
fn sha256_hex_of_cid(text: &str) -> String {
    let cid = leadline_core::cids::parse_cid(text).unwrap();
    cid.hash()
        .digest()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
