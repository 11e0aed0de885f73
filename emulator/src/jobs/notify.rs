//! What AWS publishes after a jobs change, and the MQTT shapes of executions:
//! - `$aws/things/<thing>/jobs/notify` when the set of pending executions changes;
//! - `$aws/things/<thing>/jobs/notify-next` when the next execution is another one;
//! - `$aws/events/job/<jobId>/{completed,canceled,deleted}` and
//!   `$aws/events/jobExecution/<jobId>/{succeeded,failed,rejected,canceled,timed_out,removed,deleted}`.
//!
//! MQTT timestamps are integer epoch seconds (shadow-jobs-rules §0.1).

use serde_json::{json, Map, Value};

use super::machine::seconds_before_timed_out;
use super::{Jobs, Publisher};
use crate::registry::job::{ExecStatus, Execution, Job};
use crate::registry::job_write::{JobChanges, ThingChange};
use crate::registry::Registry;

/// AWS lists at most 10 executions in `notify`.
const NOTIFY_LIMIT: usize = 10;

/// Epoch seconds.
pub fn seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// The MQTT `JobExecutionSummary`.
pub fn summary(e: &Execution) -> Value {
    let mut v = json!({
        "jobId": e.job_id,
        "queuedAt": seconds(e.queued_at_ms),
        "lastUpdatedAt": seconds(e.last_updated_at_ms),
        "executionNumber": e.execution_number,
        "versionNumber": e.version_number,
    });
    if let Some(started) = e.started_at_ms {
        v["startedAt"] = json!(seconds(started));
    }
    v
}

/// The MQTT `JobExecution`; `document` (JSON text) becomes the `jobDocument` object.
pub fn execution(e: &Execution, document: Option<&str>, now_ms: i64) -> Value {
    let mut v = summary(e);
    v["status"] = json!(e.status.as_str());
    if !e.status_details.is_empty() {
        v["statusDetails"] = json!(e.status_details);
    }
    if let Some(s) = seconds_before_timed_out(e, now_ms) {
        v["approximateSecondsBeforeTimedOut"] = json!(s);
    }
    if let Some(doc) = document {
        let parsed = serde_json::from_str(doc).unwrap_or_else(|_| json!({}));
        v["jobDocument"] = parsed;
    }
    v
}

/// The MQTT `executionState`.
pub fn execution_state(e: &Execution) -> Value {
    json!({
        "status": e.status.as_str(),
        "statusDetails": e.status_details,
        "versionNumber": e.version_number,
    })
}

/// Publishes everything `changes` calls for.
pub fn announce(jobs: &Jobs, publisher: &dyn Publisher, changes: &JobChanges) {
    let registry = jobs.registry();
    let now = registry.clock().now_ms();
    for change in &changes.things {
        announce_thing(jobs, publisher, change, now);
    }
    let arn = |thing: &str| registry.account().thing_arn(thing);
    for e in &changes.executions_ended {
        let topic_status = e.status.as_str().to_ascii_lowercase();
        publish_execution_event(registry, publisher, e, &topic_status, &arn(&e.thing_name));
    }
    for e in &changes.executions_deleted {
        publish_execution_event(registry, publisher, e, "deleted", &arn(&e.thing_name));
    }
    for job in &changes.jobs_ended {
        let operation = job.status.as_str().to_ascii_lowercase();
        publish_job_event(registry, publisher, job, &operation);
    }
    for job in &changes.jobs_deleted {
        publish_job_event(registry, publisher, job, "deleted");
    }
}

fn announce_thing(jobs: &Jobs, publisher: &dyn Publisher, change: &ThingChange, now: i64) {
    let registry = jobs.registry();
    let base = format!("$aws/things/{}/jobs", change.thing);
    let all = registry.executions_of_thing(&change.thing);
    let pending: Vec<&Execution> = all.iter().filter(|e| e.status.is_pending()).collect();
    if change.pending_set_changed() {
        let mut jobs = Map::new();
        for status in [ExecStatus::InProgress, ExecStatus::Queued] {
            let list: Vec<Value> = pending
                .iter()
                .filter(|e| e.status == status)
                .take(NOTIFY_LIMIT)
                .map(|e| summary(e))
                .collect();
            if !list.is_empty() {
                jobs.insert(status.as_str().to_string(), Value::Array(list));
            }
        }
        let body = json!({ "timestamp": seconds(now), "jobs": jobs });
        publisher.publish(format!("{base}/notify"), body.to_string().into_bytes());
    }
    if change.next_changed() {
        let mut body = json!({ "timestamp": seconds(now) });
        if let Some(next) = pending.first() {
            let document = registry.job(&next.job_id).map(|j| jobs.device_document(&j));
            body["execution"] = execution(next, document.as_deref(), now);
        }
        publisher.publish(format!("{base}/notify-next"), body.to_string().into_bytes());
    }
}

fn publish_execution_event(
    registry: &Registry,
    publisher: &dyn Publisher,
    e: &Execution,
    operation: &str,
    thing_arn: &str,
) {
    let body = json!({
        "eventType": "JOB_EXECUTION",
        "eventId": registry.entropy().uuid("job-event"),
        "timestamp": seconds(registry.clock().now_ms()),
        "operation": operation,
        "jobId": e.job_id,
        "thingArn": thing_arn,
        "status": e.status.as_str(),
        "statusDetails": e.status_details,
        "versionNumber": e.version_number,
        "executionNumber": e.execution_number,
    });
    let topic = format!("$aws/events/jobExecution/{}/{operation}", e.job_id);
    publisher.publish(topic, body.to_string().into_bytes());
}

fn publish_job_event(registry: &Registry, publisher: &dyn Publisher, job: &Job, operation: &str) {
    let mut body = json!({
        "eventType": "JOB",
        "eventId": registry.entropy().uuid("job-event"),
        "timestamp": seconds(registry.clock().now_ms()),
        "operation": operation,
        "jobId": job.job_id,
        "status": job.status.as_str(),
        "targetSelection": job.target_selection.as_str(),
        "targets": job.targets,
        "createdAt": seconds(job.created_at_ms),
        "lastUpdatedAt": seconds(job.last_updated_at_ms),
        "jobProcessDetails": process_details(job),
    });
    if let Some(d) = &job.description {
        body["description"] = json!(d);
    }
    if let Some(c) = job.completed_at_ms {
        body["completedAt"] = json!(seconds(c));
    }
    let topic = format!("$aws/events/job/{}/{operation}", job.job_id);
    publisher.publish(topic, body.to_string().into_bytes());
}

/// `jobProcessDetails`, every count present.
pub fn process_details(job: &Job) -> Value {
    let c = &job.counts;
    json!({
        "numberOfCanceledThings": c.get(ExecStatus::Canceled),
        "numberOfSucceededThings": c.get(ExecStatus::Succeeded),
        "numberOfFailedThings": c.get(ExecStatus::Failed),
        "numberOfRejectedThings": c.get(ExecStatus::Rejected),
        "numberOfQueuedThings": c.get(ExecStatus::Queued),
        "numberOfInProgressThings": c.get(ExecStatus::InProgress),
        "numberOfRemovedThings": c.get(ExecStatus::Removed),
        "numberOfTimedOutThings": c.get(ExecStatus::TimedOut),
    })
}
