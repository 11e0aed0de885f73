//! `iot-emulator env` prints exports that let the unmodified aws CLI reach a running
//! instance with no `--endpoint-url`.

mod common;

use std::process::Command;

use common::venv;

#[test]
fn eval_of_env_points_the_aws_cli_at_the_instance() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, ready) = common::spawn_binary(dir.path());
    let exe = env!("CARGO_BIN_EXE_iot-emulator");
    let script = format!(
        "set -e; eval \"$('{exe}' --data-dir '{}' env)\"; \
         '{}' iot create-thing --thing-name from-env >/dev/null; \
         '{}' iot list-things; echo \"CA=$IOT_EMULATOR_ROOT_CA\"",
        dir.path().display(),
        venv().join("bin/aws").display(),
        venv().join("bin/aws").display(),
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"thingName\": \"from-env\""), "{stdout}");
    assert!(
        stdout.contains(&format!("CA={}", ready.root_ca_path)),
        "{stdout}"
    );
}
