//! The device operations: GetPendingJobExecutions, StartNextPendingJobExecution,
//! DescribeJobExecution (also `$next`) and UpdateJobExecution, shared by the MQTT topics
//! and iot-jobs-data. Each runs any timer that has run out first.

use std::collections::BTreeMap;

use super::machine::{self, Update};
use super::{DeviceCode, DeviceError, Jobs};
use crate::registry::job::{ExecStatus, Execution};

/// An execution and its job's document (JSON text).
#[derive(Debug, Clone, PartialEq)]
pub struct WithDocument {
    pub execution: Execution,
    pub document: String,
}

/// The `$next` job id: the thing's next pending execution.
pub const NEXT: &str = "$next";

impl Jobs {
    /// GetPendingJobExecutions: IN_PROGRESS and QUEUED, each in queue order.
    pub fn pending(&self, thing: &str) -> (Vec<Execution>, Vec<Execution>) {
        self.expire_due();
        let all = self.registry.executions_of_thing(thing);
        let pending = all.into_iter().filter(|e| e.status.is_pending());
        pending.partition(|e| e.status == ExecStatus::InProgress)
    }

    fn with_document(&self, execution: Execution) -> WithDocument {
        let job = self.registry.job(&execution.job_id);
        let document = job.map_or_else(|| "{}".into(), |j| self.device_document(&j));
        WithDocument {
            execution,
            document,
        }
    }

    /// StartNextPendingJobExecution: the oldest IN_PROGRESS execution unchanged, else the
    /// oldest QUEUED one started; `None` when nothing is pending.
    pub fn start_next(
        &self,
        thing: &str,
        details: Option<BTreeMap<String, String>>,
        step_timeout: Option<i64>,
    ) -> Result<Option<WithDocument>, DeviceError> {
        self.expire_due();
        let (started, changes) = self.registry.jobs_write(|w| {
            let now = w.now_ms();
            let Some(mut next) = w.executions_of_thing(thing).into_iter().next() else {
                return Ok(None);
            };
            let status = next.status;
            match status {
                ExecStatus::InProgress => return Ok(Some(next)),
                ExecStatus::Queued => {}
                _ => return Ok(None),
            }
            let timeout = w
                .job(&next.job_id)
                .and_then(|j| j.in_progress_timeout_minutes);
            machine::start_next(&mut next, details.as_ref(), step_timeout, timeout, now);
            w.put_execution(next.clone());
            Ok(Some(next))
        })?;
        self.announce(&changes);
        Ok(started.map(|e| self.with_document(e)))
    }

    /// The execution `job_id` names on `thing` (`$next`: the next pending one).
    fn find(
        &self,
        thing: &str,
        job_id: &str,
        execution_number: Option<i64>,
    ) -> Result<Execution, DeviceError> {
        let found = if job_id == NEXT {
            let all = self.registry.executions_of_thing(thing);
            all.into_iter().find(|e| e.status.is_pending())
        } else {
            self.registry.job_execution(job_id, thing)
        };
        let found = found.filter(|e| execution_number.is_none_or(|n| n == e.execution_number));
        found.ok_or_else(|| {
            DeviceError::not_found(format!("No job execution found for {job_id} on {thing}"))
        })
    }

    /// DescribeJobExecution.
    pub fn describe(
        &self,
        thing: &str,
        job_id: &str,
        execution_number: Option<i64>,
    ) -> Result<WithDocument, DeviceError> {
        self.expire_due();
        let execution = self.find(thing, job_id, execution_number)?;
        Ok(self.with_document(execution))
    }

    /// UpdateJobExecution.
    pub fn update(
        &self,
        thing: &str,
        job_id: &str,
        update: &Update,
    ) -> Result<WithDocument, DeviceError> {
        if job_id == NEXT {
            return Err(DeviceError::new(
                DeviceCode::InvalidTopic,
                "$next cannot be updated",
            ));
        }
        self.expire_due();
        let (outcome, changes) = self.registry.jobs_write(|w| {
            let now = w.now_ms();
            let Some(current) = w.execution(job_id, thing).cloned() else {
                let message = format!("No job execution found for {job_id} on {thing}");
                return Ok(Err(DeviceError::not_found(message)));
            };
            if update
                .execution_number
                .is_some_and(|n| n != current.execution_number)
            {
                let message = format!("No job execution {job_id} on {thing} has that number");
                return Ok(Err(DeviceError::not_found(message)));
            }
            let timeout = w.job(job_id).and_then(|j| j.in_progress_timeout_minutes);
            let mut next = current;
            if let Err(e) = machine::device_update(&mut next, update, timeout, now) {
                return Ok(Err(e));
            }
            w.put_execution(next.clone());
            super::abort::check_abort(w, job_id);
            super::retry::after_failure(w, &next);
            super::rollout::release(w, job_id);
            Ok(Ok(next))
        })?;
        self.announce(&changes);
        outcome.map(|e| self.with_document(e))
    }
}
