//! `iot-emulator trust`, tested without touching the machine the tests run on: once in a
//! scratch root (the hidden `--root`: files only, no tool run), and once for real, whole
//! recipe and AWS-pointed device code included, inside private mount and network
//! namespaces where /etc/hosts and the trust store are scratch copies.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{venv, TestCa};

const EXE: &str = env!("CARGO_BIN_EXE_iot-emulator");
const HOSTS: &str = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n";
const DATA: &str = "abc123-ats.iot.cn-north-1.amazonaws.com.cn";
const CREDS: &str = "def456.credentials.iot.cn-north-1.amazonaws.com.cn";
const JOBS: &str = "abc123.jobs.iot.cn-north-1.amazonaws.com.cn";

/// A scratch root with a Debian-style store and a ready file whose MQTT listener is
/// also on 0.0.0.0:443, whose credentials provider is on 127.0.0.2:443 and whose iot:Jobs
/// endpoint is on 127.0.0.3:443.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("usr/local/share/ca-certificates")).unwrap();
    std::fs::write(root.join("etc/hosts"), HOSTS).unwrap();
    std::fs::write(root.join("root-ca.pem"), TestCa::new("Emulator Root").pem).unwrap();
    let ready = serde_json::json!({
        "api_url": "http://127.0.0.1:4566", "mqtt_host": "127.0.0.1", "mqtt_port": 8883,
        "mqtt_addrs": ["127.0.0.1:8883", "0.0.0.0:443"],
        "credentials_url": "https://127.0.0.2:443",
        "jobs_url": "https://127.0.0.3:443", "jobs_endpoint": JOBS,
        "root_ca_path": root.join("root-ca.pem"), "region": "cn-north-1",
        "account_id": "123456789012", "data_ats_endpoint": DATA,
        "credentials_endpoint": CREDS, "data_dir": null,
    });
    let ready_path = root.join("ready.json");
    std::fs::write(&ready_path, ready.to_string()).unwrap();
    (dir, ready_path)
}

fn trust(root: &Path, ready: &Path, flags: &[&str], as_nobody: bool) -> (bool, String) {
    let mut cmd = if as_nobody {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", EXE]);
        c
    } else {
        Command::new(EXE)
    };
    let out = cmd
        .arg("trust")
        .args(flags)
        .arg("--ready")
        .arg(ready)
        .arg("--root")
        .arg(root)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn anchors(root: &Path) -> Vec<String> {
    let dir = root.join("usr/local/share/ca-certificates");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

#[test]
fn a_scratch_root_gets_the_ca_and_hosts_once_and_loses_exactly_them() {
    let (dir, ready) = scratch();
    let root = dir.path();
    let (ok, out) = trust(root, &ready, &["--hosts"], false);
    assert!(ok, "{out}");
    let [anchor] = anchors(root).try_into().expect("one anchor");
    assert!(anchor.starts_with("iot-emulator-") && anchor.ends_with(".crt"));
    let installed =
        std::fs::read_to_string(root.join("usr/local/share/ca-certificates").join(&anchor));
    assert_eq!(
        installed.unwrap(),
        std::fs::read_to_string(root.join("root-ca.pem")).unwrap()
    );
    let data_line = format!("127.0.0.1 {DATA} # added by iot-emulator trust");
    let creds_line = format!("127.0.0.2 {CREDS} # added by iot-emulator trust");
    let jobs_line = format!("127.0.0.3 {JOBS} # added by iot-emulator trust");
    let hosts = std::fs::read_to_string(root.join("etc/hosts")).unwrap();
    assert_eq!(
        hosts,
        format!("{HOSTS}{data_line}\n{creds_line}\n{jobs_line}\n")
    );
    for said in [
        &format!(
            "added {}",
            root.join("usr/local/share/ca-certificates")
                .join(&anchor)
                .display()
        ),
        &data_line,
        &creds_line,
        &jobs_line,
        &"skipped `update-ca-certificates`: scratch root".to_string(),
    ] {
        assert!(out.contains(said.as_str()), "{said}: {out}");
    }

    // Idempotent: nothing changes, and it says so.
    let (ok, again) = trust(root, &ready, &["--hosts"], false);
    assert!(
        ok && again.contains("unchanged") && !again.contains("added"),
        "{again}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("etc/hosts")).unwrap(),
        hosts
    );
    assert_eq!(anchors(root).len(), 1);

    // Without the rights to write, it refuses, names what it needed, and changes nothing.
    let as_nobody = is_root();
    if !as_nobody {
        std::fs::set_permissions(
            root.join("etc/hosts"),
            std::fs::Permissions::from_mode(0o444),
        )
        .unwrap();
    }
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (ok, refused) = trust(root, &ready, &["--hosts", "--uninstall"], as_nobody);
    assert!(!ok, "{refused}");
    assert!(
        refused.contains("must write") && refused.contains("etc/hosts"),
        "{refused}"
    );
    assert!(
        refused.contains("Run it as root") && refused.contains("Nothing was changed"),
        "{refused}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("etc/hosts")).unwrap(),
        hosts
    );
    assert_eq!(anchors(root).len(), 1);
    std::fs::set_permissions(
        root.join("etc/hosts"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();

    // Uninstall removes exactly what was added; a person's lines stay.
    let (ok, removed) = trust(root, &ready, &["--hosts", "--uninstall"], false);
    assert!(ok, "{removed}");
    assert!(
        removed.contains(&format!(
            "removed from {}: {data_line}",
            root.join("etc/hosts").display()
        )),
        "{removed}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("etc/hosts")).unwrap(),
        HOSTS
    );
    assert!(anchors(root).is_empty());
}

/// A snapshot of what the namespace test must leave untouched on the host.
fn host_state() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        "/etc/hosts".to_string(),
        "/etc/ssl/certs/ca-certificates.crt".to_string(),
    ];
    if let Ok(dir) = std::fs::read_dir("/usr/local/share/ca-certificates") {
        files.extend(dir.map(|e| e.unwrap().path().display().to_string()));
    }
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap_or_default();
            (f, bytes)
        })
        .collect()
}

fn unshare(args: &[&str]) -> std::io::Result<Output> {
    Command::new("unshare")
        .args(["--map-root-user", "--mount", "--net"])
        .args(args)
        .output()
}

#[test]
fn aws_pointed_device_code_runs_unmodified_in_a_namespace() {
    let probe = unshare(&["true"]);
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        // Honest skip: without user namespaces nothing here could run without changing the host.
        eprintln!(
            "SKIPPED: `unshare --map-root-user --mount --net` is not permitted here: {probe:?}"
        );
        return;
    }
    if !Path::new("/usr/local/share/ca-certificates").is_dir() {
        // The script bind-mounts Debian's store; other families are covered by the
        // scratch-root test and the store detection unit test.
        eprintln!("SKIPPED: not a Debian-family host");
        return;
    }
    let before = host_state();
    let scratch = tempfile::tempdir().unwrap();
    std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut cmd = Command::new("unshare");
    common::aws_env(&mut cmd);
    cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
    let out = cmd
        .args(["--map-root-user", "--mount", "--net", "sh"])
        .arg(tests.join("sh/trust_netns.sh"))
        .arg(EXE)
        .arg(venv().join("bin/python"))
        .arg(tests.join("py/trust_device.py"))
        .arg(scratch.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.ends_with("== done\n"),
        "{stdout}\n{stderr}"
    );
    for said in [
        "ran update-ca-certificates",
        "via the system trust store: ok",
        ":443: ok",
        "jobs SUCCEEDED over https://",
        "443 untrusted: yes",
    ] {
        assert!(stdout.contains(said), "{said}: {stdout}");
    }
    assert!(
        before == host_state(),
        "the host's hosts file or trust store changed"
    );
}
