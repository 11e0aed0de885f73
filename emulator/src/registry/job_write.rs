//! The one way jobs and executions change: [`Registry::jobs_write`] hands the jobs engine a
//! [`JobsWrite`] guard whose methods keep each job's `jobProcessDetails` counts and status
//! in step with its executions, and which reports, per thing, how its pending executions
//! changed (for `notify` and `notify-next`) and which executions and jobs ended (for
//! the `$aws/events/...` messages).

use std::collections::{BTreeMap, BTreeSet};

use super::job::{
    execution_key, queue_order, ExecStatus, Execution, Job, JobStatus, TargetSelection, TIMER_TERM,
};
use super::thing_group::subtree;
use super::{Account, Inner, IotResult, Registry, Tx};

/// How one thing's pending executions changed in a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingChange {
    pub thing: String,
    /// Pending executions (`<jobId>#<executionNumber>`) in queue order, before and after.
    pub before: Vec<String>,
    pub after: Vec<String>,
}

impl ThingChange {
    /// The set of pending executions changed: AWS publishes `notify`.
    pub fn pending_set_changed(&self) -> bool {
        let a: BTreeSet<_> = self.before.iter().collect();
        let b: BTreeSet<_> = self.after.iter().collect();
        a != b
    }

    /// The next execution is another one: AWS publishes `notify-next`.
    pub fn next_changed(&self) -> bool {
        self.before.first() != self.after.first()
    }
}

/// What a committed jobs write changed, for the notifications that follow it.
#[derive(Debug, Clone, Default)]
pub struct JobChanges {
    pub things: Vec<ThingChange>,
    /// Executions that reached a final status (as they are now), and ones deleted.
    pub executions_ended: Vec<Execution>,
    pub executions_deleted: Vec<Execution>,
    /// Jobs that became COMPLETED or CANCELED, and jobs deleted.
    pub jobs_ended: Vec<Job>,
    pub jobs_deleted: Vec<Job>,
}

/// The write guard over the jobs tables.
pub struct JobsWrite<'a> {
    inner: &'a mut Inner,
    tx: &'a mut Tx,
    now_ms: i64,
    account: Account,
    /// Each touched thing's pending job ids before its first change.
    before: BTreeMap<String, Vec<String>>,
    touched_jobs: BTreeSet<String>,
    changes: JobChanges,
}

const SEQ_KEY: &str = "job_seq";

impl<'a> JobsWrite<'a> {
    /// The emulator clock at the start of the write.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The account and region ARNs name.
    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn job(&self, job_id: &str) -> Option<&Job> {
        self.inner.jobs.get(job_id)
    }

    /// Every job, in id order.
    pub fn jobs(&self) -> Vec<Job> {
        self.inner.jobs.values().cloned().collect()
    }

    /// Stores `job`; its counts are the guard's to keep, so a new job starts at zero.
    pub fn put_job(&mut self, mut job: Job) {
        match self.inner.jobs.get(&job.job_id) {
            Some(old) => job.counts = old.counts.clone(),
            None => job.counts = Default::default(),
        }
        let ended = matches!(job.status, JobStatus::Canceled | JobStatus::Completed);
        let was = self.inner.jobs.get(&job.job_id).map(|j| j.status);
        if ended && was != Some(job.status) {
            self.changes.jobs_ended.push(job.clone());
        }
        self.touched_jobs.insert(job.job_id.clone());
        self.inner.jobs.put(self.tx, job.job_id.clone(), job);
    }

    /// Removes the job (its executions must be gone first).
    pub fn remove_job(&mut self, job_id: &str) {
        if let Some(job) = self.inner.jobs.remove(self.tx, job_id) {
            self.changes.jobs_deleted.push(job);
        }
        self.touched_jobs.remove(job_id);
    }

    /// The next place in every thing's queue.
    pub fn next_seq(&mut self) -> u64 {
        let seq = self.inner.meta.get(SEQ_KEY).and_then(|v| v.as_u64());
        let seq = seq.unwrap_or(0) + 1;
        self.inner
            .meta
            .put(self.tx, SEQ_KEY, serde_json::json!(seq));
        seq
    }

    pub fn execution(&self, job_id: &str, thing: &str) -> Option<&Execution> {
        self.inner.job_executions.get(&execution_key(job_id, thing))
    }

    /// The thing's executions, pending ones first in queue order, then the final ones.
    pub fn executions_of_thing(&self, thing: &str) -> Vec<Execution> {
        let term = format!("thing:{thing}");
        let rows = self.inner.job_executions.by_term(&term);
        let (mut pending, done): (Vec<_>, Vec<_>) = rows
            .map(|(_, e)| e.clone())
            .partition(|e| e.status.is_pending());
        queue_order(&mut pending);
        pending.extend(done);
        pending
    }

    pub fn executions_of_job(&self, job_id: &str) -> Vec<Execution> {
        let term = format!("job:{job_id}");
        let rows = self.inner.job_executions.by_term(&term);
        rows.map(|(_, e)| e.clone()).collect()
    }

    /// Executions with a running timer.
    pub fn timed_executions(&self) -> Vec<Execution> {
        let rows = self.inner.job_executions.by_term(TIMER_TERM);
        rows.map(|(_, e)| e.clone()).collect()
    }

    /// Stores `execution`, moving its job's counts (and status) with it.
    pub fn put_execution(&mut self, execution: Execution) {
        let key = execution_key(&execution.job_id, &execution.thing_name);
        self.note_thing(&execution.thing_name);
        let old = self.inner.job_executions.get(&key).map(|e| e.status);
        if old != Some(execution.status) {
            let status = execution.status;
            self.count(&execution.job_id, old, Some(status));
            if !status.is_pending() {
                self.changes.executions_ended.push(execution.clone());
            }
        }
        self.inner.job_executions.put(self.tx, key, execution);
    }

    /// Deletes the execution, moving its job's counts.
    pub fn remove_execution(&mut self, job_id: &str, thing: &str) -> Option<Execution> {
        self.note_thing(thing);
        let key = execution_key(job_id, thing);
        let removed = self.inner.job_executions.remove(self.tx, &key)?;
        self.count(job_id, Some(removed.status), None);
        self.changes.executions_deleted.push(removed.clone());
        Some(removed)
    }

    pub fn thing_exists(&self, thing: &str) -> bool {
        self.inner.things.contains(thing)
    }

    pub fn thing_group_exists(&self, group: &str) -> bool {
        self.inner.thing_groups.contains(group)
    }

    /// The things in `group` or any group below it, by name.
    pub fn things_in_group_tree(&self, group: &str) -> Vec<String> {
        let groups = subtree(self.inner, group);
        let things = self.inner.things.values();
        things
            .filter(|t| t.thing_groups.iter().any(|g| groups.contains(g)))
            .map(|t| t.thing_name.clone())
            .collect()
    }

    /// Pending executions as `<jobId>#<executionNumber>`: a retry is another execution.
    fn pending_ids(&self, thing: &str) -> Vec<String> {
        let all = self.executions_of_thing(thing);
        let pending = all.into_iter().filter(|e| e.status.is_pending());
        pending
            .map(|e| format!("{}#{}", e.job_id, e.execution_number))
            .collect()
    }

    fn note_thing(&mut self, thing: &str) {
        if !self.before.contains_key(thing) {
            let ids = self.pending_ids(thing);
            self.before.insert(thing.to_string(), ids);
        }
    }

    fn count(&mut self, job_id: &str, from: Option<ExecStatus>, to: Option<ExecStatus>) {
        let now = self.now_ms;
        let updated = self.inner.jobs.update(self.tx, job_id, |job| {
            if let Some(from) = from {
                job.counts.add(from, -1);
            }
            if let Some(to) = to {
                job.counts.add(to, 1);
            }
            job.last_updated_at_ms = now;
        });
        if updated.is_some() {
            self.touched_jobs.insert(job_id.to_string());
        }
    }

    /// A SNAPSHOT job whose executions are all final is COMPLETED.
    fn complete_jobs(&mut self) {
        for id in std::mem::take(&mut self.touched_jobs) {
            let Some(job) = self.inner.jobs.get(&id) else {
                continue;
            };
            let done = job.status == JobStatus::InProgress
                && job.target_selection == TargetSelection::Snapshot
                && job.counts.pending() == 0
                && !job.rolling_out();
            if done {
                let mut job = job.clone();
                job.status = JobStatus::Completed;
                job.completed_at_ms = Some(self.now_ms);
                job.last_updated_at_ms = self.now_ms;
                self.changes.jobs_ended.push(job.clone());
                self.inner.jobs.put(self.tx, id, job);
            }
        }
    }

    fn finish(mut self) -> JobChanges {
        self.complete_jobs();
        for (thing, before) in std::mem::take(&mut self.before) {
            let after = self.pending_ids(&thing);
            if before != after {
                self.changes.things.push(ThingChange {
                    thing,
                    before,
                    after,
                });
            }
        }
        self.changes
    }
}

impl Registry {
    /// Runs `f` over the jobs tables as one write: all of it is durable before this
    /// returns, none of it when `f` fails. Returns `f`'s value and what changed.
    pub fn jobs_write<R>(
        &self,
        f: impl FnOnce(&mut JobsWrite<'_>) -> IotResult<R>,
    ) -> IotResult<(R, JobChanges)> {
        let now_ms = self.clock().now_ms();
        let account = self.account().clone();
        self.write(|inner, tx| {
            let mut guard = JobsWrite {
                inner,
                tx,
                now_ms,
                account,
                before: BTreeMap::new(),
                touched_jobs: BTreeSet::new(),
                changes: JobChanges::default(),
            };
            let value = f(&mut guard)?;
            Ok((value, guard.finish()))
        })
    }
}
