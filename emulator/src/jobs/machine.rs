//! The job execution state machine (shadow-jobs-rules §2.5): which moves a device may make,
//! which the service makes, and what every move does to `versionNumber`, the timestamps
//! and the timers. Pure functions over [`Execution`] records.

use std::collections::BTreeMap;

use super::{DeviceCode, DeviceError};
use crate::registry::job::{ExecStatus, Execution};

const MINUTE_MS: i64 = 60_000;

/// Timers run 1 to 10080 minutes (AWS's limit).
pub const MAX_TIMER_MINUTES: i64 = 10_080;

/// A device's UpdateJobExecution, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub status: Option<ExecStatus>,
    pub status_details: Option<BTreeMap<String, String>>,
    pub expected_version: Option<i64>,
    pub execution_number: Option<i64>,
    /// `-1` clears the step timer.
    pub step_timeout_minutes: Option<i64>,
}

/// The statuses a device may set.
pub fn device_may_set(status: ExecStatus) -> bool {
    matches!(
        status,
        ExecStatus::InProgress | ExecStatus::Succeeded | ExecStatus::Failed | ExecStatus::Rejected
    )
}

fn rejected(code: DeviceCode, message: String, e: &Execution) -> DeviceError {
    DeviceError {
        code,
        message,
        execution_state: Some(Box::new(e.clone())),
    }
}

/// Applies a device's update; `in_progress_timeout` is the job's `timeoutConfig`.
pub fn device_update(
    e: &mut Execution,
    update: &Update,
    in_progress_timeout: Option<i64>,
    now: i64,
) -> Result<(), DeviceError> {
    let Some(status) = update.status.filter(|s| device_may_set(*s)) else {
        return Err(DeviceError::invalid(
            "status must be one of IN_PROGRESS, SUCCEEDED, FAILED or REJECTED",
        ));
    };
    if let Some(expected) = update.expected_version {
        if expected != e.version_number {
            let message = format!(
                "Expected version {expected} does not match the current version {}",
                e.version_number
            );
            return Err(rejected(DeviceCode::VersionMismatch, message, e));
        }
    }
    if !e.status.is_pending() {
        let message = format!(
            "Job execution is in a terminal state ({}) and cannot be updated to {}",
            e.status.as_str(),
            status.as_str()
        );
        return Err(rejected(DeviceCode::InvalidStateTransition, message, e));
    }
    if e.status == ExecStatus::Queued && status == ExecStatus::InProgress {
        start(e, in_progress_timeout, now);
    }
    if let Some(details) = &update.status_details {
        e.status_details = details.clone();
    }
    e.status = status;
    if status == ExecStatus::InProgress {
        match update.step_timeout_minutes {
            Some(-1) => e.step_deadline_ms = None,
            Some(m) => e.step_deadline_ms = Some(now + m * MINUTE_MS),
            None => {}
        }
    } else {
        stop_timers(e);
    }
    touch(e, now);
    Ok(())
}

/// QUEUED → IN_PROGRESS by StartNextPendingJobExecution.
pub fn start_next(
    e: &mut Execution,
    details: Option<&BTreeMap<String, String>>,
    step_timeout_minutes: Option<i64>,
    in_progress_timeout: Option<i64>,
    now: i64,
) {
    start(e, in_progress_timeout, now);
    e.status = ExecStatus::InProgress;
    if let Some(details) = details {
        e.status_details = details.clone();
    }
    if let Some(m) = step_timeout_minutes.filter(|m| *m > 0) {
        e.step_deadline_ms = Some(now + m * MINUTE_MS);
    }
    touch(e, now);
}

fn start(e: &mut Execution, in_progress_timeout: Option<i64>, now: i64) {
    e.started_at_ms = Some(now);
    e.in_progress_deadline_ms = in_progress_timeout.map(|m| now + m * MINUTE_MS);
}

/// Why the service ends an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceMove {
    /// CancelJob or CancelJobExecution; `force` may cancel an IN_PROGRESS one.
    Cancel { force: bool },
    /// The thing left a CONTINUOUS job's target groups.
    Remove,
    /// A timer ran out.
    TimeOut,
}

/// Applies a service move; `Ok(false)` when it does not apply (nothing changes).
pub fn service_move(e: &mut Execution, m: ServiceMove, now: i64) -> Result<bool, String> {
    let to = match (m, e.status) {
        (_, s) if !s.is_pending() => return Ok(false),
        (ServiceMove::Cancel { force: false }, ExecStatus::InProgress) => {
            return Err(format!(
                "Job execution {} on {} is IN_PROGRESS; cancel it with force",
                e.job_id, e.thing_name
            ))
        }
        (ServiceMove::Cancel { force }, s) => {
            e.force_canceled = force && s == ExecStatus::InProgress;
            ExecStatus::Canceled
        }
        (ServiceMove::Remove, _) => ExecStatus::Removed,
        (ServiceMove::TimeOut, ExecStatus::InProgress) => ExecStatus::TimedOut,
        (ServiceMove::TimeOut, _) => return Ok(false),
    };
    e.status = to;
    stop_timers(e);
    touch(e, now);
    Ok(true)
}

fn stop_timers(e: &mut Execution) {
    e.step_deadline_ms = None;
    e.in_progress_deadline_ms = None;
}

fn touch(e: &mut Execution, now: i64) {
    e.version_number += 1;
    e.last_updated_at_ms = now;
}

/// Seconds until the first timer runs out, while one runs.
pub fn seconds_before_timed_out(e: &Execution, now: i64) -> Option<i64> {
    e.deadline_ms().map(|d| ((d - now).max(0)) / 1000)
}

/// A fresh QUEUED execution.
pub fn queued(job_id: &str, thing: &str, seq: u64, execution_number: i64, now: i64) -> Execution {
    Execution {
        job_id: job_id.to_string(),
        thing_name: thing.to_string(),
        execution_number,
        status: ExecStatus::Queued,
        status_details: BTreeMap::new(),
        force_canceled: false,
        queued_at_ms: now,
        started_at_ms: None,
        last_updated_at_ms: now,
        version_number: 1,
        seq,
        step_deadline_ms: None,
        in_progress_deadline_ms: None,
        retries: Default::default(),
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
