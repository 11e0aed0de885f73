//! The control-plane operations on jobs and executions: CreateJob (targets, SNAPSHOT or
//! CONTINUOUS, templates, documents inline or from the S3 stand-in), UpdateJob,
//! CancelJob, DeleteJob, CancelJobExecution and DeleteJobExecution. Reads are the
//! registry's; they run any timer that has run out first.

use serde::Deserialize;
use serde_json::{Map, Value};

pub use super::config::{config_blocks, in_progress_timeout, CONFIG_BLOCKS};
use super::machine::{self, ServiceMove};
use super::{presign, retry, rollout, Jobs};
use crate::registry::job::{ExecStatus, Job, JobStatus, TargetSelection};
use crate::registry::job_write::JobsWrite;
use crate::registry::{ErrorKind, IotError, IotResult};

/// AWS: at most 100 targets per job, documents up to 32 KB.
const MAX_TARGETS: usize = 100;
const MAX_DOCUMENT: usize = 32_768;

/// CreateJob's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateJob {
    pub targets: Option<Vec<String>>,
    pub document: Option<String>,
    pub document_source: Option<String>,
    pub description: Option<String>,
    pub target_selection: Option<String>,
    pub job_template_arn: Option<String>,
    /// Everything else: the configuration blocks, tags, and members we refuse.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Checks `jobId` (and job template ids): 1–64 of `[a-zA-Z0-9_-]`.
pub fn check_id(field: &str, id: &str) -> IotResult<()> {
    let ok = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(IotError::invalid(format!("{field} {id:?} is not valid")))
    }
}

/// A document must be a JSON object of at most 32 KB.
pub fn check_document(document: &str) -> IotResult<()> {
    if document.len() > MAX_DOCUMENT {
        return Err(IotError::invalid("The job document exceeds 32768 bytes"));
    }
    match serde_json::from_str::<Value>(document) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(IotError::invalid("The job document must be a JSON object")),
    }
}

/// The things `targets` (thing and thing-group ARNs) cover now, by name, sorted.
pub fn target_things(w: &JobsWrite<'_>, targets: &[String]) -> Vec<String> {
    let account = w.account().clone();
    let mut things = Vec::new();
    for arn in targets {
        match account.parse_arn(arn) {
            Some(("thing", name)) if w.thing_exists(name) => things.push(name.to_string()),
            Some(("thinggroup", name)) => things.extend(w.things_in_group_tree(name)),
            _ => {}
        }
    }
    things.sort();
    things.dedup();
    things
}

fn check_targets(w: &JobsWrite<'_>, targets: &[String]) -> IotResult<()> {
    if targets.is_empty() || targets.len() > MAX_TARGETS {
        return Err(IotError::invalid(format!(
            "A job needs 1 to {MAX_TARGETS} targets"
        )));
    }
    let account = w.account().clone();
    for arn in targets {
        // A choice (README "Jobs"): an unknown target is ResourceNotFoundException.
        let exists = match account.parse_arn(arn) {
            Some(("thing", name)) => w.thing_exists(name),
            Some(("thinggroup", name)) => w.thing_group_exists(name),
            _ => {
                return Err(IotError::invalid(format!(
                    "Target {arn} is not a thing or thing group ARN"
                )))
            }
        };
        if !exists {
            return Err(IotError::not_found(format!("Target {arn} does not exist")));
        }
    }
    Ok(())
}

pub(super) fn job_not_found(job_id: &str) -> IotError {
    IotError::not_found(format!("Job {job_id} does not exist"))
}

pub(super) fn execution_not_found(job_id: &str, thing: &str) -> IotError {
    IotError::not_found(format!("Job execution {job_id} on {thing} does not exist"))
}

impl Jobs {
    /// CreateJob: the job and a QUEUED execution for every thing its targets cover.
    pub fn create_job(&self, job_id: &str, input: CreateJob) -> IotResult<Job> {
        check_id("jobId", job_id)?;
        let draft = self.draft(job_id, input)?;
        let (job, changes) = self.registry.jobs_write(|w| {
            if w.job(job_id).is_some() {
                let arn = w.account().arn("job", job_id);
                let message = format!("Job {job_id} already exists");
                return Err(IotError::already_exists(message, job_id, &arn));
            }
            check_targets(w, &draft.targets)?;
            let now = w.now_ms();
            let job = Job {
                seq: w.next_seq(),
                created_at_ms: now,
                last_updated_at_ms: now,
                ..draft
            };
            w.put_job(job.clone());
            let things = target_things(w, &job.targets);
            rollout::start(w, &job, things);
            Ok(job)
        })?;
        self.announce(&changes);
        Ok(job)
    }

    /// The job CreateJob describes, before it is stored (times and order unset).
    fn draft(&self, job_id: &str, input: CreateJob) -> IotResult<Job> {
        let input = self.with_template(input)?;
        let mut config = config_blocks(&input.rest)?;
        let document = match (input.document, input.document_source.as_deref()) {
            (Some(d), None) => d,
            (None, Some(source)) => self.fetch_document(source)?,
            _ => {
                return Err(IotError::invalid(
                    "Specify exactly one of document and documentSource",
                ))
            }
        };
        check_document(&document)?;
        presign::check_document(&document, &config)?;
        check_description(input.description.as_deref())?;
        let target_selection = match input.target_selection.as_deref() {
            None | Some("SNAPSHOT") => TargetSelection::Snapshot,
            Some("CONTINUOUS") => TargetSelection::Continuous,
            Some(other) => {
                return Err(IotError::invalid(format!(
                    "targetSelection {other} is not valid"
                )))
            }
        };
        if let Some(tags) = input.rest.get("tags") {
            config.insert("tags".into(), tags.clone());
        }
        Ok(Job {
            job_id: job_id.to_string(),
            description: input.description,
            document,
            document_source: input.document_source,
            targets: input.targets.unwrap_or_default(),
            target_selection,
            status: JobStatus::InProgress,
            force_canceled: false,
            reason_code: None,
            comment: None,
            created_at_ms: 0,
            last_updated_at_ms: 0,
            completed_at_ms: None,
            in_progress_timeout_minutes: in_progress_timeout(&config)?,
            config,
            job_template_arn: input.job_template_arn,
            counts: Default::default(),
            seq: 0,
            rollout: None,
        })
    }

    /// `https://s3.amazonaws.com/<bucket>/<key>` or `https://<bucket>.s3.amazonaws.com/<key>`
    /// (any region), read from the S3 stand-in.
    fn fetch_document(&self, source: &str) -> IotResult<String> {
        let (bucket, key) = presign::s3_object(source).ok_or_else(|| {
            IotError::invalid(format!("documentSource {source} is not an S3 object URL"))
        })?;
        let (_, bytes) = self.s3.get_object(&bucket, &key).map_err(|e| {
            let code = e.code();
            IotError::invalid(format!("documentSource {source} cannot be read: {code}"))
        })?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| IotError::invalid("The job document is not UTF-8"))
    }

    /// DescribeJob.
    pub fn describe_job(&self, job_id: &str) -> IotResult<Job> {
        check_id("jobId", job_id)?;
        self.expire_due();
        self.registry
            .job(job_id)
            .ok_or_else(|| job_not_found(job_id))
    }

    /// ListJobs' filters applied, in creation order.
    pub fn list_jobs(
        &self,
        status: Option<&str>,
        selection: Option<&str>,
        group: Option<&str>,
    ) -> Vec<Job> {
        self.expire_due();
        let group_arn = group.map(|g| self.registry.account().thing_group_arn(g));
        let mut jobs: Vec<Job> = self
            .registry
            .all_jobs()
            .into_iter()
            .filter(|j| {
                status.is_none_or(|s| j.status.as_str() == s)
                    && selection.is_none_or(|s| j.target_selection.as_str() == s)
                    && group_arn.as_ref().is_none_or(|g| j.targets.contains(g))
            })
            .collect();
        jobs.sort_by_key(|j| j.seq);
        jobs
    }

    /// UpdateJob: the description and configuration blocks (new timers apply to
    /// executions started afterwards).
    pub fn update_job(&self, job_id: &str, body: &Map<String, Value>) -> IotResult<()> {
        check_id("jobId", job_id)?;
        let blocks = config_blocks(body)?;
        let description = body.get("description").and_then(Value::as_str);
        check_description(description)?;
        let ((), changes) = self.registry.jobs_write(|w| {
            let mut job = w
                .job(job_id)
                .cloned()
                .ok_or_else(|| job_not_found(job_id))?;
            if let Some(d) = description {
                job.description = Some(d.to_string());
            }
            if let Some(Value::Object(block)) = blocks.get("jobExecutionsRetryConfig") {
                retry::check_update(&job, block)?;
            }
            for (name, block) in blocks {
                job.config.insert(name, block);
            }
            job.in_progress_timeout_minutes = in_progress_timeout(&job.config)?;
            presign::check_document(&job.document, &job.config)?;
            job.last_updated_at_ms = w.now_ms();
            w.put_job(job);
            rollout::release(w, job_id);
            Ok(())
        })?;
        self.announce(&changes);
        Ok(())
    }

    /// CancelJob: the job and its QUEUED executions (IN_PROGRESS ones too with `force`).
    pub fn cancel_job(
        &self,
        job_id: &str,
        force: bool,
        reason_code: Option<String>,
        comment: Option<String>,
    ) -> IotResult<Job> {
        check_id("jobId", job_id)?;
        let (job, changes) = self.registry.jobs_write(|w| {
            let mut job = w
                .job(job_id)
                .cloned()
                .ok_or_else(|| job_not_found(job_id))?;
            if job.status != JobStatus::InProgress {
                let message = format!(
                    "Job {job_id} is {} and cannot be canceled",
                    job.status.as_str()
                );
                return Err(IotError::invalid(message));
            }
            let now = w.now_ms();
            job.status = JobStatus::Canceled;
            job.force_canceled = force;
            job.reason_code = reason_code.clone();
            job.comment = comment.clone();
            job.completed_at_ms = Some(now);
            job.last_updated_at_ms = now;
            job.rollout = None;
            w.put_job(job.clone());
            for mut e in w.executions_of_job(job_id) {
                if machine::service_move(&mut e, ServiceMove::Cancel { force }, now) == Ok(true) {
                    w.put_execution(e);
                }
            }
            Ok(w.job(job_id).cloned().unwrap_or(job))
        })?;
        self.announce(&changes);
        Ok(job)
    }

    /// DeleteJob: an IN_PROGRESS job only with `force`; its executions go with it.
    pub fn delete_job(&self, job_id: &str, force: bool) -> IotResult<()> {
        check_id("jobId", job_id)?;
        let ((), changes) = self.registry.jobs_write(|w| {
            let job = w
                .job(job_id)
                .cloned()
                .ok_or_else(|| job_not_found(job_id))?;
            let running = w
                .executions_of_job(job_id)
                .iter()
                .any(|e| e.status == ExecStatus::InProgress);
            if (job.status == JobStatus::InProgress || running) && !force {
                let message = format!("Job {job_id} is in progress; delete it with force");
                return Err(IotError::new(ErrorKind::InvalidStateTransition, message));
            }
            for e in w.executions_of_job(job_id) {
                w.remove_execution(job_id, &e.thing_name);
            }
            w.remove_job(job_id);
            Ok(())
        })?;
        self.announce(&changes);
        Ok(())
    }
}

/// `description` and `comment`: at most 2028 characters.
pub fn check_description(description: Option<&str>) -> IotResult<()> {
    match description {
        Some(d) if d.chars().count() > 2028 => Err(IotError::invalid(
            "description is longer than 2028 characters",
        )),
        _ => Ok(()),
    }
}
