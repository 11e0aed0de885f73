//! `jobExecutionsRolloutConfig`: a staged rollout. A job with one gives its targets their
//! QUEUED executions (and `notify` / `notify-next`) no faster than its rate, per minute of
//! the emulator clock: `maximumPerMinute` (1–1000, default 1000), or `exponentialRate`,
//! which starts at `baseRatePerMinute` and multiplies by `incrementFactor` each time
//! another `numberOfNotifiedThings` things were notified or another
//! `numberOfSucceededThings` executions succeeded (capped by `maximumPerMinute`).
//!
//! The first minute's share goes out with CreateJob; each later minute's when the clock
//! reaches it (the tick, or any jobs request after `/_emulator/clock/advance`). A choice
//! (README "Jobs"): a minute's rate is fixed as the minute begins, from the things
//! notified and the executions succeeded by then.

use serde_json::{Map, Value};

use super::machine;
use super::Jobs;
use crate::registry::job::{ExecStatus, Job, JobStatus, Rollout};
use crate::registry::job_write::JobsWrite;
use crate::registry::{IotError, IotResult};

const MINUTE_MS: i64 = 60_000;
/// AWS's default and ceiling for `maximumPerMinute`.
const MAX_PER_MINUTE: i64 = 1000;
const BLOCK: &str = "jobExecutionsRolloutConfig";

/// Checks the block's members against AWS's limits.
pub fn check(block: &Map<String, Value>) -> IotResult<()> {
    super::validate::members(BLOCK, block, &["maximumPerMinute", "exponentialRate"])?;
    if let Some(v) = block.get("maximumPerMinute") {
        super::validate::int_in(BLOCK, "maximumPerMinute", v, 1, MAX_PER_MINUTE)?;
    }
    let Some(rate) = block.get("exponentialRate") else {
        return Ok(());
    };
    check_exponential(rate)
}

/// `exponentialRate`: base 1–1000, factor 1.1–5 with one decimal, a criterion.
fn check_exponential(rate: &Value) -> IotResult<()> {
    let name = "jobExecutionsRolloutConfig.exponentialRate";
    let rate = super::validate::object(name, rate)?;
    let members = [
        "baseRatePerMinute",
        "incrementFactor",
        "rateIncreaseCriteria",
    ];
    super::validate::members(name, rate, &members)?;
    let base = super::validate::required(name, rate, "baseRatePerMinute")?;
    super::validate::int_in(name, "baseRatePerMinute", base, 1, MAX_PER_MINUTE)?;
    let factor = super::validate::required(name, rate, "incrementFactor")?;
    let factor = factor.as_f64().filter(|f| (1.1..=5.0).contains(f));
    let one_decimal = factor.is_some_and(|f| ((f * 10.0).round() - f * 10.0).abs() < 1e-9);
    if !one_decimal {
        return Err(IotError::invalid(
            "incrementFactor must be between 1.1 and 5 with at most one digit after the decimal point",
        ));
    }
    let criteria = super::validate::required(name, rate, "rateIncreaseCriteria")?;
    let at = "jobExecutionsRolloutConfig.exponentialRate.rateIncreaseCriteria";
    let criteria = super::validate::object(at, criteria)?;
    let counts = ["numberOfNotifiedThings", "numberOfSucceededThings"];
    super::validate::members(at, criteria, &counts)?;
    if counts.iter().all(|c| criteria.get(*c).is_none()) {
        return Err(IotError::invalid(
            "rateIncreaseCriteria needs numberOfNotifiedThings or numberOfSucceededThings",
        ));
    }
    for c in counts {
        if let Some(v) = criteria.get(c) {
            super::validate::int_in(at, c, v, 1, i64::from(i32::MAX))?;
        }
    }
    Ok(())
}

fn config(job: &Job) -> Option<&Value> {
    job.config.get(BLOCK).filter(|b| b.is_object())
}

fn int(v: Option<&Value>, key: &str) -> Option<i64> {
    v.and_then(|v| v.get(key)).and_then(Value::as_i64)
}

/// The rate of the job's current step.
fn rate(job: &Job, step: i64) -> i64 {
    let block = config(job);
    let max = int(block, "maximumPerMinute").unwrap_or(MAX_PER_MINUTE);
    let Some(exp) = block.and_then(|b| b.get("exponentialRate")) else {
        return max;
    };
    let base = int(Some(exp), "baseRatePerMinute").unwrap_or(1) as f64;
    let factor = exp.get("incrementFactor").and_then(Value::as_f64);
    let grown = base * factor.unwrap_or(1.0).powi(step.clamp(0, 64) as i32);
    (grown.floor() as i64).clamp(1, max)
}

/// Counts the rate increases `exponentialRate`'s criteria call for by now.
fn grow(job: &Job, r: &mut Rollout) {
    let exp = config(job).and_then(|b| b.get("exponentialRate"));
    let criteria = exp.and_then(|e| e.get("rateIncreaseCriteria"));
    let notified = int(criteria, "numberOfNotifiedThings");
    let succeeded = int(criteria, "numberOfSucceededThings");
    let done = job.counts.get(ExecStatus::Succeeded);
    for _ in 0..64 {
        let next = r.step + 1;
        let met = notified.is_some_and(|n| r.notified >= n * next)
            || succeeded.is_some_and(|n| done >= n * next);
        if !met {
            return;
        }
        r.step = next;
    }
}

/// Whether `job` has a rollout configuration to pace it.
pub fn paced(job: &Job) -> bool {
    config(job).is_some()
}

/// A new job's first executions: all of `things` at once, or the first minute's share.
pub fn start(w: &mut JobsWrite<'_>, job: &Job, things: Vec<String>) {
    let now = w.now_ms();
    if !paced(job) {
        for thing in things {
            let e = machine::queued(&job.job_id, &thing, job.seq, 1, now);
            w.put_execution(e);
        }
        return;
    }
    let mut job = job.clone();
    job.rollout = Some(Rollout {
        waiting: things,
        minute_start_ms: now,
        ..Default::default()
    });
    w.put_job(job.clone());
    release(w, &job.job_id);
}

/// Gives waiting targets their executions as far as the rate allows by now.
pub fn release(w: &mut JobsWrite<'_>, job_id: &str) {
    let Some(mut job) = w.job(job_id).cloned() else {
        return;
    };
    let Some(mut r) = job.rollout.take() else {
        return;
    };
    if job.status != JobStatus::InProgress {
        r.waiting.clear();
    }
    let now = w.now_ms();
    loop {
        let room = (rate(&job, r.step) - r.released_in_minute).max(0) as usize;
        let batch: Vec<String> = r.waiting.drain(..room.min(r.waiting.len())).collect();
        for thing in batch {
            r.released_in_minute += 1;
            r.notified += 1;
            if w.thing_exists(&thing) && w.execution(job_id, &thing).is_none() {
                w.put_execution(machine::queued(job_id, &thing, job.seq, 1, now));
            }
        }
        if r.waiting.is_empty() || now < r.minute_start_ms + MINUTE_MS {
            break;
        }
        // One minute at a time: a clock advanced by several minutes releases each one's share.
        r.minute_start_ms += MINUTE_MS;
        r.released_in_minute = 0;
        // A minute's rate is set as it begins.
        grow(&job, &mut r);
    }
    job.rollout = (!r.waiting.is_empty()).then_some(r);
    w.put_job(job);
}

/// Releases every rollout whose next minute has begun.
pub(super) fn release_due(w: &mut JobsWrite<'_>) -> IotResult<()> {
    let now = w.now_ms();
    let due: Vec<String> = w
        .jobs()
        .into_iter()
        .filter(|j| {
            j.rollout
                .as_ref()
                .is_some_and(|r| !r.waiting.is_empty() && now >= r.minute_start_ms + MINUTE_MS)
        })
        .map(|j| j.job_id)
        .collect();
    for job_id in due {
        release(w, &job_id);
    }
    Ok(())
}

impl Jobs {
    /// Runs every staged rollout whose next minute has begun on the emulator clock.
    pub fn roll_out_due(&self) {
        let now = self.registry.clock().now_ms();
        if !self.registry.rollouts_due(now) {
            return;
        }
        match self.registry.jobs_write(release_due) {
            Ok(((), changes)) => self.announce(&changes),
            Err(e) => tracing::error!(cause = %e, "job rollouts not released"),
        }
    }
}
