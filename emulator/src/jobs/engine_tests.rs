//! Unit tests of the engine over an in-memory registry: when `notify` and `notify-next`
//! are published, job counts and status, CONTINUOUS targets and timers.

use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use super::control::CreateJob;
use super::{Jobs, Publisher};
use crate::registry::job::{ExecStatus, JobStatus};
use crate::registry::testing::registry_at;
use crate::registry::thing_group_members::MembershipInput;

#[derive(Debug, Default)]
pub(super) struct Captured(Mutex<Vec<(String, Value)>>);

impl Publisher for Captured {
    fn publish(&self, topic: String, payload: Vec<u8>) {
        let body = serde_json::from_slice(&payload).unwrap_or(Value::Null);
        self.0.lock().unwrap().push((topic, body));
    }
}

impl Captured {
    /// The topics published since the last call, emptied.
    fn take(&self) -> Vec<(String, Value)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    pub(super) fn topics(&self) -> Vec<String> {
        self.take().into_iter().map(|(t, _)| t).collect()
    }
}

pub(super) fn engine() -> (Jobs, Arc<Captured>) {
    let registry = registry_at(1_700_000_000_000);
    let s3 = crate::s3::S3::open(
        None,
        registry.clock().clone(),
        Arc::new(crate::basis::Entropy::new(1)),
        "us-east-1",
    )
    .expect("s3");
    let jobs = Jobs::new(registry, s3);
    let captured = Arc::new(Captured::default());
    jobs.publisher().install(captured.clone());
    (jobs, captured)
}

fn create(jobs: &Jobs, id: &str, targets: Vec<String>, selection: &str) {
    let input = CreateJob {
        targets: Some(targets),
        document: Some(json!({"op": id}).to_string()),
        target_selection: Some(selection.into()),
        ..Default::default()
    };
    jobs.create_job(id, input).expect("CreateJob");
}

const T: &str = "$aws/things/t1/jobs";

#[test]
fn notify_follows_the_pending_set_and_notify_next_its_head() {
    let (jobs, captured) = engine();
    let reg = jobs.registry().clone();
    reg.create_thing("t1", Default::default()).unwrap();
    let target = vec![reg.account().thing_arn("t1")];
    create(&jobs, "a", target.clone(), "SNAPSHOT");
    assert_eq!(
        captured.topics(),
        [format!("{T}/notify"), format!("{T}/notify-next")]
    );
    create(&jobs, "b", target, "SNAPSHOT");
    let seen = captured.take();
    assert_eq!(seen.len(), 1, "b queues behind a: notify only");
    assert_eq!(
        seen[0].1["jobs"]["QUEUED"].as_array().map(Vec::len),
        Some(2)
    );
    let started = jobs.start_next("t1", None, None).unwrap().unwrap();
    assert_eq!(started.execution.job_id, "a");
    assert!(
        captured.topics().is_empty(),
        "QUEUED -> IN_PROGRESS publishes nothing"
    );
    let done = super::machine::Update {
        status: Some(ExecStatus::Succeeded),
        ..Default::default()
    };
    jobs.update("t1", "a", &done).unwrap();
    let seen = captured.take();
    let topics: Vec<&str> = seen.iter().map(|(t, _)| t.as_str()).collect();
    assert!(
        topics.contains(&"$aws/things/t1/jobs/notify-next"),
        "{topics:?}"
    );
    assert!(
        topics.contains(&"$aws/events/jobExecution/a/succeeded"),
        "{topics:?}"
    );
    assert!(
        topics.contains(&"$aws/events/job/a/completed"),
        "{topics:?}"
    );
    let next = seen
        .iter()
        .find(|(t, _)| t.ends_with("notify-next"))
        .unwrap();
    assert_eq!(next.1["execution"]["jobId"], "b");
    assert_eq!(next.1["execution"]["jobDocument"], json!({"op": "b"}));
    let job = reg.job("a").unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.counts.get(ExecStatus::Succeeded), 1);
}

#[test]
fn continuous_jobs_follow_group_membership() {
    let (jobs, captured) = engine();
    let reg = jobs.registry().clone();
    reg.create_thing_group("g", None, None).unwrap();
    reg.create_thing_group("child", Some("g"), None).unwrap();
    reg.create_thing("t1", Default::default()).unwrap();
    let group = vec![reg.account().thing_group_arn("g")];
    create(&jobs, "c", group.clone(), "CONTINUOUS");
    create(&jobs, "s", group, "SNAPSHOT");
    assert_eq!(
        reg.job("s").unwrap().status,
        JobStatus::Completed,
        "no targets: done"
    );
    let member = MembershipInput {
        thing_group_name: Some("child".into()),
        thing_name: Some("t1".into()),
        ..Default::default()
    };
    reg.add_thing_to_thing_group(&member).unwrap();
    captured.take();
    jobs.reconcile();
    assert_eq!(
        reg.job_execution("c", "t1").map(|e| e.status),
        Some(ExecStatus::Queued)
    );
    assert!(
        reg.job_execution("s", "t1").is_none(),
        "SNAPSHOT jobs do not grow"
    );
    assert!(captured.topics().contains(&format!("{T}/notify-next")));
    reg.remove_thing_from_thing_group(&member).unwrap();
    jobs.reconcile();
    assert_eq!(
        reg.job_execution("c", "t1").map(|e| e.status),
        Some(ExecStatus::Removed)
    );
    reg.add_thing_to_thing_group(&member).unwrap();
    jobs.reconcile();
    let back = reg.job_execution("c", "t1").unwrap();
    assert_eq!(
        (back.status, back.execution_number),
        (ExecStatus::Queued, 2)
    );
}

#[test]
fn timers_run_out_on_the_emulator_clock() {
    let (jobs, captured) = engine();
    let reg = jobs.registry().clone();
    reg.create_thing("t1", Default::default()).unwrap();
    let mut input = CreateJob {
        targets: Some(vec![reg.account().thing_arn("t1")]),
        document: Some("{}".into()),
        ..Default::default()
    };
    let timeout: Map<String, Value> =
        serde_json::from_value(json!({"timeoutConfig": {"inProgressTimeoutInMinutes": 2}}))
            .unwrap();
    input.rest = timeout;
    jobs.create_job("j", input).unwrap();
    jobs.start_next("t1", None, Some(5)).unwrap();
    reg.clock().advance_ms(119_000);
    jobs.expire_due();
    assert_eq!(
        reg.job_execution("j", "t1").unwrap().status,
        ExecStatus::InProgress
    );
    captured.take();
    reg.clock().advance_ms(1_000);
    let (in_progress, queued) = jobs.pending("t1");
    assert!(
        in_progress.is_empty() && queued.is_empty(),
        "the in-progress timer ran out first"
    );
    assert_eq!(
        reg.job_execution("j", "t1").unwrap().status,
        ExecStatus::TimedOut
    );
    assert!(captured
        .topics()
        .contains(&"$aws/events/jobExecution/j/timed_out".to_string()));
    assert_eq!(reg.job("j").unwrap().counts.get(ExecStatus::TimedOut), 1);
}

#[test]
fn abort_config_cancels_the_job_once_failures_reach_the_threshold() {
    let (jobs, _captured) = engine();
    let reg = jobs.registry().clone();
    let mut targets = Vec::new();
    for t in ["t1", "t2", "t3"] {
        reg.create_thing(t, Default::default()).unwrap();
        targets.push(reg.account().thing_arn(t));
    }
    let abort = json!({"abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
        "thresholdPercentage": 50, "minNumberOfExecutedThings": 1}]}});
    let input = CreateJob {
        targets: Some(targets),
        document: Some("{}".into()),
        rest: serde_json::from_value(abort).unwrap(),
        ..Default::default()
    };
    jobs.create_job("j", input).unwrap();
    let failed = super::machine::Update {
        status: Some(ExecStatus::Failed),
        ..Default::default()
    };
    jobs.update("t1", "j", &failed).unwrap();
    assert_eq!(reg.job("j").unwrap().status, JobStatus::Canceled);
    assert_eq!(
        reg.job_execution("j", "t2").unwrap().status,
        ExecStatus::Canceled
    );
}
