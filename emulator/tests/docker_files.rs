//! The container files stay in step with the binary: this machine has no Docker engine,
//! so the compose file is checked structurally (with PyYAML from the test venv) and the
//! Dockerfile's settings against the flags the binary really has.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

#[test]
fn compose_file_builds_publishes_the_ports_and_checks_health() {
    let check = r#"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
svc = doc["services"]["emulator"]
assert svc["build"] == ".", svc
ports = {p.split(":")[1].split()[0] for p in svc["ports"]}
assert ports == {"4566", "8883", "8443", "8444", "8884"}, ports
assert any(v.endswith(":/data") for v in svc["volumes"]), svc["volumes"]
assert "/_emulator/health" in " ".join(svc["healthcheck"]["test"])
print("ok")
"#;
    let out = Command::new(common::venv().join("bin/python"))
        .args(["-c", check])
        .arg(repo("docker-compose.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn dockerfile_settings_are_real_flags() {
    let dockerfile = std::fs::read_to_string(repo("Dockerfile")).unwrap();
    let help = Command::new(env!("CARGO_BIN_EXE_iot-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let vars: Vec<&str> = dockerfile
        .split(|c: char| c.is_whitespace() || c == '=')
        .filter(|w| w.starts_with("IOT_EMULATOR_"))
        .collect();
    assert!(vars.len() >= 4, "{vars:?}");
    for var in vars {
        assert!(
            help.contains(&format!("env: {var}")),
            "{var} is not a flag's env var"
        );
    }
    assert!(dockerfile.contains("/_emulator/health"));
}
