//! `jobExecutionsRetryConfig`: an execution that ends FAILED (reported by the device) or
//! TIMED_OUT (a timer ran out) is tried again while its failure type has retries left: the
//! thing gets a new QUEUED execution with the next `executionNumber`, `versionNumber` 1
//! and `retryAttempt` one higher, and `notify` / `notify-next` announce it. REJECTED is
//! never retried. A choice (README "Jobs"): a `FAILED` or `TIMED_OUT` criterion counts the
//! retries of its own type, `ALL` counts both (a specific criterion wins over `ALL`), and
//! the retry replaces the thing's execution record (one record per job and thing).

use serde_json::{Map, Value};

use super::machine;
use crate::registry::job::{ExecStatus, Execution, Job, JobStatus};
use crate::registry::job_write::JobsWrite;
use crate::registry::{IotError, IotResult};

const BLOCK: &str = "jobExecutionsRetryConfig";
/// AWS: at most 10 retries per execution, both failure types together.
const MAX_RETRIES: i64 = 10;

/// Checks the block: 1–2 criteria, each a failure type once, 0–10 retries, 10 in all.
pub fn check(block: &Map<String, Value>) -> IotResult<()> {
    super::validate::members(BLOCK, block, &["criteriaList"])?;
    let list = super::validate::required(BLOCK, block, "criteriaList")?;
    let list = list
        .as_array()
        .ok_or_else(|| IotError::invalid("jobExecutionsRetryConfig.criteriaList must be a list"))?;
    if list.is_empty() || list.len() > 2 {
        return Err(IotError::invalid(format!(
            "1 validation error detected: Value '{}' at 'jobExecutionsRetryConfig.criteriaList' failed to satisfy constraint: Member must have length between 1 and 2",
            Value::Array(list.clone())
        )));
    }
    let mut seen = Vec::new();
    let mut total = 0;
    for c in list {
        let (kind, n) = criterion(c)?;
        if seen.contains(&kind) {
            return Err(IotError::invalid(format!(
                "failureType {kind} appears more than once in criteriaList"
            )));
        }
        seen.push(kind);
        total += n;
    }
    if total > MAX_RETRIES {
        return Err(IotError::invalid(format!(
            "The criteria allow {total} retries; a job execution may be retried at most {MAX_RETRIES} times"
        )));
    }
    Ok(())
}

/// One criterion, checked: its failure type and number of retries.
fn criterion(c: &Value) -> IotResult<(&str, i64)> {
    let at = "jobExecutionsRetryConfig.criteriaList.member";
    let c = super::validate::object(at, c)?;
    super::validate::members(at, c, &["failureType", "numberOfRetries"])?;
    let kind = super::validate::required(at, c, "failureType")?;
    let kind = match kind.as_str() {
        Some(k @ ("FAILED" | "TIMED_OUT" | "ALL")) => k,
        _ => {
            return Err(IotError::invalid(format!(
                "1 validation error detected: Value '{}' at '{at}.failureType' failed to satisfy constraint: Member must satisfy enum value set: [FAILED, TIMED_OUT, ALL]",
                kind.as_str().unwrap_or_default()
            )))
        }
    };
    let n = super::validate::required(at, c, "numberOfRetries")?;
    let n = super::validate::int_in(at, "numberOfRetries", n, 0, MAX_RETRIES)?;
    Ok((kind, n))
}

/// The retries a criterion of `kind` allows, if the job has one.
fn allowed(job: &Job, kind: &str) -> Option<i64> {
    let list = job.config.get(BLOCK)?.get("criteriaList")?.as_array()?;
    list.iter()
        .find(|c| c.get("failureType").and_then(Value::as_str) == Some(kind))
        .and_then(|c| c.get("numberOfRetries"))
        .and_then(Value::as_i64)
}

/// UpdateJob may only turn retries off: every `numberOfRetries` 0, or the block unchanged
/// (AWS: "the number of retries can't be updated", except to 0).
pub fn check_update(job: &Job, block: &Map<String, Value>) -> IotResult<()> {
    let same = job.config.get(BLOCK).and_then(Value::as_object) == Some(block);
    let list = block.get("criteriaList").and_then(Value::as_array);
    let all_zero = list.is_some_and(|l| {
        l.iter()
            .all(|c| c.get("numberOfRetries").and_then(Value::as_i64) == Some(0))
    });
    if same || all_zero {
        Ok(())
    } else {
        Err(IotError::invalid(
            "The number of retries of a job cannot be updated, except to 0",
        ))
    }
}

/// After `ended` (just stored) reached FAILED or TIMED_OUT: its retry, if one is left.
pub fn after_failure(w: &mut JobsWrite<'_>, ended: &Execution) {
    let Some(job) = w.job(&ended.job_id).cloned() else {
        return;
    };
    if job.status != JobStatus::InProgress {
        return;
    }
    let mut retries = ended.retries;
    let (kind, own) = match ended.status {
        ExecStatus::Failed => ("FAILED", &mut retries.failed),
        ExecStatus::TimedOut => ("TIMED_OUT", &mut retries.timed_out),
        _ => return,
    };
    let left = match (allowed(&job, kind), allowed(&job, "ALL")) {
        (Some(limit), _) => *own < limit,
        (None, Some(limit)) => ended.retries.attempt() < limit,
        (None, None) => false,
    };
    if !left {
        return;
    }
    *own += 1;
    let now = w.now_ms();
    let number = ended.execution_number + 1;
    let mut next = machine::queued(&job.job_id, &ended.thing_name, job.seq, number, now);
    next.retries = retries;
    w.put_execution(next);
}
