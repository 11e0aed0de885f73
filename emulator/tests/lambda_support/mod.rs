//! Support for the Lambda tests: the deployment package made from `py/lambda_app.py`, the
//! aws CLI for any service, and the binary started with the user's own AWS_* variables.
#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{aws_env, run_command, venv, Binary, CliResult, TestEmulator};

pub const ROLE: &str = "arn:aws:iam::123456789012:role/lambda-role";

/// `--lambda-runtime python3.12=<venv python>`: the venv has boto3, as AWS's runtime does.
pub fn runtime_flag() -> String {
    format!("python3.12={}", venv().join("bin/python").display())
}

/// An in-process emulator whose python3.12 is the venv's interpreter.
pub async fn lambda_emulator() -> TestEmulator {
    let mut config = iot_emulator::Config::for_tests();
    config.lambda_runtimes = vec![runtime_flag()];
    TestEmulator::start_with(config).await
}

/// `tests/py/lambda_app.py` zipped as a deployment package; returns `fileb://<path>`.
pub fn package(dir: &Path) -> String {
    zipped(dir, "py/lambda_app.py", "lambda_app.py")
}

/// `tests/<source>` zipped as `<entry>` into `dir`; returns `fileb://<path>`.
pub fn zipped(dir: &Path, source: &str, entry: &str) -> String {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(source);
    let code = std::fs::read(&source).expect("function source");
    let path = dir.join(format!("{entry}.zip"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip file"));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file(entry, options).expect("zip entry");
    zip.write_all(&code).expect("zip write");
    zip.finish().expect("zip finish");
    format!("fileb://{}", path.display())
}

/// `aws <words of line> <extra…> --endpoint-url <api>`, off the async runtime.
pub async fn aws(api: &str, line: &str, extra: &[&str]) -> CliResult {
    let mut cmd = Command::new(venv().join("bin/aws"));
    aws_env(&mut cmd);
    cmd.args(line.split_whitespace())
        .args(extra)
        .args(["--endpoint-url", api]);
    run_command(cmd).await
}

/// `aws <args> --endpoint-url <api>` with aws CLI v2 (`/usr/bin/aws`, Debian's `awscli`,
/// which `scripts/setup-test-env` installs): `aws logs tail` exists only in v2.
pub async fn aws_v2(api: &str, args: &[&str]) -> CliResult {
    let mut cmd = Command::new("/usr/bin/aws");
    aws_env(&mut cmd);
    cmd.args(args).args(["--endpoint-url", api]);
    run_command(cmd).await
}

/// [`aws`], which must succeed; its JSON output.
pub async fn aws_ok(api: &str, line: &str, extra: &[&str]) -> Value {
    let out = aws(api, line, extra).await;
    assert!(out.success, "aws {line} {extra:?}: {}", out.stderr);
    out.json()
}

/// [`aws`], which must fail; the exception it printed.
pub async fn aws_err(api: &str, line: &str, extra: &[&str]) -> String {
    let out = aws(api, line, extra).await;
    assert!(
        !out.success,
        "aws {line} unexpectedly succeeded: {}",
        out.stdout
    );
    out.exception()
        .unwrap_or_else(|| panic!("no AWS error in: {}", out.stderr))
}

/// `aws lambda create-function` of the test package with `handler`, a 2 s timeout and
/// `GREETING=hello`.
pub async fn create_function(api: &str, dir: &Path, name: &str, handler: &str) -> Value {
    let line = format!(
        "lambda create-function --function-name {name} --runtime python3.12 --handler {handler} \
         --role {ROLE} --timeout 2 --environment Variables={{GREETING=hello}}"
    );
    aws_ok(api, &line, &["--zip-file", &package(dir)]).await
}

/// `aws lambda invoke`: the CLI's reply and the payload it wrote.
pub async fn invoke(
    api: &str,
    dir: &Path,
    name: &str,
    payload: Value,
    extra: &[&str],
) -> (Value, Value) {
    let out = dir.join("out.json").display().to_string();
    let line = format!("lambda invoke --function-name {name}");
    let payload = payload.to_string();
    let mut args = vec!["--payload", &payload];
    args.extend(extra);
    args.push(&out);
    let reply = aws_ok(api, &line, &args).await;
    let written = std::fs::read(&out).unwrap_or_default();
    (
        reply,
        serde_json::from_slice(&written).unwrap_or(Value::Null),
    )
}

/// The binary over a data dir, with the user's own AWS_* variables set around it.
pub fn spawn_with_user_env(data: &Path) -> Binary {
    use std::io::{BufRead, BufReader};
    let runtime = runtime_flag();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iot-emulator"))
        .args(["--api-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0"])
        .args([
            "--credentials-addr",
            "127.0.0.1:0",
            "--ws-addr",
            "127.0.0.1:0",
            "--jobs-addr",
            "127.0.0.1:0",
            "--lambda-runtime",
            &runtime,
        ])
        .arg("--data-dir")
        .arg(data)
        .env("AWS_LEAK_CANARY", "leaked")
        .env("AWS_PROFILE", "the-users-profile")
        .env("AWS_SECRET_ACCESS_KEY", "the-users-secret")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start iot-emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let ready = serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
    Binary { child, ready }
}
