//! Work the clock and the registry call for, not a request: timers that ran out
//! (TIMED_OUT), staged rollouts whose next minute began, and CONTINUOUS jobs whose target
//! groups gained or lost things (AWS: a thing that joins after CreateJob gets its
//! execution at once, whatever the rollout rate).
//!
//! Timers are checked before every jobs operation and by [`Jobs::run`]'s tick, so after
//! `/_emulator/clock/advance` the next request (or tick) sees TIMED_OUT.

use std::time::Duration;

use tokio::sync::watch;

use super::machine::{self, ServiceMove};
use super::Jobs;
use crate::registry::job::{JobStatus, TargetSelection};
use crate::registry::job_write::JobsWrite;
use crate::registry::IotResult;

/// A choice (README "Jobs"): how often, in real time, timers and CONTINUOUS targets are
/// checked between requests. AWS says it may act up to a minute late.
const TICK: Duration = Duration::from_secs(1);

impl Jobs {
    /// Moves every execution whose timer ran out to TIMED_OUT, and releases the staged
    /// rollouts whose next minute has begun.
    pub fn expire_due(&self) {
        self.roll_out_due();
        let now = self.registry.clock().now_ms();
        let due = self.registry.read_timers_due(now);
        if !due {
            return;
        }
        match self.registry.jobs_write(expire) {
            Ok(((), changes)) => self.announce(&changes),
            Err(e) => tracing::error!(cause = %e, "job timers not expired"),
        }
    }

    /// Gives things that joined a CONTINUOUS job's groups an execution, and removes the
    /// pending ones of things that left.
    pub fn reconcile(&self) {
        if !self.registry.continuous_jobs_running() {
            return;
        }
        match self.registry.jobs_write(reconcile_all) {
            Ok(((), changes)) => self.announce(&changes),
            Err(e) => tracing::error!(cause = %e, "continuous jobs not reconciled"),
        }
    }

    /// Ticks until shutdown.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = shutdown.changed() => return,
            }
            let jobs = self.clone();
            let done = tokio::task::spawn_blocking(move || {
                jobs.expire_due();
                jobs.reconcile();
            });
            let _ = done.await;
        }
    }
}

fn expire(w: &mut JobsWrite<'_>) -> IotResult<()> {
    let now = w.now_ms();
    for mut e in w.timed_executions() {
        if e.deadline_ms().is_some_and(|d| d <= now)
            && machine::service_move(&mut e, ServiceMove::TimeOut, now) == Ok(true)
        {
            let job_id = e.job_id.clone();
            w.put_execution(e.clone());
            super::abort::check_abort(w, &job_id);
            super::retry::after_failure(w, &e);
        }
    }
    Ok(())
}

fn reconcile_all(w: &mut JobsWrite<'_>) -> IotResult<()> {
    let jobs = w.jobs().into_iter().filter(|j| {
        j.target_selection == TargetSelection::Continuous && j.status == JobStatus::InProgress
    });
    for job in jobs.collect::<Vec<_>>() {
        let targets = super::control::target_things(w, &job.targets);
        let now = w.now_ms();
        let waiting = job.rollout.as_ref().map_or(&[][..], |r| &r.waiting[..]);
        for thing in targets.iter().filter(|t| !waiting.contains(t)) {
            let number = match w.execution(&job.job_id, thing) {
                None => 1,
                Some(e) if e.status == crate::registry::job::ExecStatus::Removed => {
                    e.execution_number + 1
                }
                Some(_) => continue,
            };
            w.put_execution(machine::queued(&job.job_id, thing, job.seq, number, now));
        }
        for mut e in w.executions_of_job(&job.job_id) {
            if !targets.contains(&e.thing_name)
                && machine::service_move(&mut e, ServiceMove::Remove, now) == Ok(true)
            {
                w.put_execution(e);
            }
        }
        if waiting.iter().any(|t| !targets.contains(t)) {
            // A thing that left before its turn never gets an execution.
            let mut job = job.clone();
            if let Some(r) = job.rollout.as_mut() {
                r.waiting.retain(|t| targets.contains(t));
            }
            w.put_job(job);
        }
    }
    Ok(())
}
