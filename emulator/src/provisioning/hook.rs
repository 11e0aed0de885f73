//! Pre-provisioning hooks (dataplane §1.9): a template's `preProvisioningHook.targetArn`
//! names a Lambda function, which the emulator replaces by a local stand-in bound at start:
//! a command (run with `sh -c`, the event JSON on stdin, the response JSON on stdout) or an
//! `http://` URL (the event POSTed as JSON, the response in the body).
//!
//! Without a binding, a function of that ARN created in the emulator's own Lambda
//! ([`crate::lambda`]) is the hook: [`invoke_target`] tries the binding first, so an
//! explicit `--hook` wins.
//!
//! Bindings come from `--hook <arn>=<target>` (repeatable), `IOT_EMULATOR_HOOKS` (one
//! binding per line) and `--hooks-file` (a JSON object of ARN → target); flags win over the
//! file. A denial, a failure, a bad response or no answer within 5 s is AccessDenied, as is
//! a hook with no binding (the message names the ARN to bind).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::hook_http::{self, HttpTarget};
use crate::lambda::Lambda;
use crate::registry::{ErrorKind, IotError, IotResult};

/// AWS gives the Lambda 5 seconds.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a hook's Lambda ARN is served locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookTarget {
    /// A shell command line.
    Command(String),
    /// An `http://host[:port]/path` URL.
    Http(HttpTarget),
}

impl HookTarget {
    /// A URL if it starts with `http://`, otherwise a command.
    pub fn parse(target: &str) -> Result<Self, String> {
        let target = target.trim();
        if target.is_empty() {
            return Err("the hook target is empty".into());
        }
        if target.starts_with("https://") {
            return Err(format!(
                "{target}: https hook URLs are not supported; use http://"
            ));
        }
        if target.starts_with("http://") {
            return HttpTarget::parse(target).map(HookTarget::Http);
        }
        Ok(HookTarget::Command(target.to_string()))
    }
}

/// Every binding of a Lambda ARN to a local target.
#[derive(Debug, Clone)]
pub struct HookBindings {
    targets: BTreeMap<String, HookTarget>,
    /// How long a hook may take: 5 s, as in AWS (shorter in tests).
    pub timeout: Duration,
}

impl Default for HookBindings {
    fn default() -> Self {
        HookBindings {
            targets: BTreeMap::new(),
            timeout: HOOK_TIMEOUT,
        }
    }
}

impl HookBindings {
    /// Bindings from the config file (if any), then the `<arn>=<target>` flags.
    pub fn from_config(flags: &[String], file: Option<&Path>) -> Result<Self, String> {
        let mut out = HookBindings::default();
        if let Some(path) = file {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let map: BTreeMap<String, String> = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{}: expected a JSON object of Lambda ARN to target ({e})",
                    path.display()
                )
            })?;
            for (arn, target) in map {
                out.bind(&arn, &target)?;
            }
        }
        for flag in flags.iter().filter(|f| !f.trim().is_empty()) {
            let (arn, target) = flag
                .split_once('=')
                .ok_or_else(|| format!("{flag}: expected <lambda arn>=<command or http URL>"))?;
            out.bind(arn, target)?;
        }
        Ok(out)
    }

    /// Binds `arn` (a Lambda function ARN) to `target`.
    pub fn bind(&mut self, arn: &str, target: &str) -> Result<(), String> {
        let arn = arn.trim();
        if !arn.starts_with("arn:") || arn.split(':').nth(2) != Some("lambda") {
            return Err(format!("{arn}: not a Lambda function ARN"));
        }
        let target = HookTarget::parse(target).map_err(|e| format!("{arn}: {e}"))?;
        self.targets.insert(arn.to_string(), target);
        Ok(())
    }

    /// The target bound to `arn`.
    pub fn target(&self, arn: &str) -> Option<&HookTarget> {
        self.targets.get(arn)
    }

    /// Number of bindings.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// True with no bindings.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

/// The event a pre-provisioning Lambda receives.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HookEvent {
    pub claim_certificate_id: String,
    pub certificate_id: String,
    pub certificate_pem: String,
    pub template_arn: String,
    pub client_id: String,
    pub parameters: BTreeMap<String, String>,
}

fn denied(message: impl Into<String>) -> IotError {
    IotError::new(ErrorKind::AccessDenied, message)
}

/// Runs the hook of `arn`: its `--hook` binding if it has one, else the emulator's Lambda
/// function of that ARN; on `allowProvisioning: true`, its `parameterOverrides`.
pub async fn invoke_target(
    bindings: &HookBindings,
    lambda: &Lambda,
    arn: &str,
    event: &HookEvent,
) -> IotResult<BTreeMap<String, String>> {
    if bindings.target(arn).is_some() || !lambda.exists(arn) {
        return invoke(bindings, arn, event).await;
    }
    let body = serde_json::to_vec(event).map_err(|e| IotError::internal(e.to_string()))?;
    let done = match lambda.invoke_within(arn, &body, bindings.timeout).await {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(%arn, cause = %e, "pre-provisioning hook function could not run");
            return Err(denied(format!(
                "The pre-provisioning hook {arn} failed: {e}"
            )));
        }
    };
    if done.function_error.is_some() {
        let text = String::from_utf8_lossy(&done.payload);
        tracing::warn!(%arn, error = %text, "pre-provisioning hook function failed");
        return Err(denied(format!(
            "The pre-provisioning hook {arn} failed: {text}"
        )));
    }
    reply(arn, &done.payload)
}

/// Runs the hook bound to `arn`; on `allowProvisioning: true`, its `parameterOverrides`.
pub async fn invoke(
    bindings: &HookBindings,
    arn: &str,
    event: &HookEvent,
) -> IotResult<BTreeMap<String, String>> {
    let target = bindings.target(arn).ok_or_else(|| {
        denied(format!(
            "The pre-provisioning hook {arn} has no local binding; create it with `aws lambda create-function` or start the emulator with --hook {arn}=<command or http URL>"
        ))
    })?;
    let body = serde_json::to_vec(event).map_err(|e| IotError::internal(e.to_string()))?;
    let call = async {
        match target {
            HookTarget::Command(command) => run_command(command, &body).await,
            HookTarget::Http(http) => hook_http::post(http, &body).await,
        }
    };
    let raw = match tokio::time::timeout(bindings.timeout, call).await {
        Err(_) => {
            tracing::warn!(%arn, "pre-provisioning hook timed out");
            return Err(denied(format!("The pre-provisioning hook {arn} timed out")));
        }
        Ok(Err(cause)) => {
            tracing::warn!(%arn, %cause, "pre-provisioning hook failed");
            return Err(denied(format!(
                "The pre-provisioning hook {arn} failed: {cause}"
            )));
        }
        Ok(Ok(raw)) => raw,
    };
    reply(arn, &raw)
}

/// Reads the hook's response: anything but `allowProvisioning: true` denies.
pub fn reply(arn: &str, raw: &[u8]) -> IotResult<BTreeMap<String, String>> {
    let bad = |why: &str| {
        denied(format!(
            "The pre-provisioning hook {arn} returned an invalid response: {why}"
        ))
    };
    let value: Value = serde_json::from_slice(raw).map_err(|_| bad("not JSON"))?;
    let Value::Object(reply) = value else {
        return Err(bad("not a JSON object"));
    };
    if reply.get("allowProvisioning") != Some(&Value::Bool(true)) {
        return Err(denied(format!(
            "The pre-provisioning hook {arn} did not allow provisioning"
        )));
    }
    let mut overrides = BTreeMap::new();
    match reply.get("parameterOverrides") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let Value::String(v) = v else {
                    return Err(bad("parameterOverrides values must be strings"));
                };
                overrides.insert(k.clone(), v.clone());
            }
        }
        Some(_) => return Err(bad("parameterOverrides must be a JSON object")),
    }
    Ok(overrides)
}

/// Runs `command` with `input` on stdin; its stdout, or why it failed. Killed when the
/// caller gives up (the timeout drops this future).
async fn run_command(command: &str, input: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the command: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that ignores its input may close stdin early; that is not a failure.
        let _ = stdin.write_all(input).await;
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|e| format!("the command failed: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "the command exited with {}: {}",
            output.status,
            stderr.trim()
        ));
    }
    Ok(output.stdout)
}

#[cfg(test)]
#[path = "hook_tests.rs"]
mod tests;
