//! Unit tests of the configuration blocks that act: a staged rollout on the emulator
//! clock, retries, and presigned URLs in the documents devices get.

use serde_json::{json, Value};

use super::control::CreateJob;
use super::engine_tests::engine;
use crate::registry::job::{ExecStatus, JobStatus};
use crate::registry::Registry;

fn things(reg: &Registry, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|t| {
            reg.create_thing(t, Default::default()).unwrap();
            reg.account().thing_arn(t)
        })
        .collect()
}

fn input(targets: Vec<String>, document: &str, config: Value) -> CreateJob {
    CreateJob {
        targets: Some(targets),
        document: Some(document.into()),
        rest: serde_json::from_value(config).unwrap(),
        ..Default::default()
    }
}

#[test]
fn a_rollout_releases_one_minute_s_share_at_a_time() {
    let (jobs, captured) = engine();
    let reg = jobs.registry().clone();
    let targets = things(&reg, &["t1", "t2", "t3", "t4", "t5"]);
    let config = json!({"jobExecutionsRolloutConfig": {"maximumPerMinute": 2}});
    jobs.create_job("j", input(targets, "{}", config)).unwrap();
    let released = || jobs.executions_of_job("j").unwrap().len();
    assert_eq!(released(), 2);
    let topics = captured.topics();
    assert!(topics.contains(&"$aws/things/t2/jobs/notify-next".to_string()));
    assert!(!topics.iter().any(|t| t.contains("/t3/")), "t3 waits");
    reg.clock().advance_ms(59_999);
    assert_eq!(released(), 2, "still the first minute");
    reg.clock().advance_ms(1);
    assert_eq!(released(), 4);
    reg.clock().advance_ms(180_000);
    assert_eq!(released(), 5, "each minute passed releases its share");
    assert!(reg.job("j").unwrap().rollout.is_none());
}

#[test]
fn a_snapshot_job_completes_only_after_every_target_had_its_turn() {
    let (jobs, _captured) = engine();
    let reg = jobs.registry().clone();
    let targets = things(&reg, &["t1", "t2"]);
    let config = json!({"jobExecutionsRolloutConfig": {"maximumPerMinute": 1}});
    jobs.create_job("j", input(targets, "{}", config)).unwrap();
    let done = super::machine::Update {
        status: Some(ExecStatus::Succeeded),
        ..Default::default()
    };
    jobs.update("t1", "j", &done).unwrap();
    assert_eq!(reg.job("j").unwrap().status, JobStatus::InProgress);
    reg.clock().advance_ms(60_000);
    jobs.update("t2", "j", &done).unwrap();
    assert_eq!(reg.job("j").unwrap().status, JobStatus::Completed);
}

#[test]
fn a_failed_execution_is_queued_again_until_its_retries_run_out() {
    let (jobs, captured) = engine();
    let reg = jobs.registry().clone();
    let targets = things(&reg, &["t1"]);
    let config = json!({"jobExecutionsRetryConfig": {"criteriaList": [
        {"failureType": "FAILED", "numberOfRetries": 1}]}});
    jobs.create_job("j", input(targets, "{}", config)).unwrap();
    let failed = super::machine::Update {
        status: Some(ExecStatus::Failed),
        ..Default::default()
    };
    captured.topics();
    jobs.update("t1", "j", &failed).unwrap();
    let e = reg.job_execution("j", "t1").unwrap();
    assert_eq!(
        (e.status, e.execution_number, e.version_number),
        (ExecStatus::Queued, 2, 1)
    );
    assert_eq!(e.retries.attempt(), 1);
    let topics = captured.topics();
    assert!(topics.contains(&"$aws/events/jobExecution/j/failed".to_string()));
    assert!(topics.contains(&"$aws/things/t1/jobs/notify-next".to_string()));
    jobs.update("t1", "j", &failed).unwrap();
    assert_eq!(
        reg.job_execution("j", "t1").unwrap().status,
        ExecStatus::Failed
    );
    assert_eq!(reg.job("j").unwrap().status, JobStatus::Completed);
}

#[test]
fn devices_get_presigned_urls_and_the_control_plane_the_placeholder() {
    let (jobs, _captured) = engine();
    jobs.set_endpoint("http://127.0.0.1:4566".into());
    let reg = jobs.registry().clone();
    let targets = things(&reg, &["t1"]);
    let doc =
        json!({"url": "${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/b/k.bin}"});
    let doc = doc.to_string();
    let refused = jobs.create_job("x", input(targets.clone(), &doc, json!({})));
    assert!(refused.is_err(), "a placeholder needs presignedUrlConfig");
    let config = json!({"presignedUrlConfig": {"roleArn": "arn:aws:iam::123456789012:role/r"}});
    jobs.create_job("j", input(targets, &doc, config)).unwrap();
    let got = jobs.describe("t1", "j", None).unwrap().document;
    let url = serde_json::from_str::<Value>(&got).unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:4566/b/k.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256"));
    assert!(url.contains("X-Amz-Expires=3600") && url.contains("X-Amz-Signature="));
    assert_eq!(jobs.describe_job("j").unwrap().document, doc);
}
