//! iot-jobs-data, the devices' HTTP side of Jobs (rest-json, SigV4 scope `iot-jobs-data`):
//! GetPendingJobExecutions, DescribeJobExecution, StartNextPendingJobExecution and
//! UpdateJobExecution over the jobs engine's device operations. Timestamps are integer
//! seconds, `jobDocument` is a string, and there is no `clientToken`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::error_response;
use super::extract::{AwsJson, AwsPath, AwsQuery};
use crate::jobs::device::{WithDocument, NEXT};
use crate::jobs::notify::summary;
use crate::jobs::{request, DeviceCode, DeviceError};
use crate::registry::job::Execution;
use crate::state::Emulator;

/// Routes of iot-jobs-data.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/things/{thingName}/jobs", get(get_pending_job_executions))
        .route(
            "/things/{thingName}/jobs/{jobId}",
            get(describe_job_execution)
                .put(start_next_pending_job_execution)
                .post(update_job_execution),
        )
}

/// A refused request, in iot-jobs-data's exceptions.
struct JobsDataError(DeviceError);

impl From<DeviceError> for JobsDataError {
    fn from(e: DeviceError) -> Self {
        JobsDataError(e)
    }
}

/// The exception and status of each device error code (a version mismatch has no
/// exception of its own: InvalidStateTransitionException, shadow-jobs-rules §2.6).
fn exception(code: DeviceCode) -> (u16, &'static str) {
    match code {
        DeviceCode::InvalidTopic | DeviceCode::InvalidJson | DeviceCode::InvalidRequest => {
            (400, "InvalidRequestException")
        }
        DeviceCode::InvalidStateTransition | DeviceCode::VersionMismatch => {
            (409, "InvalidStateTransitionException")
        }
        DeviceCode::ResourceNotFound => (404, "ResourceNotFoundException"),
        DeviceCode::TerminalStateReached => (410, "TerminalStateException"),
        DeviceCode::InternalError => (500, "InternalServerException"),
    }
}

impl IntoResponse for JobsDataError {
    fn into_response(self) -> Response {
        let (status, name) = exception(self.0.code);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        error_response(status, name, json!({ "message": self.0.message }))
    }
}

type JobsDataResult = Result<Json<Value>, JobsDataError>;

/// The data-plane `JobExecution`.
fn execution_json(emu: &Emulator, w: &WithDocument, include_document: bool) -> Value {
    let e = &w.execution;
    let mut v = summary(e);
    v["thingName"] = json!(e.thing_name);
    v["status"] = json!(e.status.as_str());
    v["statusDetails"] = json!(e.status_details);
    let now = emu.registry.clock().now_ms();
    if let Some(s) = crate::jobs::machine::seconds_before_timed_out(e, now) {
        v["approximateSecondsBeforeTimedOut"] = json!(s);
    }
    if include_document {
        v["jobDocument"] = json!(w.document);
    }
    v
}

async fn get_pending_job_executions(
    State(emu): State<Emulator>,
    AwsPath(thing): AwsPath<String>,
) -> JobsDataResult {
    let (in_progress, queued) = emu.jobs.pending(&thing);
    let list = |l: &[Execution]| l.iter().map(summary).collect::<Vec<_>>();
    Ok(Json(json!({
        "inProgressJobs": list(&in_progress),
        "queuedJobs": list(&queued),
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeQuery {
    include_job_document: Option<bool>,
    execution_number: Option<i64>,
}

async fn describe_job_execution(
    State(emu): State<Emulator>,
    AwsPath((thing, job_id)): AwsPath<(String, String)>,
    AwsQuery(q): AwsQuery<DescribeQuery>,
) -> JobsDataResult {
    let found = emu.jobs.describe(&thing, &job_id, q.execution_number)?;
    let include = q.include_job_document.unwrap_or(true);
    Ok(Json(
        json!({ "execution": execution_json(&emu, &found, include) }),
    ))
}

async fn start_next_pending_job_execution(
    State(emu): State<Emulator>,
    AwsPath((thing, job_id)): AwsPath<(String, String)>,
    AwsJson(body): AwsJson<Map<String, Value>>,
) -> JobsDataResult {
    if job_id != NEXT {
        let message = format!("PUT /things/{thing}/jobs/{job_id} is not an operation");
        return Err(DeviceError::invalid(message).into());
    }
    let details = request::status_details(&body)?;
    let step = request::step_timeout(&body, false)?;
    let started = emu.jobs.start_next(&thing, details, step)?;
    Ok(Json(match started {
        Some(w) => json!({ "execution": execution_json(&emu, &w, true) }),
        None => json!({}),
    }))
}

async fn update_job_execution(
    State(emu): State<Emulator>,
    AwsPath((thing, job_id)): AwsPath<(String, String)>,
    AwsJson(body): AwsJson<Map<String, Value>>,
) -> JobsDataResult {
    let update = request::update(&body)?;
    let include_state = request::flag(&body, "includeJobExecutionState", false)?;
    let include_document = request::flag(&body, "includeJobDocument", false)?;
    let done = emu.jobs.update(&thing, &job_id, &update)?;
    let mut v = json!({});
    if include_state {
        let e = &done.execution;
        v["executionState"] = json!({
            "status": e.status.as_str(),
            "statusDetails": e.status_details,
            "versionNumber": e.version_number,
        });
    }
    if include_document {
        v["jobDocument"] = json!(done.document);
    }
    Ok(Json(v))
}
