//! CreateJob's configuration blocks acting, with the real clients (boto3, the AWS IoT
//! Device SDK v2's `IotJobsClientV2`, urllib): a staged rollout paced on the emulator
//! clock, retries of FAILED and TIMED_OUT executions, presigned S3 URLs that a plain GET
//! downloads (and that expire), and each block's validation. One emulator is shared by
//! every scenario; they take turns, since each advances the emulator clock. Each scenario
//! is one `tests/py/jobs_configs.py` run.

mod common;

use std::sync::Mutex;

use iot_emulator::Running;
use serde_json::{json, Value};

/// The shared emulator.
fn shared() -> &'static Running {
    common::shared_emulator(iot_emulator::Config::for_tests)
}

/// Runs one scenario of `tests/py/jobs_configs.py`, one at a time (each moves the clock).
fn scenario(name: &str) -> Value {
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let prefix = format!("jc-{name}").replace('_', "-");
    common::python_scenario("jobs_configs.py", name, &shared().ready, &prefix)
}

#[test]
fn maximum_per_minute_paces_a_rollout_on_the_emulator_clock() {
    let got = scenario("rollout");
    assert_eq!(got["rolled_out"], json!([2, 4, 5]), "{got}");
}

#[test]
fn an_exponential_rate_grows_with_notified_things() {
    let got = scenario("exponential");
    assert_eq!(got["rolled_out"], json!([1, 2, 4, 8]), "{got}");
}

#[test]
fn a_failed_execution_is_retried_as_a_new_queued_execution() {
    let got = scenario("retry");
    assert_eq!(got["execution"], "FAILED", "{got}");
    assert_eq!(got["number"], 2, "{got}");
}

#[test]
fn a_timed_out_execution_is_retried_under_all() {
    let got = scenario("retry_timeout");
    assert_eq!(got["numbers"], json!([1, 2]), "{got}");
}

#[test]
fn presigned_url_placeholders_download_until_they_expire() {
    let got = scenario("presign");
    assert_eq!(got["expired"], 403, "{got}");
}

#[test]
fn each_block_is_validated_with_aws_limits() {
    let got = scenario("invalid");
    assert_eq!(got["refused"], 13, "{got}");
}
