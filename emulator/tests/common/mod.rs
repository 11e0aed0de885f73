//! Test support: an in-process emulator on port 0 and runners for the real clients
//! (the aws CLI and Python from the venv that `scripts/setup-test-env` builds).
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::{Command, Output};

use std::sync::OnceLock;

use iot_emulator::{Config, Running};
use serde_json::Value;

/// One emulator for the whole test binary, on a runtime of its own, started with
/// `config()` on first use; later calls get the same one.
pub fn shared_emulator(config: impl FnOnce() -> Config) -> &'static Running {
    static SHARED: OnceLock<(Running, tokio::runtime::Runtime)> = OnceLock::new();
    let (running, _) = SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let running = runtime
            .block_on(iot_emulator::start(config()))
            .expect("emulator starts");
        (running, runtime)
    });
    running
}

/// A started emulator plus client helpers.
pub struct TestEmulator {
    pub running: Running,
}

impl TestEmulator {
    /// In memory, every port ephemeral.
    pub async fn start() -> Self {
        Self::start_with(Config::for_tests()).await
    }

    /// In memory with a fixed seed (and therefore a frozen clock).
    pub async fn seeded(seed: u64) -> Self {
        let mut config = Config::for_tests();
        config.seed = Some(seed);
        Self::start_with(config).await
    }

    pub async fn start_with(config: Config) -> Self {
        let running = iot_emulator::start(config).await.expect("emulator starts");
        TestEmulator { running }
    }

    pub fn api_url(&self) -> &str {
        &self.running.ready.api_url
    }

    /// Moves the emulator clock forward (seeded emulators; `/_emulator/clock/advance`).
    pub async fn advance_clock(&self, seconds: u64) {
        let url = format!(
            "{}/_emulator/clock/advance?seconds={seconds}",
            self.api_url()
        );
        let response = reqwest::Client::new()
            .post(url)
            .send()
            .await
            .expect("clock advance");
        assert!(response.status().is_success());
    }

    /// Runs `aws iot <args>` against this emulator (off the async runtime).
    pub async fn aws(&self, args: &[&str]) -> CliResult {
        let url = self.api_url().to_string();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || run_aws(&url, &args))
            .await
            .expect("aws CLI task")
    }

    /// Runs `aws iot <args>` and parses the JSON it prints; panics on failure.
    pub async fn aws_ok(&self, args: &[&str]) -> Value {
        let out = self.aws(args).await;
        assert!(out.success, "aws iot {args:?} failed: {}", out.stderr);
        out.json()
    }

    /// Runs `aws iot <args>` expecting failure; returns the exception name it printed.
    /// The account's registration code (GetRegistrationCode through the aws CLI).
    pub async fn registration_code(&self) -> String {
        self.aws_ok(&["get-registration-code"]).await["registrationCode"]
            .as_str()
            .expect("registration code")
            .to_string()
    }

    pub async fn aws_err(&self, args: &[&str]) -> String {
        let out = self.aws(args).await;
        assert!(
            !out.success,
            "aws iot {args:?} unexpectedly succeeded: {}",
            out.stdout
        );
        out.exception()
            .unwrap_or_else(|| panic!("no AWS error in: {}", out.stderr))
    }

    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }
}

/// What one CLI call printed.
#[derive(Debug, Clone)]
pub struct CliResult {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl CliResult {
    pub fn json(&self) -> Value {
        if self.stdout.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("CLI output is not JSON ({e}): {}", self.stdout))
    }

    /// The `XxxException` of "An error occurred (XxxException) when calling ...".
    pub fn exception(&self) -> Option<String> {
        let start = self.stderr.find("An error occurred (")? + "An error occurred (".len();
        let end = self.stderr[start..].find(')')? + start;
        Some(self.stderr[start..end].to_string())
    }
}

/// The real binary on ephemeral ports over a data dir; killed when dropped, so a failed
/// assertion never leaves it running.
pub struct Binary {
    pub child: std::process::Child,
    pub ready: iot_emulator::ReadyInfo,
}

impl Binary {
    pub fn spawn(data_dir: &std::path::Path) -> Self {
        let (child, ready) = spawn_binary(data_dir);
        Binary { child, ready }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `aws iot <args>` against `ready`'s API, blocking; panics unless it succeeds.
pub fn aws_blocking(ready: &iot_emulator::ReadyInfo, args: &[&str]) -> Value {
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

/// The real binary, started on ephemeral ports over `data_dir`, and its ready line.
pub fn spawn_binary(data_dir: &std::path::Path) -> (std::process::Child, iot_emulator::ReadyInfo) {
    spawn_binary_with(data_dir, &[])
}

/// [`spawn_binary`] with further flags.
pub fn spawn_binary_with(
    data_dir: &std::path::Path,
    flags: &[&str],
) -> (std::process::Child, iot_emulator::ReadyInfo) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_iot-emulator"))
        .args(["--api-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0"])
        .args([
            "--credentials-addr",
            "127.0.0.1:0",
            "--ws-addr",
            "127.0.0.1:0",
            "--jobs-addr",
            "127.0.0.1:0",
        ])
        .args(flags)
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start iot-emulator");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let ready = serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
    (child, ready)
}

/// The venv the test command built.
pub fn venv() -> PathBuf {
    if let Some(dir) = std::env::var_os("IOT_EMULATOR_VENV") {
        return PathBuf::from(dir);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv");
    assert!(
        dir.join("bin/aws").exists(),
        "the real-client venv is missing: run `scripts/test` (or scripts/setup-test-env) first"
    );
    dir
}

/// Environment for an offline aws CLI / boto3 with dummy credentials.
pub fn aws_env(cmd: &mut Command) {
    cmd.env("AWS_ACCESS_KEY_ID", "AKIAEMULATOR000000001")
        .env("AWS_SECRET_ACCESS_KEY", "emulator-secret")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE");
}

fn run_aws(url: &str, args: &[String]) -> CliResult {
    let mut cmd = Command::new(venv().join("bin/aws"));
    aws_env(&mut cmd);
    cmd.arg("iot").args(args).arg("--endpoint-url").arg(url);
    into_result(cmd.output().expect("run the aws CLI"))
}

/// Runs `cmd` off the async runtime; what it printed.
pub async fn run_command(mut cmd: Command) -> CliResult {
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run a client command"))
        .await
        .expect("client command task");
    into_result(out)
}

/// Runs `aws <args>` in `dir` as a user of `iot-emulator env` does: every service reaches
/// the emulator at `url` through `AWS_ENDPOINT_URL`, not `--endpoint-url`.
pub fn aws_at(url: &str, dir: &std::path::Path, args: &[&str]) -> CliResult {
    let mut cmd = Command::new(venv().join("bin/aws"));
    aws_env(&mut cmd);
    cmd.env("AWS_ENDPOINT_URL", url).current_dir(dir).args(args);
    into_result(cmd.output().expect("run the aws CLI"))
}

/// [`aws_at`] off the async runtime.
pub async fn aws_at_async(url: &str, dir: &std::path::Path, args: &[&str]) -> CliResult {
    let (url, dir) = (url.to_string(), dir.to_path_buf());
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        aws_at(&url, &dir, &refs)
    })
    .await
    .expect("aws task")
}

/// Runs a Python script from `tests/py` with the venv's interpreter.
pub fn run_python(script: &str, args: &[&str]) -> CliResult {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/py")
        .join(script);
    let mut cmd = Command::new(venv().join("bin/python"));
    aws_env(&mut cmd);
    cmd.arg(path).args(args);
    into_result(cmd.output().expect("run python"))
}

/// Runs scenario `name` of `tests/py/<script>` against `ready` with the JSON options
/// the scenario scripts take (`api`, `host`, `port`, `ca`, `prefix`); panics unless it
/// ends with `done`, and returns the JSON line it printed first.
pub fn python_scenario(
    script: &str,
    name: &str,
    ready: &iot_emulator::ReadyInfo,
    prefix: &str,
) -> Value {
    let options = serde_json::json!({
        "api": ready.api_url,
        "host": ready.mqtt_host,
        "port": ready.mqtt_port,
        "ca": ready.root_ca_path,
        "jobs": ready.jobs_url,
        "prefix": prefix,
    });
    let out = run_python(script, &[name, &options.to_string()]);
    assert!(
        out.success && out.stdout.ends_with("done\n"),
        "{script} {name} failed:\n{}{}",
        out.stdout,
        out.stderr
    );
    let line = out.stdout.lines().next().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

/// [`run_python`] off the async runtime.
pub async fn run_python_async(script: &'static str, args: Vec<String>) -> CliResult {
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run_python(script, &refs)
    })
    .await
    .expect("python task")
}

fn into_result(out: Output) -> CliResult {
    CliResult {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes `contents` into a fresh temp file and returns a `file://` argument for it.
pub fn file_arg(dir: &tempfile::TempDir, name: &str, contents: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write fixture");
    format!("file://{}", path.display())
}

/// Path of a file under the repository's `fixtures/`.
pub fn fixture(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel);
    format!("file://{}", path.display())
}

/// A private CA from the test-PKI generator (`fixtures/pki`), as a user would make one
/// with openssl.
pub struct TestCa {
    pub pem: String,
    pub ca: test_pki::Ca,
}

impl TestCa {
    pub fn new(common_name: &str) -> Self {
        let ca = test_pki::Ca::generate(common_name).expect("test CA");
        TestCa {
            pem: ca.issued.cert_pem.clone(),
            ca,
        }
    }

    /// A leaf certificate with subject CN `common_name`, signed by this CA; returns
    /// `(certificate PEM, private key PEM)`.
    pub fn leaf(&self, common_name: &str) -> (String, String) {
        let subject = test_pki::DeviceSubject::named(common_name);
        let issued = self.ca.device(&subject).expect("leaf cert");
        (issued.cert_pem, issued.key_pem)
    }
}

/// Registers `ca` ACTIVE with a verification certificate (CN = the registration code),
/// as a user does with openssl and the aws CLI, plus `extra` flags; returns its id.
pub async fn register_ca(
    emu: &TestEmulator,
    dir: &tempfile::TempDir,
    ca: &TestCa,
    extra: &[&str],
) -> String {
    let code = emu.registration_code().await;
    let (verification, _) = ca.leaf(&code);
    let ca_arg = file_arg(dir, "rootCA.pem", &ca.pem);
    let ver_arg = file_arg(dir, "verificationCert.pem", &verification);
    let mut args = vec![
        "register-ca-certificate",
        "--ca-certificate",
        &ca_arg,
        "--verification-cert",
        &ver_arg,
        "--set-as-active",
    ];
    args.extend(extra);
    emu.aws_ok(&args).await["certificateId"]
        .as_str()
        .expect("CA id")
        .to_string()
}

/// Runs `script` with bash (`-euo pipefail`) in `dir`, as a user types commands such as
/// openssl's, with `env` set; returns stdout and panics with both streams on failure.
pub fn sh(dir: &std::path::Path, script: &str, env: &[(&str, &str)]) -> String {
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .expect("run bash");
    let result = into_result(out);
    assert!(
        result.success,
        "{script}\nstdout: {}\nstderr: {}",
        result.stdout, result.stderr
    );
    result.stdout
}

/// Whether the PEM certificate at `path` is X.509 v1 (`openssl x509 -req` without an
/// extension file, which AWS IoT accepts).
pub fn is_x509_v1(dir: &std::path::Path, path: &str) -> bool {
    let text = sh(dir, &format!("openssl x509 -in {path} -noout -text"), &[]);
    text.contains("Version: 1 (0x0)")
}
