//! The README's quick starts (S1–S5) run as written: every ```sh block after a
//! `<!-- quickstart -->` marker goes to bash, against the real `iot-emulator` binary
//! (ports 0, a temporary data directory, the hook binding of the README's setup block),
//! with `iot-device-client` and the venv's aws CLI on PATH. Each block's output must show
//! what the scenario promises, and its teardown must leave the registry empty.
//!
//! `iot-device-client` is found next to the `iot-emulator` binary (target/debug);
//! `cargo test --workspace` builds both.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const MARKER: &str = "<!-- quickstart -->";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The ```sh blocks that follow a marker line, in order.
fn quickstart_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != MARKER {
            continue;
        }
        let fence = lines.next().unwrap_or_default();
        assert_eq!(fence.trim(), "```sh", "a ```sh block must follow {MARKER}");
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        blocks.push(body.join("\n"));
    }
    blocks
}

/// The `--hook '...'` binding of the quick starts' setup block.
fn readme_hook(readme: &str) -> String {
    let section = readme
        .find("## Quick starts")
        .expect("the quick starts section");
    let readme = &readme[section..];
    let start = readme
        .find("iot-emulator --hook '")
        .expect("the setup block's --hook")
        + 21;
    let len = readme[start..].find('\'').expect("closing quote");
    readme[start..start + len].to_string()
}

/// The directory holding `iot-emulator`, which must also hold `iot-device-client`.
fn bin_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_iot-emulator"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    assert!(
        dir.join("iot-device-client").exists(),
        "{} lacks iot-device-client: run `cargo build -p iot-device-client` (cargo test --workspace builds it)",
        dir.display()
    );
    dir
}

/// Runs `script` with bash (`-euo pipefail`) in `work`; returns stdout, panics with
/// both streams on failure.
fn run(script: &str, work: &Path, data: &Path, path: &str, what: &str) -> String {
    let mut cmd = Command::new("bash");
    common::aws_env(&mut cmd);
    let out = cmd
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(work)
        .env("PATH", path)
        .env("IOT_EMULATOR_DATA_DIR", data)
        .env_remove("AWS_ENDPOINT_URL_IOT")
        .env_remove("IOT_ENDPOINT")
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// What each scenario's output must show (S1..S5).
const EXPECTED: [&[&str]; 5] = [
    &[
        r#""thingName":"Fleet_Provisioned_TestThingClaim""#,
        r#""reused":false"#,
        r#""reused":true"#,
        r#""published":"otameshi/aws-iot-provisioning/claim/Fleet_Provisioned_TestThingClaim","n":2"#,
    ],
    &[
        r#""published":"JitpDevice01/telemetry""#,
        r#""thingTypeName": "JitpDeviceType""#,
    ],
    &[
        r#""accessKeyId""#,
        r#"{"credentials":{"#,
        "first request: registered",
    ],
    &[
        r#""deviceConfiguration":{"MyDeviceOption":"Normal"}"#,
        r#""thingName":"MyThing_0002""#,
        r#""topic":"bulbs/MyThing_0002/state""#,
    ],
    &[
        r#""LocationUrl":"https://example.aws""#,
        r#""published":"ThingPrefix_1/hello""#,
    ],
];

/// Prints every resource of the kinds the scenarios create (thing types aside), in one
/// boto3 process (an aws CLI call per kind costs a second of CPU each).
const LEFTOVERS: &str = r#"python3 - <<'PY'
import boto3
iot = boto3.client("iot")
lists = {"list_things": "things", "list_certificates": "certificates",
         "list_ca_certificates": "certificates", "list_policies": "policies",
         "list_provisioning_templates": "templates", "list_role_aliases": "roleAliases",
         "list_thing_groups": "thingGroups"}
for op, key in lists.items():
    for item in getattr(iot, op)()[key]:
        print(op, item)
PY"#;

#[test]
fn the_readme_quick_starts_run_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let blocks = quickstart_blocks(&readme);
    assert_eq!(blocks.len(), 5, "one quick start per scenario S1–S5");
    let bins = bin_dir();
    let path = format!(
        "{}:{}:{}",
        bins.display(),
        common::venv().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let work = tempfile::tempdir().expect("work dir");
    std::os::unix::fs::symlink(repo().join("fixtures"), work.path().join("fixtures"))
        .expect("fixtures link");
    let data = work.path().join("data");
    let hook = readme_hook(&readme);
    let (mut emulator, _) = common::spawn_binary_with(&data, &["--hook", &hook]);
    for (n, (block, expected)) in blocks.iter().zip(EXPECTED).enumerate() {
        let what = format!("quick start S{}", n + 1);
        let stdout = run(block, work.path(), &data, &path, &what);
        for needle in expected {
            assert!(stdout.contains(needle), "{what}: no {needle} in\n{stdout}");
        }
        let left = run(
            &format!("eval \"$(iot-emulator env)\"\n{LEFTOVERS}"),
            work.path(),
            &data,
            &path,
            "listing",
        );
        assert!(left.trim().is_empty(), "{what} left behind:\n{left}");
    }
    let _ = emulator.kill();
    let _ = emulator.wait();
}

#[test]
fn blocks_are_found_after_their_marker() {
    let text = "intro\n<!-- quickstart -->\n```sh\necho a\necho b\n```\n```sh\nnot this\n```\n";
    assert_eq!(quickstart_blocks(text), vec!["echo a\necho b".to_string()]);
    let text = "## Quick starts\nx iot-emulator --hook 'arn=cmd' &";
    assert_eq!(readme_hook(text), "arn=cmd");
}
