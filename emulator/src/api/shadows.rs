//! iot-data's device shadow operations over HTTP: GetThingShadow, UpdateThingShadow,
//! DeleteThingShadow (`?name=` for a named shadow) and ListNamedShadowsForThing, answered
//! by [`crate::shadows`] with iot-data's exceptions. Like the rest of iot-data, these
//! are IAM-side operations: no IoT policy is checked.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{error_response, ApiError};
use super::extract::{paginate_by, AwsPath, AwsQuery};
use crate::shadows::{ShadowError, ShadowId};
use crate::state::Emulator;

/// The largest page ListNamedShadowsForThing returns (the model's `pageSize` maximum),
/// also its size when the caller names none (README "Lists and paging").
const MAX_PAGE: u32 = 100;

/// Routes of the shadow operations.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/things/{thingName}/shadow",
            get(get_shadow).post(update_shadow).delete(delete_shadow),
        )
        .route(
            "/api/things/shadow/ListNamedShadowsForThing/{thingName}",
            get(list_named_shadows),
        )
}

/// A shadow error on its way out, as iot-data names it.
#[derive(Debug)]
pub struct ShadowApiError(ShadowError);

impl From<ShadowError> for ShadowApiError {
    fn from(e: ShadowError) -> Self {
        ShadowApiError(e)
    }
}

impl From<ApiError> for ShadowApiError {
    fn from(e: ApiError) -> Self {
        ShadowApiError(ShadowError::InvalidRequest(e.0.message))
    }
}

impl IntoResponse for ShadowApiError {
    fn into_response(self) -> Response {
        let name = match &self.0 {
            ShadowError::InvalidRequest(_) => "InvalidRequestException",
            ShadowError::NotFound(_) => "ResourceNotFoundException",
            ShadowError::VersionConflict => "ConflictException",
            ShadowError::TooLarge => "RequestEntityTooLargeException",
            ShadowError::UnsupportedEncoding => "UnsupportedDocumentEncodingException",
            ShadowError::Throttled => "ThrottlingException",
            ShadowError::Internal => "InternalFailureException",
        };
        let status = StatusCode::from_u16(self.0.code()).unwrap_or(StatusCode::BAD_REQUEST);
        error_response(status, name, json!({ "message": self.0.to_string() }))
    }
}

type ShadowApiResult = Result<Response, ShadowApiError>;

#[derive(Deserialize)]
struct NameQuery {
    name: Option<String>,
}

fn id(thing: String, query: NameQuery) -> ShadowId {
    ShadowId {
        thing,
        shadow: query.name,
    }
}

/// The raw JSON document as the body (the model's `payload` blob).
fn document(body: Value) -> Response {
    let headers = [(header::CONTENT_TYPE, "application/json")];
    (StatusCode::OK, headers, body.to_string()).into_response()
}

/// `GET /things/{thingName}/shadow[?name=]`
async fn get_shadow(
    State(emu): State<Emulator>,
    AwsPath(thing): AwsPath<String>,
    AwsQuery(q): AwsQuery<NameQuery>,
) -> ShadowApiResult {
    Ok(document(emu.shadows.get(&id(thing, q))?))
}

/// `POST /things/{thingName}/shadow[?name=]`: the body is the request document.
async fn update_shadow(
    State(emu): State<Emulator>,
    AwsPath(thing): AwsPath<String>,
    AwsQuery(q): AwsQuery<NameQuery>,
    body: Bytes,
) -> ShadowApiResult {
    Ok(document(emu.shadows.update(&id(thing, q), &body)?))
}

/// `DELETE /things/{thingName}/shadow[?name=]`
async fn delete_shadow(
    State(emu): State<Emulator>,
    AwsPath(thing): AwsPath<String>,
    AwsQuery(q): AwsQuery<NameQuery>,
) -> ShadowApiResult {
    Ok(document(emu.shadows.delete(&id(thing, q))?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    next_token: Option<String>,
    page_size: Option<String>,
}

/// `GET /api/things/shadow/ListNamedShadowsForThing/{thingName}`
async fn list_named_shadows(
    State(emu): State<Emulator>,
    AwsPath(thing): AwsPath<String>,
    AwsQuery(q): AwsQuery<ListQuery>,
) -> ShadowApiResult {
    let size = match q.page_size.as_deref() {
        None => MAX_PAGE,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| ShadowError::invalid("pageSize must be between 1 and 100"))?,
    };
    let names = emu.shadows.list_named(&thing)?;
    let (page, next) = paginate_by(names, q.next_token.as_deref(), Some(size), MAX_PAGE)?;
    let ts = emu.registry.clock().now_ms().div_euclid(1000);
    let mut body = json!({ "results": page, "timestamp": ts });
    if let Some(next) = next {
        body["nextToken"] = json!(next);
    }
    Ok(document(body))
}
