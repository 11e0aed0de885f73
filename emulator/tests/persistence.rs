//! The real binary keeps its registry across restarts, `kill -9` included, and exits 0
//! on SIGTERM.

mod common;

use std::process::Command;

use common::{aws_blocking, Binary};

#[test]
fn registry_survives_kill_9_and_sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Binary::spawn(dir.path());
    aws_blocking(&first.ready, &["create-thing", "--thing-name", "kept"]);
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
