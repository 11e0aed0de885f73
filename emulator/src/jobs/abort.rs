//! abortConfig: the one way the service cancels a job by itself.

use serde_json::Value;

use super::machine::{self, ServiceMove};
use crate::registry::job::{ExecStatus, JobStatus};
use crate::registry::job_write::JobsWrite;

/// abortConfig: once an execution ends, a job whose failures reach one criterion's
/// `thresholdPercentage` of its finished executions (at least `minNumberOfExecutedThings`
/// of them) is CANCELED with its QUEUED executions (CANCEL is AWS's only action).
/// A choice (README "Jobs"): "executed" counts finished executions; IN_PROGRESS ones
/// carry on, as with CancelJob without force.
pub fn check_abort(w: &mut JobsWrite<'_>, job_id: &str) {
    let Some(job) = w.job(job_id).cloned() else {
        return;
    };
    let criteria = job
        .config
        .get("abortConfig")
        .and_then(|a| a.get("criteriaList"));
    let Some(criteria) = criteria.and_then(Value::as_array) else {
        return;
    };
    if job.status != JobStatus::InProgress {
        return;
    }
    let c = &job.counts;
    let [failed, rejected, timed_out] = [
        ExecStatus::Failed,
        ExecStatus::Rejected,
        ExecStatus::TimedOut,
    ]
    .map(|s| c.get(s));
    let finished = failed + rejected + timed_out + c.get(ExecStatus::Succeeded);
    let met = criteria.iter().any(|k| {
        let failures = match k.get("failureType").and_then(Value::as_str) {
            Some("FAILED") => failed,
            Some("REJECTED") => rejected,
            Some("TIMED_OUT") => timed_out,
            Some("ALL") => failed + rejected + timed_out,
            _ => return false,
        };
        let min = k
            .get("minNumberOfExecutedThings")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let threshold = k
            .get("thresholdPercentage")
            .and_then(Value::as_f64)
            .unwrap_or(100.0);
        finished >= min.max(1) && failures as f64 * 100.0 >= threshold * finished as f64
    });
    if !met {
        return;
    }
    let now = w.now_ms();
    let mut job = job;
    job.status = JobStatus::Canceled;
    job.comment = Some("Canceled by the job's abortConfig".into());
    job.completed_at_ms = Some(now);
    job.last_updated_at_ms = now;
    job.rollout = None;
    w.put_job(job);
    for mut e in w.executions_of_job(job_id) {
        let cancel = ServiceMove::Cancel { force: false };
        if e.status == ExecStatus::Queued && machine::service_move(&mut e, cancel, now) == Ok(true)
        {
            w.put_execution(e);
        }
    }
}
