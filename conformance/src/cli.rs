//! The aws CLI of the test venv (`IOT_EMULATOR_VENV`), pointed at a case's target: what
//! the CloudFormation cases drive, since the users' walkthroughs deploy, read and delete
//! their stacks with it (`deploy`'s change-set waiters, `wait stack-delete-complete`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::target::{Target, TargetKind};

/// What one command printed.
#[derive(Debug, Clone)]
pub struct CliOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// The aws CLI with the target's region, credentials and (outside AWS) endpoint.
pub struct AwsCli {
    program: PathBuf,
    env: Vec<(String, String)>,
    dir: PathBuf,
}

impl AwsCli {
    /// The venv's `aws` for `target`, run in `dir`; `None` (with the reason printed) when
    /// the venv has none.
    pub fn for_target(target: &Target, dir: &Path) -> Option<AwsCli> {
        let program = crate::target::venv().join("bin/aws");
        if !program.exists() {
            eprintln!(
                "conformance: SKIPPED: no aws CLI at {} (set IOT_EMULATOR_VENV)",
                program.display()
            );
            return None;
        }
        let c = &target.credentials;
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID".to_string(), c.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), c.secret_access_key.clone()),
            ("AWS_DEFAULT_REGION".into(), target.region.clone()),
            ("AWS_REGION".into(), target.region.clone()),
            ("AWS_CONFIG_FILE".into(), "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE".into(), "/dev/null".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("AWS_PAGER".into(), String::new()),
        ];
        if let Some(token) = &c.session_token {
            env.push(("AWS_SESSION_TOKEN".into(), token.clone()));
        }
        // Every service (cloudformation, iot, lambda) at the emulator's one API URL; the
        // CLI's `package` needs the variable, not `--endpoint-url` (workflows.md §1).
        if let (Some(url), false) = (&target.api_url, target.kind == TargetKind::Aws) {
            env.push(("AWS_ENDPOINT_URL".into(), url.clone()));
        }
        Some(AwsCli {
            program,
            env,
            dir: dir.to_path_buf(),
        })
    }

    /// Runs `aws <args>` to the end.
    pub async fn run(&self, args: &[&str]) -> CliOutput {
        let mut cmd = tokio::process::Command::new(&self.program);
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.dir)
            .args(args)
            .stdin(std::process::Stdio::null());
        let out = cmd
            .output()
            .await
            .unwrap_or_else(|e| panic!("running {}: {e}", self.program.display()));
        CliOutput {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `aws <args>`, which must succeed; what it printed.
    pub async fn ok(&self, args: &[&str]) -> CliOutput {
        let out = self.run(args).await;
        assert!(
            out.success,
            "aws {args:?} failed\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    /// Runs `aws <args>`, which must succeed, and reads its JSON output.
    pub async fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args).await;
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("aws {args:?}: not JSON ({e}): {}", out.stdout))
    }

    /// Runs `aws <args>`, which must fail; everything it printed.
    pub async fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            !out.success,
            "aws {args:?} unexpectedly succeeded: {}",
            out.stdout
        );
        format!("{}{}", out.stdout, out.stderr)
    }

    /// The outputs of stack `stack` (describe-stacks), key to value.
    pub async fn stack_outputs(&self, stack: &str) -> std::collections::BTreeMap<String, String> {
        let v = self
            .json(&["cloudformation", "describe-stacks", "--stack-name", stack])
            .await;
        let outputs = v["Stacks"][0]["Outputs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        outputs
            .iter()
            .filter_map(|o| {
                let key = o["OutputKey"].as_str()?.to_string();
                Some((key, o["OutputValue"].as_str()?.to_string()))
            })
            .collect()
    }
}
