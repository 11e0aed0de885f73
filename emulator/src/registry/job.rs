//! Jobs, job executions and job templates: the records and their reads.
//!
//! What the records mean (the execution state machine, targets, timers) belongs to
//! [`crate::jobs`]; writes go through [`super::job_write::JobsWrite`], which keeps each
//! job's counts and status in step with its executions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{IotResult, Registry};

/// `JobExecutionStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecStatus {
    Queued,
    InProgress,
    Succeeded,
    Failed,
    TimedOut,
    Rejected,
    Removed,
    Canceled,
}

impl ExecStatus {
    /// Every status, in the order AWS's enum lists them.
    pub const ALL: [ExecStatus; 8] = [
        ExecStatus::Queued,
        ExecStatus::InProgress,
        ExecStatus::Succeeded,
        ExecStatus::Failed,
        ExecStatus::TimedOut,
        ExecStatus::Rejected,
        ExecStatus::Removed,
        ExecStatus::Canceled,
    ];

    /// The name AWS spells.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecStatus::Queued => "QUEUED",
            ExecStatus::InProgress => "IN_PROGRESS",
            ExecStatus::Succeeded => "SUCCEEDED",
            ExecStatus::Failed => "FAILED",
            ExecStatus::TimedOut => "TIMED_OUT",
            ExecStatus::Rejected => "REJECTED",
            ExecStatus::Removed => "REMOVED",
            ExecStatus::Canceled => "CANCELED",
        }
    }

    /// The status named `s`.
    pub fn parse(s: &str) -> Option<ExecStatus> {
        ExecStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// QUEUED and IN_PROGRESS are pending; everything else is final.
    pub fn is_pending(self) -> bool {
        matches!(self, ExecStatus::Queued | ExecStatus::InProgress)
    }
}

/// `JobStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    InProgress,
    Canceled,
    Completed,
    DeletionInProgress,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Canceled => "CANCELED",
            JobStatus::Completed => "COMPLETED",
            JobStatus::DeletionInProgress => "DELETION_IN_PROGRESS",
        }
    }
}

/// `TargetSelection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetSelection {
    Snapshot,
    Continuous,
}

impl TargetSelection {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetSelection::Snapshot => "SNAPSHOT",
            TargetSelection::Continuous => "CONTINUOUS",
        }
    }
}

/// `jobProcessDetails`: how many executions are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts(pub BTreeMap<String, i64>);

impl Counts {
    /// Moves one execution into (`+1`) or out of (`-1`) `status`.
    pub fn add(&mut self, status: ExecStatus, delta: i64) {
        *self.0.entry(status.as_str().to_string()).or_default() += delta;
    }

    pub fn get(&self, status: ExecStatus) -> i64 {
        self.0.get(status.as_str()).copied().unwrap_or(0)
    }

    /// Executions still QUEUED or IN_PROGRESS.
    pub fn pending(&self) -> i64 {
        self.get(ExecStatus::Queued) + self.get(ExecStatus::InProgress)
    }
}

/// A job, keyed by its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub job_id: String,
    pub description: Option<String>,
    /// The document as JSON text.
    pub document: String,
    pub document_source: Option<String>,
    /// Thing and thing-group ARNs.
    pub targets: Vec<String>,
    pub target_selection: TargetSelection,
    pub status: JobStatus,
    pub force_canceled: bool,
    pub reason_code: Option<String>,
    pub comment: Option<String>,
    pub created_at_ms: i64,
    pub last_updated_at_ms: i64,
    pub completed_at_ms: Option<i64>,
    /// `timeoutConfig.inProgressTimeoutInMinutes`.
    pub in_progress_timeout_minutes: Option<i64>,
    /// The configuration blocks stored and shown as sent (rollout, abort, presigned URL,
    /// retry, scheduling, timeout), by their member names.
    pub config: Map<String, Value>,
    pub job_template_arn: Option<String>,
    pub counts: Counts,
    /// Creation order: an execution's place in its thing's queue.
    pub seq: u64,
    /// `jobExecutionsRolloutConfig`: the targets still waiting for an execution.
    #[serde(default)]
    pub rollout: Option<Rollout>,
}

/// A staged rollout under way (see [`crate::jobs::rollout`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    /// Things not yet given an execution, in the order they get one.
    pub waiting: Vec<String>,
    /// When the current rollout minute began.
    pub minute_start_ms: i64,
    /// Executions created in the current minute.
    pub released_in_minute: i64,
    /// Executions created so far (things notified).
    pub notified: i64,
    /// Rate increases so far (`exponentialRate`).
    pub step: i64,
}

impl Job {
    /// Whether targets still wait for their execution.
    pub fn rolling_out(&self) -> bool {
        self.rollout.as_ref().is_some_and(|r| !r.waiting.is_empty())
    }
}

/// Retries already made of one execution, by failure type (`jobExecutionsRetryConfig`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retries {
    pub failed: i64,
    pub timed_out: i64,
}

impl Retries {
    /// `retryAttempt`: every retry made.
    pub fn attempt(&self) -> i64 {
        self.failed + self.timed_out
    }
}

/// One job's execution on one thing, keyed `"<jobId>\n<thingName>"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub job_id: String,
    pub thing_name: String,
    pub execution_number: i64,
    pub status: ExecStatus,
    pub status_details: BTreeMap<String, String>,
    pub force_canceled: bool,
    pub queued_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub last_updated_at_ms: i64,
    pub version_number: i64,
    /// The job's [`Job::seq`]: the thing's queue is in this order.
    pub seq: u64,
    /// When the step timer (set by the device) runs out.
    pub step_deadline_ms: Option<i64>,
    /// When the job's in-progress timer runs out.
    pub in_progress_deadline_ms: Option<i64>,
    /// Retries made before this execution (`retryAttempt`).
    #[serde(default)]
    pub retries: Retries,
}

impl Execution {
    /// The first timer to run out, if one runs.
    pub fn deadline_ms(&self) -> Option<i64> {
        match (self.step_deadline_ms, self.in_progress_deadline_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The key of an execution.
pub fn execution_key(job_id: &str, thing: &str) -> String {
    format!("{job_id}\n{thing}")
}

/// What the `job_executions` index is on: its job, its thing, and whether a timer runs.
pub(crate) fn execution_terms(e: &Execution) -> Vec<String> {
    let mut terms = vec![
        format!("job:{}", e.job_id),
        format!("thing:{}", e.thing_name),
    ];
    if e.deadline_ms().is_some() {
        terms.push(TIMER_TERM.to_string());
    }
    terms
}

pub(crate) const TIMER_TERM: &str = "timer";

/// A job template, keyed by its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobTemplate {
    pub job_template_id: String,
    pub description: String,
    pub document: Option<String>,
    pub document_source: Option<String>,
    pub created_at_ms: i64,
    /// The configuration blocks, as for [`Job::config`].
    pub config: Map<String, Value>,
}

/// A thing's pending executions in queue order: IN_PROGRESS first, then QUEUED, each by
/// the order their jobs were created. The first one is the thing's "next" execution.
pub fn queue_order(executions: &mut [Execution]) {
    executions.sort_by_key(|e| (e.status != ExecStatus::InProgress, e.seq));
}

impl Registry {
    /// The job `job_id`.
    pub fn job(&self, job_id: &str) -> Option<Job> {
        self.read(|inner| inner.jobs.get(job_id).cloned())
    }

    /// Every job, in id order.
    pub fn all_jobs(&self) -> Vec<Job> {
        self.read(|inner| inner.jobs.values().cloned().collect())
    }

    /// The execution of `job_id` on `thing`.
    pub fn job_execution(&self, job_id: &str, thing: &str) -> Option<Execution> {
        let key = execution_key(job_id, thing);
        self.read(|inner| inner.job_executions.get(&key).cloned())
    }

    /// Every execution of `job_id`, by thing name.
    pub fn executions_of_job(&self, job_id: &str) -> Vec<Execution> {
        let term = format!("job:{job_id}");
        self.read(|inner| {
            let rows = inner.job_executions.by_term(&term);
            rows.map(|(_, e)| e.clone()).collect()
        })
    }

    /// Every execution on `thing`, in queue order (pending ones first).
    pub fn executions_of_thing(&self, thing: &str) -> Vec<Execution> {
        let term = format!("thing:{thing}");
        let mut all: Vec<Execution> = self.read(|inner| {
            let rows = inner.job_executions.by_term(&term);
            rows.map(|(_, e)| e.clone()).collect()
        });
        all.sort_by_key(|e| {
            (
                !e.status.is_pending(),
                e.status != ExecStatus::InProgress,
                e.seq,
            )
        });
        all
    }

    /// The job template `id`.
    pub fn job_template(&self, id: &str) -> Option<JobTemplate> {
        self.read(|inner| inner.job_templates.get(id).cloned())
    }

    /// Every job template, in id order.
    pub fn job_templates(&self) -> Vec<JobTemplate> {
        self.read(|inner| inner.job_templates.values().cloned().collect())
    }

    /// CreateJobTemplate: `false` when the id is taken.
    pub fn insert_job_template(&self, template: JobTemplate) -> IotResult<bool> {
        self.write(|inner, tx| {
            if inner.job_templates.contains(&template.job_template_id) {
                return Ok(false);
            }
            let id = template.job_template_id.clone();
            inner.job_templates.put(tx, id, template);
            Ok(true)
        })
    }

    /// DeleteJobTemplate: `false` when there was none.
    pub fn remove_job_template(&self, id: &str) -> IotResult<bool> {
        self.write(|inner, tx| Ok(inner.job_templates.remove(tx, id).is_some()))
    }
}

impl Registry {
    /// Whether some execution's timer has run out at `now`.
    pub fn read_timers_due(&self, now: i64) -> bool {
        self.read(|inner| {
            let mut rows = inner.job_executions.by_term(TIMER_TERM);
            rows.any(|(_, e)| e.deadline_ms().is_some_and(|d| d <= now))
        })
    }

    /// Whether a staged rollout's next minute has begun at `now`.
    pub fn rollouts_due(&self, now: i64) -> bool {
        self.read(|inner| {
            inner.jobs.values().any(|j| {
                j.status == JobStatus::InProgress
                    && j.rollout
                        .as_ref()
                        .is_some_and(|r| !r.waiting.is_empty() && now >= r.minute_start_ms + 60_000)
            })
        })
    }

    /// Whether a CONTINUOUS job is IN_PROGRESS (its targets then need watching).
    pub fn continuous_jobs_running(&self) -> bool {
        self.read(|inner| {
            inner.jobs.values().any(|j| {
                j.target_selection == TargetSelection::Continuous
                    && j.status == JobStatus::InProgress
            })
        })
    }
}
