//! The real binary keeps its registry across restarts, `kill -9` included, and exits 0
//! on SIGTERM.

mod common;

use std::path::Path;
use std::process::{Child, Command};

use common::{aws_env, venv};
use iot_emulator::ReadyInfo;
use serde_json::Value;

struct Process {
    child: Child,
    ready: ReadyInfo,
}

/// Starts the binary on ephemeral ports and waits for its ready line on stdout.
fn spawn(data_dir: &Path) -> Process {
    let (child, ready) = common::spawn_binary(data_dir);
    Process { child, ready }
}

fn aws(ready: &ReadyInfo, args: &[&str]) -> Value {
    let mut cmd = Command::new(venv().join("bin/aws"));
    aws_env(&mut cmd);
    let out = cmd
        .arg("iot")
        .args(args)
        .args(["--endpoint-url", &ready.api_url])
        .output()
        .expect("aws CLI");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "aws iot {args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

#[test]
fn registry_survives_kill_9_and_sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = spawn(dir.path());
    aws(&first.ready, &["create-thing", "--thing-name", "kept"]);
    let cert = aws(
        &first.ready,
        &["create-keys-and-certificate", "--set-as-active"],
    );
    let id = cert["certificateId"].as_str().unwrap().to_string();
    let ca_before = std::fs::read_to_string(&first.ready.root_ca_path).unwrap();
    first.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    first.child.wait().unwrap();

    let mut second = spawn(dir.path());
    assert_eq!(
        second.ready.data_ats_endpoint,
        first.ready.data_ats_endpoint
    );
    assert_eq!(
        std::fs::read_to_string(&second.ready.root_ca_path).unwrap(),
        ca_before
    );
    let thing = aws(&second.ready, &["describe-thing", "--thing-name", "kept"]);
    assert_eq!(thing["thingName"], "kept");
    let described = aws(
        &second.ready,
        &["describe-certificate", "--certificate-id", &id],
    );
    assert_eq!(described["certificateDescription"]["status"], "ACTIVE");
    let next = aws(&second.ready, &["create-keys-and-certificate"]);
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
