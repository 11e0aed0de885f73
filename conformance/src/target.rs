//! Targets: `CONFORMANCE_TARGET=emulator|external|aws` (emulator when unset).
//! - emulator: `iot_emulator::start(Config::for_tests())` in process, every port 0;
//! - external: a running emulator, from `CONFORMANCE_READY_FILE` (its `ready.json`) or
//!   from the `iot-emulator env` exports;
//! - aws: real AWS from the standard variables; skipped, never failed, when they are
//!   missing.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Which kind of target a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Emulator,
    External,
    Aws,
}

/// Credentials for the control plane: dummy ones for an emulator.
#[derive(Debug, Clone)]
pub struct ControlCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// Everything a case needs to reach a target.
pub struct Target {
    pub kind: TargetKind,
    /// The control-plane URL; `None` means the SDK's own AWS endpoint.
    pub api_url: Option<String>,
    pub region: String,
    pub credentials: ControlCredentials,
    /// MQTT endpoint and port; `None` until resolved (AWS: DescribeEndpoint).
    pub mqtt_host: Option<String>,
    pub mqtt_port: u16,
    /// PEM of the CA that signed the server certificates.
    pub ca_pem: String,
    /// The credentials provider, `https://host:port`; `None` until resolved.
    pub credentials_url: Option<String>,
    /// The role templates name in `provisioningRoleArn`.
    pub provisioning_role_arn: String,
    /// The account in ARNs (AWS: the provisioning role's account).
    pub account_id: String,
    /// Prefix for every resource a case creates; empty in process.
    pub prefix: String,
    running: Option<iot_emulator::Running>,
    shared: bool,
}

/// A pre-provisioning hook ARN the shared in-process emulator binds to a command that
/// allows provisioning (a stand-in for a Lambda; other targets would need a real one).
pub const ALLOWING_HOOK_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:conformance-allow";
/// As [`ALLOWING_HOOK_ARN`], bound to a command that refuses.
pub const REFUSING_HOOK_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:conformance-refuse";

/// The configuration of the shared in-process emulator: ports 0, in memory, and the two
/// hooks above bound.
fn shared_config() -> iot_emulator::Config {
    let mut config = iot_emulator::Config::for_tests();
    config.hooks = vec![
        format!(r#"{ALLOWING_HOOK_ARN}=echo '{{"allowProvisioning": true}}'"#),
        format!(r#"{REFUSING_HOOK_ARN}=echo '{{"allowProvisioning": false}}'"#),
    ];
    config.lambda_runtimes = vec![format!("python3.12={}", lambda_python().display())];
    config
}

/// The interpreter of the in-process emulator's Python functions: the test venv's (it
/// has boto3, as AWS's runtime does).
fn lambda_python() -> std::path::PathBuf {
    venv().join("bin/python")
}

/// The test venv (the real Python clients, the aws CLI): `IOT_EMULATOR_VENV`, or the
/// repository's `.venv`.
pub fn venv() -> std::path::PathBuf {
    std::env::var_os("IOT_EMULATOR_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv"))
}

/// The ready information of this process's shared in-process emulator, started on
/// first use on a runtime of its own (each `#[tokio::test]` has a runtime that ends
/// with the test) and left running until the process exits.
fn shared_ready() -> &'static Value {
    static READY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    READY.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime for the shared emulator");
            runtime.block_on(async move {
                let running = iot_emulator::start(shared_config())
                    .await
                    .expect("the in-process emulator starts");
                let ready = serde_json::to_value(&running.ready).expect("ready info is JSON");
                let _ = tx.send(ready);
                std::future::pending::<()>().await;
            });
        });
        rx.recv().expect("the shared emulator started")
    })
}

const DUMMY_ROLE: &str = "arn:aws:iam::123456789012:role/ConformanceProvisioning";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn dummy_credentials() -> ControlCredentials {
    ControlCredentials {
        access_key_id: "AKIAEMULATOR00000000".into(),
        secret_access_key: "emulator-secret-access-key".into(),
        session_token: None,
    }
}

/// A prefix no earlier run and no other case of this run uses: `conf<base 36>_` of the
/// milliseconds since the epoch times 1024 plus a per-process counter (cases run in
/// parallel and may start in the same millisecond).
fn unique_prefix() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1024;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut ms = now * 1024 + u128::from(n);
    let mut digits = Vec::new();
    while ms > 0 {
        digits.push(std::char::from_digit((ms % 36) as u32, 36).unwrap_or('0'));
        ms /= 36;
    }
    format!("conf{}_", digits.iter().rev().collect::<String>())
}

impl Target {
    /// The target the environment asks for, or `None` (with a message) to skip. The
    /// in-process emulator is one per test binary, shared by its cases (each with its
    /// own name prefix, as against an external emulator).
    pub async fn from_env() -> Option<Target> {
        match env("CONFORMANCE_TARGET").as_deref() {
            None | Some("emulator") => {
                let mut target = Self::from_ready(shared_ready(), TargetKind::Emulator);
                target.shared = true;
                Some(target)
            }
            other => Self::elsewhere(other),
        }
    }

    /// As [`Target::from_env`], but in process a fresh emulator of its own whose
    /// configuration `configure` adjusts (a seed, hook bindings), with bare names.
    pub async fn from_env_with(
        configure: impl FnOnce(&mut iot_emulator::Config),
    ) -> Option<Target> {
        match env("CONFORMANCE_TARGET").as_deref() {
            None | Some("emulator") => {
                let mut config = iot_emulator::Config::for_tests();
                configure(&mut config);
                Some(Self::in_process(config).await)
            }
            other => Self::elsewhere(other),
        }
    }

    fn elsewhere(kind: Option<&str>) -> Option<Target> {
        match kind {
            Some("external") => Some(Self::external()),
            Some("aws") => Self::aws(),
            other => panic!("CONFORMANCE_TARGET={other:?}: use emulator, external or aws"),
        }
    }

    /// Whether the target is the in-process emulator shared by this binary's cases.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// A fresh in-process emulator (ports 0 in `config`).
    pub async fn in_process(config: iot_emulator::Config) -> Target {
        let running = iot_emulator::start(config)
            .await
            .expect("the in-process emulator starts");
        let ready = serde_json::to_value(&running.ready).expect("ready info is JSON");
        let mut target = Self::from_ready(&ready, TargetKind::Emulator);
        target.prefix = String::new();
        target.running = Some(running);
        target
    }

    fn external() -> Target {
        if let Some(file) = env("CONFORMANCE_READY_FILE") {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("CONFORMANCE_READY_FILE {file}: {e}"));
            let ready: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("CONFORMANCE_READY_FILE {file}: {e}"));
            return Self::from_ready(&ready, TargetKind::External);
        }
        let need = |name: &str| {
            env(name).unwrap_or_else(|| {
                panic!("external target: set CONFORMANCE_READY_FILE, or {name} (eval \"$(iot-emulator env)\")")
            })
        };
        let ready = serde_json::json!({
            "api_url": need("AWS_ENDPOINT_URL_IOT"),
            "mqtt_host": need("IOT_EMULATOR_MQTT_HOST"),
            "mqtt_port": need("IOT_EMULATOR_MQTT_PORT").parse::<u16>().expect("IOT_EMULATOR_MQTT_PORT"),
            "root_ca_path": need("IOT_EMULATOR_ROOT_CA"),
            "credentials_url": need("IOT_EMULATOR_CREDENTIALS_URL"),
            "region": env("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
            "account_id": env("IOT_EMULATOR_ACCOUNT_ID").unwrap_or_else(|| "123456789012".into()),
        });
        Self::from_ready(&ready, TargetKind::External)
    }

    /// Builds a target from an emulator's ready information.
    fn from_ready(ready: &Value, kind: TargetKind) -> Target {
        let text = |key: &str| {
            ready[key]
                .as_str()
                .unwrap_or_else(|| panic!("ready information lacks {key}: {ready}"))
                .to_string()
        };
        let ca_path = text("root_ca_path");
        Target {
            kind,
            api_url: Some(text("api_url")),
            region: text("region"),
            credentials: dummy_credentials(),
            mqtt_host: Some(text("mqtt_host")),
            mqtt_port: ready["mqtt_port"]
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(8883),
            ca_pem: read_ca(Path::new(&ca_path)),
            credentials_url: Some(text("credentials_url")),
            provisioning_role_arn: env("CONFORMANCE_PROVISIONING_ROLE_ARN")
                .unwrap_or_else(|| DUMMY_ROLE.into()),
            account_id: ready["account_id"]
                .as_str()
                .unwrap_or("123456789012")
                .to_string(),
            prefix: unique_prefix(),
            running: None,
            shared: false,
        }
    }

    /// Real AWS, or `None` with the reason printed.
    fn aws() -> Option<Target> {
        let skip = |why: &str| {
            eprintln!("conformance: SKIPPED against aws: {why}");
            None
        };
        let (Some(access_key_id), Some(secret_access_key)) =
            (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
        else {
            return skip("no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment");
        };
        let Some(region) = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")) else {
            return skip("no AWS_REGION");
        };
        let Some(ca) = env("CONFORMANCE_AWS_ROOT_CA") else {
            return skip("CONFORMANCE_AWS_ROOT_CA (a path to AmazonRootCA1.pem) is not set");
        };
        let Some(role) = env("CONFORMANCE_PROVISIONING_ROLE_ARN") else {
            return skip("CONFORMANCE_PROVISIONING_ROLE_ARN (a role with AWSIoTThingsRegistration) is not set");
        };
        Some(Target {
            kind: TargetKind::Aws,
            api_url: None,
            region,
            credentials: ControlCredentials {
                access_key_id,
                secret_access_key,
                session_token: env("AWS_SESSION_TOKEN"),
            },
            mqtt_host: None,
            mqtt_port: 8883,
            ca_pem: read_ca(Path::new(&ca)),
            credentials_url: None,
            account_id: role.split(':').nth(4).unwrap_or_default().to_string(),
            provisioning_role_arn: role,
            prefix: unique_prefix(),
            running: None,
            shared: false,
        })
    }

    /// `base` as this target names it: bare in process, prefixed elsewhere.
    pub fn name(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    /// `arn:aws:iot:<region>:<account>:<resource>`.
    pub fn iot_arn(&self, resource: &str) -> String {
        format!("arn:aws:iot:{}:{}:{resource}", self.region, self.account_id)
    }

    /// Stops an in-process emulator.
    pub async fn shutdown(self) {
        if let Some(running) = self.running {
            running.shutdown().await;
        }
    }
}

fn read_ca(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("CA file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_lowercase_alphanumeric() {
        let p = unique_prefix();
        assert!(p.starts_with("conf") && p.ends_with('_'));
        assert!(p[..p.len() - 1].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(unique_prefix(), unique_prefix());
    }

    #[test]
    fn ready_information_becomes_a_target() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "PEM").unwrap();
        let ready = serde_json::json!({"api_url": "http://127.0.0.1:1", "mqtt_host": "127.0.0.1",
            "mqtt_port": 2, "root_ca_path": ca.display().to_string(),
            "credentials_url": "https://127.0.0.1:3", "region": "eu-west-1"});
        let t = Target::from_ready(&ready, TargetKind::External);
        assert_eq!(t.mqtt_port, 2);
        assert_eq!(t.ca_pem, "PEM");
        assert_eq!(t.region, "eu-west-1");
        assert!(t.name("BulbTemplate").ends_with("_BulbTemplate"));
    }
}
