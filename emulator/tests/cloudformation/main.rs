//! CloudFormation with the aws CLI as the users' walkthroughs run it: `deploy`,
//! `describe-stacks`, `describe-stack-events`, `delete-stack` and `wait`, against stacks
//! of IoT resources, SAM functions and topic rules, the users' claim and JITR stacks, and
//! every failure path with AWS's CLI output.

mod claim;
#[path = "../common/mod.rs"]
mod common;
mod function_updates;
mod functions;
mod in_place;
mod iot_stacks;
mod jitp_device;
mod jitr;
mod paging;

use std::path::PathBuf;

use common::{CliResult, TestEmulator};
use serde_json::Value;

/// A CLI session against one emulator, off the async runtime.
pub(crate) struct Cli {
    url: String,
    dir: PathBuf,
}

impl Cli {
    pub(crate) async fn run(&self, args: &[&str]) -> CliResult {
        common::aws_at_async(&self.url, &self.dir, args).await
    }

    pub(crate) async fn ok(&self, args: &[&str]) -> CliResult {
        let out = self.run(args).await;
        assert!(
            out.success,
            "aws {args:?} failed\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    pub(crate) async fn json(&self, args: &[&str]) -> Value {
        self.ok(args).await.json()
    }

    pub(crate) async fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            !out.success,
            "aws {args:?} unexpectedly succeeded: {}",
            out.stdout
        );
        format!("{}{}", out.stdout, out.stderr)
    }

    pub(crate) async fn output(&self, stack: &str, key: &str) -> String {
        let v = self
            .json(&["cloudformation", "describe-stacks", "--stack-name", stack])
            .await;
        let outputs = v["Stacks"][0]["Outputs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let found = outputs.iter().find(|o| o["OutputKey"] == key);
        found
            .and_then(|o| o["OutputValue"].as_str())
            .unwrap_or_else(|| panic!("no output {key}: {v}"))
            .to_string()
    }
}

pub(crate) fn template(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cfn")
        .join(name)
        .display()
        .to_string()
}

pub(crate) async fn started() -> (TestEmulator, Cli, tempfile::TempDir) {
    let emu = TestEmulator::start().await;
    let work = tempfile::tempdir().unwrap();
    let cli = Cli {
        url: emu.api_url().to_string(),
        dir: work.path().to_path_buf(),
    };
    (emu, cli, work)
}

/// The emulator with python3.12 as the venv's interpreter (boto3 in it, as on AWS).
pub(crate) async fn started_with_lambda() -> (TestEmulator, Cli, tempfile::TempDir) {
    let mut config = iot_emulator::Config::for_tests();
    let python = common::venv().join("bin/python");
    config.lambda_runtimes = vec![format!("python3.12={}", python.display())];
    let emu = TestEmulator::start_with(config).await;
    let work = tempfile::tempdir().unwrap();
    let cli = Cli {
        url: emu.api_url().to_string(),
        dir: work.path().to_path_buf(),
    };
    (emu, cli, work)
}
