//! AWS IoT Jobs with the real clients, one emulator shared by every scenario: the AWS IoT
//! Device SDK v2's `IotJobsClientV2` over MQTT 5 and MQTT 3.1.1 (boto3 creates the job
//! for the device's thing group), CONTINUOUS targeting, cancel with and without force, a
//! step timeout through `/_emulator/clock/advance`, boto3 `iot-jobs-data` over HTTP, and
//! the control plane's errors and templates. Each scenario is one `tests/py/jobs.py` run.

mod common;

use iot_emulator::Running;
use serde_json::Value;

/// The shared emulator.
fn shared() -> &'static Running {
    common::shared_emulator(iot_emulator::Config::for_tests)
}

/// Runs one scenario of `tests/py/jobs.py`; what it printed before `done`.
fn scenario(name: &str) -> Value {
    common::python_scenario("jobs.py", name, &shared().ready, &format!("jobs-{name}"))
}

#[test]
fn iot_jobs_client_v2_over_mqtt5_runs_a_group_job_to_succeeded() {
    let got = scenario("device5");
    assert_eq!(got["job"], "COMPLETED", "{got}");
    assert_eq!(got["execution"], "SUCCEEDED", "{got}");
    assert_eq!(got["version"], 4, "{got}");
}

#[test]
fn iot_jobs_client_v2_over_mqtt311_runs_a_group_job_to_succeeded() {
    let got = scenario("device3");
    assert_eq!(got["execution"], "SUCCEEDED", "{got}");
}

#[test]
fn continuous_jobs_reach_things_that_join_later_and_snapshot_jobs_do_not() {
    let got = scenario("continuous");
    assert_eq!(got["removed"], "REMOVED", "{got}");
}

#[test]
fn cancel_with_and_without_force() {
    scenario("cancel");
}

#[test]
fn a_step_timer_runs_out_when_the_clock_is_advanced() {
    let got = scenario("timeout");
    assert_eq!(got["execution"], "TIMED_OUT", "{got}");
}

#[test]
fn boto3_iot_jobs_data_runs_a_job_over_http() {
    let got = scenario("http");
    assert_eq!(got["status"], "SUCCEEDED", "{got}");
}

#[test]
fn control_plane_errors_templates_and_deletions() {
    scenario("control");
}

/// Jobs, executions (with their state) and templates outlive a `kill -9` of the binary
/// over `--data-dir`; a seeded restart repeats nothing it already handed out.
#[test]
fn jobs_survive_kill_9_with_a_data_dir() {
    use common::{aws_blocking, Binary};
    let dir = tempfile::tempdir().expect("data dir");
    let mut first = Binary::spawn(dir.path());
    let thing = aws_blocking(&first.ready, &["create-thing", "--thing-name", "kept"]);
    let arn = thing["thingArn"].as_str().expect("thingArn").to_string();
    let doc = r#"{"operation":"reboot"}"#;
    let create = ["create-job", "--job-id", "kept-job", "--document", doc];
    aws_blocking(&first.ready, &[&create[..], &["--targets", &arn]].concat());
    aws_blocking(
        &first.ready,
        &["create-job-template", "--job-template-id", "kept-template"]
            .into_iter()
            .chain(["--description", "d", "--document", doc])
            .collect::<Vec<_>>(),
    );
    let cancel = [
        "cancel-job-execution",
        "--job-id",
        "kept-job",
        "--thing-name",
        "kept",
    ];
    aws_blocking(&first.ready, &cancel);
    first.child.kill().expect("kill -9");
    first.child.wait().expect("reaped");

    let second = Binary::spawn(dir.path());
    let describe = [
        "describe-job-execution",
        "--job-id",
        "kept-job",
        "--thing-name",
        "kept",
    ];
    let execution = aws_blocking(&second.ready, &describe);
    assert_eq!(execution["execution"]["status"], "CANCELED", "{execution}");
    assert_eq!(execution["execution"]["versionNumber"], 2, "{execution}");
    let job = aws_blocking(&second.ready, &["describe-job", "--job-id", "kept-job"]);
    assert_eq!(job["job"]["status"], "COMPLETED", "{job}");
    assert_eq!(job["job"]["jobProcessDetails"]["numberOfCanceledThings"], 1);
    let document = aws_blocking(&second.ready, &["get-job-document", "--job-id", "kept-job"]);
    assert_eq!(document["document"], doc);
    let template = [
        "describe-job-template",
        "--job-template-id",
        "kept-template",
    ];
    assert_eq!(aws_blocking(&second.ready, &template)["description"], "d");
}
