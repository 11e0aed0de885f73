//! iot-data's shadow operations over HTTP: boto3 (with a device listening on MQTT, which
//! must get the HTTP update's delta) and the aws CLI.

use std::process::Command;

use serde_json::{json, Value};

use super::common::{self, CliResult};
use super::{device_args, on, provision, python, shared, stamped, T};

#[test]
fn boto3_shadow_operations_and_an_http_update_reaching_the_device() {
    let running = shared();
    let thing = "shadow-http-boto3";
    let device = provision(&running.ready, thing);
    let mut args = vec![running.ready.api_url.clone()];
    args.extend(device_args(&running.ready, &device, thing));
    let got = python("shadow_http.py", &args);
    let calls = &got["calls"];
    let error = |code: &str, status: u16, message: &str| json!({"error": code, "status": status, "message": message});
    assert_eq!(
        calls["get_missing"],
        error(
            "ResourceNotFoundException",
            404,
            &format!("No shadow exists with name: '{thing}'")
        )
    );
    let desired = json!({"fan": "high", "temp": 21});
    let accepted = json!({"state": {"desired": desired}, "metadata": {"desired": stamped(&desired)},
                          "version": 1, "timestamp": T, "clientToken": "http-1"});
    assert_eq!(calls["update"], accepted);
    assert_eq!(
        calls["get"],
        json!({"state": {"desired": desired, "delta": desired}, "metadata": {"desired": stamped(&desired)},
               "version": 1, "timestamp": T})
    );
    assert_eq!(
        calls["conflict"],
        error("ConflictException", 409, "Version conflict")
    );
    assert_eq!(
        calls["bad_json"],
        error("InvalidRequestException", 400, "Invalid JSON")
    );
    assert_eq!(
        calls["missing_state"],
        error(
            "InvalidRequestException",
            400,
            "Missing required node: state"
        )
    );
    assert_eq!(
        calls["too_large"],
        error(
            "RequestEntityTooLargeException",
            413,
            "The payload exceeds the maximum size allowed"
        )
    );
    assert_eq!(
        calls["too_deep"],
        error(
            "InvalidRequestException",
            400,
            "JSON contains too many levels of nesting; maximum is 6"
        )
    );
    assert_eq!(calls["bad_name"]["error"], "InvalidRequestException");
    assert_eq!(
        calls["list_pages"],
        json!([["n1", "n2"], true, ["n3"], false])
    );
    assert_eq!(calls["list_unknown"]["results"], json!([]));
    assert_eq!(calls["list_unknown"]["timestamp"], T);
    assert_eq!(calls["delete_named"], json!({"version": 1, "timestamp": T}));
    assert_eq!(
        calls["get_named_deleted"],
        error(
            "ResourceNotFoundException",
            404,
            "No shadow exists with name: 'n2'"
        )
    );
    assert_eq!(calls["delete"], json!({"version": 1, "timestamp": T}));
    assert_eq!(calls["delete_again"]["status"], 404);
    // The device saw the HTTP update as an MQTT one's.
    let p = format!("$aws/things/{thing}/shadow");
    let received = &got["received"];
    assert_eq!(
        on(received, &format!("{p}/update/accepted")),
        vec![accepted]
    );
    assert_eq!(
        on(received, &format!("{p}/update/delta")),
        vec![
            json!({"version": 1, "timestamp": T, "state": desired, "metadata": stamped(&desired), "clientToken": "http-1"})
        ]
    );
    assert_eq!(on(received, &format!("{p}/update/documents")).len(), 1);
    assert_eq!(
        on(received, &format!("{p}/delete/accepted")),
        vec![json!({"version": 1, "timestamp": T})]
    );
}

/// `aws iot-data <args>` (the venv's aws CLI v1) against the shared emulator.
fn aws_data(args: &[&str]) -> CliResult {
    aws_data_at(&shared().ready.api_url, args)
}

fn read(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).expect("outfile");
    serde_json::from_str(&text).expect("JSON outfile")
}

#[test]
fn aws_cli_get_update_delete_and_list_named_shadows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.json");
    let outfile = out.display().to_string();
    let thing = "shadow-http-cli";
    let missing = aws_data(&["get-thing-shadow", "--thing-name", thing, &outfile]);
    assert!(
        !missing.success && missing.stderr.contains("(ResourceNotFoundException)"),
        "{}",
        missing.stderr
    );
    let payload = r#"{"state":{"reported":{"mode":"eco"}}}"#;
    for name in [None, Some("cfg")] {
        let mut args = vec![
            "update-thing-shadow",
            "--thing-name",
            thing,
            "--payload",
            payload,
        ];
        if let Some(name) = name {
            args.extend(["--shadow-name", name]);
        }
        args.push(&outfile);
        let result = aws_data(&args);
        assert!(result.success, "{}", result.stderr);
        assert_eq!(read(&out)["version"], 1);
    }
    let result = aws_data(&[
        "get-thing-shadow",
        "--thing-name",
        thing,
        "--shadow-name",
        "cfg",
        &outfile,
    ]);
    assert!(result.success, "{}", result.stderr);
    let reported = json!({"mode": "eco"});
    assert_eq!(
        read(&out),
        json!({"state": {"reported": reported}, "metadata": {"reported": stamped(&reported)}, "version": 1, "timestamp": T})
    );
    let listed = aws_data(&["list-named-shadows-for-thing", "--thing-name", thing]);
    assert!(listed.success, "{}", listed.stderr);
    assert_eq!(listed.json()["results"], json!(["cfg"]));
    let result = aws_data(&["delete-thing-shadow", "--thing-name", thing, &outfile]);
    assert!(result.success, "{}", result.stderr);
    assert_eq!(read(&out), json!({"version": 1, "timestamp": T}));
    let gone = aws_data(&["get-thing-shadow", "--thing-name", thing, &outfile]);
    assert!(
        gone.stderr.contains("No shadow exists with name"),
        "{}",
        gone.stderr
    );
    let conflict = aws_data(&[
        "update-thing-shadow",
        "--thing-name",
        thing,
        "--shadow-name",
        "cfg",
        "--payload",
        r#"{"state":{},"version":9}"#,
        &outfile,
    ]);
    assert!(
        conflict.stderr.contains("(ConflictException)"),
        "{}",
        conflict.stderr
    );
}

/// `aws iot-data <args>` against the emulator at `api_url`.
fn aws_data_at(api_url: &str, args: &[&str]) -> CliResult {
    let mut cmd = Command::new(common::venv().join("bin/aws"));
    common::aws_env(&mut cmd);
    cmd.arg("iot-data")
        .args(args)
        .args(["--endpoint-url", api_url]);
    let out = cmd.output().expect("aws CLI");
    CliResult {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn an_acknowledged_update_survives_kill_9_and_versions_carry_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.json");
    let outfile = out.display().to_string();
    let data = dir.path().join("data");
    let mut binary = common::Binary::spawn(&data);
    let payload = r#"{"state":{"desired":{"on":true}}}"#;
    for name in ["a", "b"] {
        let args = [
            "update-thing-shadow",
            "--thing-name",
            "durable",
            "--shadow-name",
            name,
            "--payload",
            payload,
            &outfile,
        ];
        let result = aws_data_at(&binary.ready.api_url, &args);
        assert!(result.success, "{}", result.stderr);
    }
    let result = aws_data_at(
        &binary.ready.api_url,
        &[
            "delete-thing-shadow",
            "--thing-name",
            "durable",
            "--shadow-name",
            "b",
            &outfile,
        ],
    );
    assert!(result.success, "{}", result.stderr);
    binary.child.kill().expect("kill -9");
    let _ = binary.child.wait();
    let binary = common::Binary::spawn(&data);
    let api = &binary.ready.api_url;
    let result = aws_data_at(
        api,
        &[
            "get-thing-shadow",
            "--thing-name",
            "durable",
            "--shadow-name",
            "a",
            &outfile,
        ],
    );
    assert!(result.success, "{}", result.stderr);
    let doc = read(&out);
    assert_eq!(
        (doc["version"].clone(), doc["state"]["desired"].clone()),
        (json!(1), json!({"on": true}))
    );
    let listed = aws_data_at(
        api,
        &["list-named-shadows-for-thing", "--thing-name", "durable"],
    );
    assert_eq!(listed.json()["results"], json!(["a"]));
    // The deleted shadow's version carries over after the restart.
    let args = [
        "update-thing-shadow",
        "--thing-name",
        "durable",
        "--shadow-name",
        "b",
        "--payload",
        payload,
        &outfile,
    ];
    assert!(aws_data_at(api, &args).success);
    assert_eq!(read(&out)["version"], 2);
}
