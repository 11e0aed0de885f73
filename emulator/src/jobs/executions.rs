//! The control-plane operations on executions: DescribeJobExecution, the two
//! ListJobExecutions reads, CancelJobExecution and DeleteJobExecution.

use super::control::{check_id, execution_not_found, job_not_found};
use super::machine::{self, ServiceMove};
use super::Jobs;
use crate::registry::job::Execution;
use crate::registry::{ErrorKind, IotError, IotResult};

impl Jobs {
    /// DescribeJobExecution (control plane).
    pub fn describe_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: Option<i64>,
    ) -> IotResult<Execution> {
        check_id("jobId", job_id)?;
        self.expire_due();
        let found = self.registry.job_execution(job_id, thing);
        let found = found.filter(|e| execution_number.is_none_or(|n| n == e.execution_number));
        found.ok_or_else(|| execution_not_found(job_id, thing))
    }

    /// ListJobExecutionsForJob and ListJobExecutionsForThing read these.
    pub fn executions_of_job(&self, job_id: &str) -> IotResult<Vec<Execution>> {
        check_id("jobId", job_id)?;
        self.expire_due();
        if self.registry.job(job_id).is_none() {
            return Err(job_not_found(job_id));
        }
        Ok(self.registry.executions_of_job(job_id))
    }

    pub fn executions_of_thing(&self, thing: &str) -> Vec<Execution> {
        self.expire_due();
        self.registry.executions_of_thing(thing)
    }

    /// CancelJobExecution: QUEUED, or IN_PROGRESS with `force`.
    pub fn cancel_execution(
        &self,
        job_id: &str,
        thing: &str,
        force: bool,
        expected_version: Option<i64>,
        details: Option<std::collections::BTreeMap<String, String>>,
    ) -> IotResult<()> {
        check_id("jobId", job_id)?;
        self.expire_due();
        let ((), changes) = self.registry.jobs_write(|w| {
            let mut e = w
                .execution(job_id, thing)
                .cloned()
                .ok_or_else(|| execution_not_found(job_id, thing))?;
            if expected_version.is_some_and(|v| v != e.version_number) {
                let message = format!("The job execution's version is {}", e.version_number);
                return Err(IotError::new(ErrorKind::VersionConflict, message));
            }
            if !e.status.is_pending() {
                let message = format!("Job execution {job_id} on {thing} is {}", e.status.as_str());
                return Err(IotError::new(ErrorKind::InvalidStateTransition, message));
            }
            if let Some(details) = details {
                e.status_details = details;
            }
            let now = w.now_ms();
            machine::service_move(&mut e, ServiceMove::Cancel { force }, now)
                .map_err(|m| IotError::new(ErrorKind::InvalidStateTransition, m))?;
            w.put_execution(e);
            Ok(())
        })?;
        self.announce(&changes);
        Ok(())
    }

    /// DeleteJobExecution: final executions, or pending ones with `force`.
    pub fn delete_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: i64,
        force: bool,
    ) -> IotResult<()> {
        check_id("jobId", job_id)?;
        let ((), changes) = self.registry.jobs_write(|w| {
            let e = w
                .execution(job_id, thing)
                .filter(|e| e.execution_number == execution_number);
            let e = e
                .cloned()
                .ok_or_else(|| execution_not_found(job_id, thing))?;
            if e.status.is_pending() && !force {
                let message = format!(
                    "Job execution {job_id} on {thing} is {}; delete it with force",
                    e.status.as_str()
                );
                return Err(IotError::new(ErrorKind::InvalidStateTransition, message));
            }
            w.remove_execution(job_id, thing);
            Ok(())
        })?;
        self.announce(&changes);
        Ok(())
    }
}
