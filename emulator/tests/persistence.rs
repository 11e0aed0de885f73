//! The real binary keeps its registry across restarts, `kill -9` included (in the middle
//! of concurrent writes too), and exits 0 on SIGTERM.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{aws_blocking, aws_env, venv, Binary};

#[test]
fn registry_survives_kill_9_and_sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Binary::spawn(dir.path());
    aws_blocking(&first.ready, &["create-thing", "--thing-name", "kept"]);
    let rule = r#"{"sql": "SELECT * FROM 'kept/+'", "ruleDisabled": true, "actions": []}"#;
    let create_rule = ["create-topic-rule", "--rule-name", "kept_rule"];
    aws_blocking(
        &first.ready,
        &[&create_rule[..], &["--topic-rule-payload", rule]].concat(),
    );
    let cert = aws_blocking(
        &first.ready,
        &["create-keys-and-certificate", "--set-as-active"],
    );
    let id = cert["certificateId"].as_str().unwrap().to_string();
    let ca_before = std::fs::read_to_string(&first.ready.root_ca_path).unwrap();
    first.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    first.child.wait().unwrap();

    let mut second = Binary::spawn(dir.path());
    assert_eq!(
        second.ready.data_ats_endpoint,
        first.ready.data_ats_endpoint
    );
    assert_eq!(
        std::fs::read_to_string(&second.ready.root_ca_path).unwrap(),
        ca_before
    );
    let thing = aws_blocking(&second.ready, &["describe-thing", "--thing-name", "kept"]);
    assert_eq!(thing["thingName"], "kept");
    let rule = aws_blocking(
        &second.ready,
        &["get-topic-rule", "--rule-name", "kept_rule"],
    );
    assert_eq!(rule["rule"]["sql"], "SELECT * FROM 'kept/+'");
    assert_eq!(rule["rule"]["ruleDisabled"], true);
    let described = aws_blocking(
        &second.ready,
        &["describe-certificate", "--certificate-id", &id],
    );
    assert_eq!(described["certificateDescription"]["status"], "ACTIVE");
    let next = aws_blocking(&second.ready, &["create-keys-and-certificate"]);
    assert_ne!(
        next["certificateId"], cert["certificateId"],
        "a restart must not repeat keys"
    );

    let pid = second.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = second.child.wait().unwrap();
    assert!(exit.success(), "SIGTERM should exit 0, got {exit:?}");
}

/// Writes that share an fsync (group commit) are each acknowledged only once on disk:
/// every thing boto3 saw created from 16 threads survives a `kill -9` dealt mid-stream.
#[test]
fn acknowledged_concurrent_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Binary::spawn(dir.path());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/py/concurrent_creates.py"
    );
    let mut cmd = Command::new(venv().join("bin/python"));
    aws_env(&mut cmd);
    let mut writers = cmd
        .args([script, &first.ready.api_url])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python");
    let mut lines = BufReader::new(writers.stdout.take().unwrap()).lines();
    let mut acknowledged = BTreeSet::new();
    while acknowledged.len() < 200 {
        let line = lines.next().expect("the writers stopped early").unwrap();
        acknowledged.insert(line);
    }
    first.child.kill().unwrap(); // while the 16 writers are still going
    first.child.wait().unwrap();
    acknowledged.extend(lines.map(Result::unwrap));
    assert!(writers.wait().unwrap().success());

    let second = Binary::spawn(dir.path());
    let listed = aws_blocking(&second.ready, &["list-things"]);
    let kept: BTreeSet<String> = listed["things"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["thingName"].as_str().unwrap().to_string())
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&kept).collect();
    assert!(lost.is_empty(), "acknowledged, then lost: {lost:?}");
}
