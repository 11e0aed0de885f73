//! CloudWatch Logs' JSON 1.1 front end (signing name `logs`, `X-Amz-Target:
//! Logs_20140328.<Operation>`): the operations of [`crate::logs`]; every other one is a
//! `NotImplemented` in the same protocol.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::unsupported::{self, Protocol};
use crate::logs::{group_name, FilterQuery, GetQuery, InputEvent, Logs, LogsError};

const TARGET_PREFIX: &str = "Logs_20140328.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The operations served here.
const OPERATIONS: &[&str] = &[
    "CreateLogGroup",
    "DeleteLogGroup",
    "CreateLogStream",
    "PutLogEvents",
    "DescribeLogGroups",
    "DescribeLogStreams",
    "GetLogEvents",
    "FilterLogEvents",
];

/// One router that answers every request signed for `logs`.
pub fn router(logs: Logs) -> Router {
    Router::new().fallback(handle).with_state(logs)
}

async fn handle(State(logs): State<Logs>, request: Request) -> Response {
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .filter(|op| OPERATIONS.contains(op))
        .map(str::to_string);
    let Some(operation) = operation else {
        return unsupported::not_implemented(Protocol::AwsJson, "logs", &request);
    };
    let bytes = match Bytes::from_request(request, &()).await {
        Ok(bytes) => bytes,
        Err(e) => return error(LogsError::InvalidParameter(e.body_text())),
    };
    match serve(&logs, &operation, &bytes) {
        Ok(value) => typed(StatusCode::OK, value.to_string()),
        Err(e) => error(e),
    }
}

/// The one mapping of Logs' errors: HTTP 400 with `{"__type", "message"}`.
fn error(e: LogsError) -> Response {
    let body = json!({ "__type": e.exception_name(), "message": e.to_string() });
    typed(StatusCode::BAD_REQUEST, body.to_string())
}

fn typed(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    response
}

fn parse<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, LogsError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text)
        .map_err(|e| LogsError::InvalidParameter(format!("Invalid request body: {e}")))
}

fn to_json<T: Serialize>(value: T) -> Result<Value, LogsError> {
    serde_json::to_value(value).map_err(|e| LogsError::InvalidParameter(e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupArgs {
    log_group_name: String,
    log_stream_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutArgs {
    log_group_name: String,
    log_stream_name: String,
    log_events: Vec<EventArg>,
}

#[derive(Deserialize)]
struct EventArg {
    timestamp: i64,
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeArgs {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_group_name_prefix: Option<String>,
    log_group_name_pattern: Option<String>,
    log_stream_name_prefix: Option<String>,
    order_by: Option<String>,
    descending: Option<bool>,
    next_token: Option<String>,
    limit: Option<usize>,
}

fn serve(logs: &Logs, operation: &str, bytes: &Bytes) -> Result<Value, LogsError> {
    match operation {
        "CreateLogGroup" => {
            let a: GroupArgs = parse(bytes)?;
            logs.create_log_group(&a.log_group_name).map(|_| json!({}))
        }
        "DeleteLogGroup" => {
            let a: GroupArgs = parse(bytes)?;
            logs.delete_log_group(&a.log_group_name).map(|_| json!({}))
        }
        "CreateLogStream" => {
            let a: GroupArgs = parse(bytes)?;
            let stream = a.log_stream_name.unwrap_or_default();
            logs.create_log_stream(&a.log_group_name, &stream)
                .map(|_| json!({}))
        }
        "PutLogEvents" => {
            let a: PutArgs = parse(bytes)?;
            let events = a
                .log_events
                .into_iter()
                .map(|e| InputEvent {
                    timestamp: e.timestamp,
                    message: e.message,
                })
                .collect();
            to_json(logs.put_events(&a.log_group_name, &a.log_stream_name, events)?)
        }
        "DescribeLogGroups" => describe_groups(logs, parse(bytes)?),
        "DescribeLogStreams" => describe_streams(logs, parse(bytes)?),
        "GetLogEvents" => to_json(logs.get_log_events(&parse::<GetQuery>(bytes)?)?),
        "FilterLogEvents" => to_json(logs.filter_log_events(&parse::<FilterQuery>(bytes)?)?),
        other => Err(LogsError::InvalidParameter(format!(
            "iot-emulator does not implement logs {other}"
        ))),
    }
}

fn describe_groups(logs: &Logs, a: DescribeArgs) -> Result<Value, LogsError> {
    to_json(logs.describe_log_groups(
        a.log_group_name_prefix.as_deref(),
        a.log_group_name_pattern.as_deref(),
        a.next_token.as_deref(),
        a.limit,
    )?)
}

fn describe_streams(logs: &Logs, a: DescribeArgs) -> Result<Value, LogsError> {
    let group = group_name(
        a.log_group_name.as_deref(),
        a.log_group_identifier.as_deref(),
    )?;
    let by_last_event = match a.order_by.as_deref() {
        None | Some("LogStreamName") => false,
        Some("LastEventTime") => true,
        Some(other) => {
            return Err(LogsError::InvalidParameter(format!(
                "1 validation error detected: Value '{other}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
            )))
        }
    };
    to_json(logs.describe_log_streams(
        &group,
        a.log_stream_name_prefix.as_deref(),
        by_last_event,
        a.descending.unwrap_or(false),
        a.next_token.as_deref(),
        a.limit,
    )?)
}
