//! Jobs: a job for a thing group reaches its device over MQTT (`notify-next`), the device
//! starts it with `start-next`, reports progress and finishes SUCCEEDED, and the control
//! plane's DescribeJobExecution agrees; rejections carry AWS's codes (`VersionMismatch`
//! with the execution state, `InvalidStateTransition`, `ResourceNotFound`) and echo the
//! client token; CancelJobExecution needs `force` for an IN_PROGRESS execution.

use aws_sdk_iot::types::JobExecutionStatus;
use conformance::{expect, Case};
use iot_device_client::mqtt::{Connection, Qos};
use serde_json::{json, Value};

/// AWS's basic jobs policy for one thing (DG "Basic job policy example").
fn jobs_policy(case: &Case, thing: &str) -> String {
    let t = &case.target;
    let arn =
        |kind: &str, rest: &str| format!("arn:aws:iot:{}:{}:{kind}/{rest}", t.region, t.account_id);
    let jobs = format!("$aws/things/{thing}/jobs/*");
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": arn("client", thing)},
            {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": arn("topic", &jobs)},
            {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": arn("topicfilter", &jobs)},
        ]
    })
    .to_string()
}

/// A thing in a new group, its certificate with the jobs policy, and a connected device
/// subscribed to everything under its jobs topics.
async fn device_in_group(case: &mut Case, base: &str) -> (String, String, Connection) {
    let (group, group_arn) = case.create_thing_group(&format!("{base}-group")).await;
    let thing = case.name(base);
    let cert = case.create_certificate().await;
    case.create_thing_with(&thing, &cert.certificate_arn).await;
    let policy = jobs_policy(case, &thing);
    let policy = case.create_policy("ConfJobsPolicy", &policy).await;
    case.attach_policy(&policy, &cert.certificate_arn).await;
    case.iot
        .add_thing_to_thing_group()
        .thing_group_name(&group)
        .thing_name(&thing)
        .send()
        .await
        .expect("AddThingToThingGroup");
    let mut conn = Connection::connect(&case.mqtt(&thing, cert.identity.clone()))
        .await
        .expect("connect");
    conn.subscribe(&format!("$aws/things/{thing}/jobs/#"), Qos::AtLeastOnce)
        .await
        .expect("subscribe");
    (thing, group_arn, conn)
}

async fn create_job(case: &Case, job: &str, target: &str, document: &Value) {
    case.iot
        .create_job()
        .job_id(job)
        .targets(target)
        .document(document.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateJob {job}: {e:?}"));
}

async fn delete_job(case: &Case, job: &str) {
    let _ = case.iot.delete_job().job_id(job).force(true).send().await;
}

/// Publishes `body` on `<jobs>/<op>` and returns the reply's topic suffix and payload.
async fn request(conn: &mut Connection, jobs: &str, op: &str, body: Value) -> (String, Value) {
    let topic = format!("{jobs}/{op}");
    conn.publish(&topic, body.to_string().into_bytes(), Qos::AtLeastOnce)
        .await
        .expect("publish");
    let (accepted, rejected) = (format!("{topic}/accepted"), format!("{topic}/rejected"));
    let reply = conn
        .recv_on(&[&accepted, &rejected])
        .await
        .expect("a reply");
    let payload: Value = serde_json::from_slice(&reply.payload).expect("JSON reply");
    let kind = reply
        .topic
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    (kind, payload)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_job_reaches_its_device_and_finishes_succeeded() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (thing, group_arn, mut conn) = device_in_group(&mut case, "conf-jobs-dev").await;
    let jobs = format!("$aws/things/{thing}/jobs");
    let job = case.name("conf-job-firmware");
    let document = json!({"operation": "install", "version": "2.0"});
    create_job(&case, &job, &group_arn, &document).await;

    let next = conn
        .recv_on(&[&format!("{jobs}/notify-next")])
        .await
        .expect("notify-next");
    let next: Value = serde_json::from_slice(&next.payload).expect("JSON");
    expect::equals(&next, "$.execution.jobId", json!(job));
    expect::equals(&next, "$.execution.status", json!("QUEUED"));
    expect::equals(&next, "$.execution.jobDocument", document.clone());

    let body = json!({"clientToken": "t-start", "statusDetails": {"step": "download"}});
    let (kind, started) = request(&mut conn, &jobs, "start-next", body).await;
    assert_eq!(kind, "accepted", "{started}");
    expect::equals(&started, "$.clientToken", json!("t-start"));
    expect::equals(&started, "$.execution.status", json!("IN_PROGRESS"));
    expect::equals(&started, "$.execution.versionNumber", json!(2));
    assert!(
        started["timestamp"].is_i64(),
        "timestamp in seconds: {started}"
    );

    let body = json!({"status": "IN_PROGRESS", "expectedVersion": 1, "clientToken": "t-old"});
    let (kind, stale) = request(&mut conn, &jobs, &format!("{job}/update"), body).await;
    assert_eq!(kind, "rejected", "{stale}");
    expect::equals(&stale, "$.code", json!("VersionMismatch"));
    expect::equals(&stale, "$.clientToken", json!("t-old"));
    expect::equals(&stale, "$.executionState.versionNumber", json!(2));

    let body = json!({"status": "SUCCEEDED", "statusDetails": {"step": "done"},
                      "includeJobExecutionState": true});
    let (kind, done) = request(&mut conn, &jobs, &format!("{job}/update"), body).await;
    assert_eq!(kind, "accepted", "{done}");
    expect::equals(&done, "$.executionState.status", json!("SUCCEEDED"));

    let body = json!({"status": "IN_PROGRESS"});
    let (kind, again) = request(&mut conn, &jobs, &format!("{job}/update"), body).await;
    assert_eq!(kind, "rejected", "{again}");
    expect::equals(&again, "$.code", json!("InvalidStateTransition"));

    let (kind, missing) = request(&mut conn, &jobs, "no-such-job/get", json!({})).await;
    assert_eq!(kind, "rejected", "{missing}");
    expect::equals(&missing, "$.code", json!("ResourceNotFound"));

    let described = case
        .iot
        .describe_job_execution()
        .job_id(&job)
        .thing_name(&thing)
        .send()
        .await
        .expect("DescribeJobExecution");
    let execution = described.execution.expect("execution");
    assert_eq!(execution.status, Some(JobExecutionStatus::Succeeded));
    assert_eq!(execution.version_number, 3);
    conn.disconnect().await;
    delete_job(&case, &job).await;
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_job_execution_needs_force_once_started() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (thing, group_arn, mut conn) = device_in_group(&mut case, "conf-jobs-cancel").await;
    let jobs = format!("$aws/things/{thing}/jobs");
    let job = case.name("conf-job-cancel");
    create_job(&case, &job, &group_arn, &json!({"operation": "reboot"})).await;
    let (kind, started) = request(&mut conn, &jobs, "start-next", json!({})).await;
    assert_eq!(kind, "accepted", "{started}");
    let refused = case
        .iot
        .cancel_job_execution()
        .job_id(&job)
        .thing_name(&thing)
        .send()
        .await
        .expect_err("IN_PROGRESS needs force");
    let refused = refused.into_service_error();
    assert!(
        refused.is_invalid_state_transition_exception(),
        "{refused:?}"
    );
    case.iot
        .cancel_job_execution()
        .job_id(&job)
        .thing_name(&thing)
        .force(true)
        .send()
        .await
        .expect("CancelJobExecution with force");
    let (kind, state) = request(&mut conn, &jobs, &format!("{job}/get"), json!({})).await;
    assert_eq!(kind, "accepted", "{state}");
    expect::equals(&state, "$.execution.status", json!("CANCELED"));
    conn.disconnect().await;
    delete_job(&case, &job).await;
    case.finish().await;
}
