//! iot-data over HTTP (signing name `iotdata`): Publish, GetRetainedMessage,
//! ListRetainedMessages and DeleteConnection. Publishing and disconnecting go to the
//! broker through [`crate::state::DataPlane`]; retained messages are read from the registry.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::error_response;
use super::extract::{paginate, AwsPath, AwsQuery};
use crate::registry::retained::RetainedMessage;
use crate::state::{DataMessage, DataPlaneError, Emulator};

/// The longest page ListRetainedMessages returns (the model's `maxResults` maximum).
const MAX_RESULTS: u32 = 200;

/// Routes of iot-data.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/topics/{*topic}", post(publish))
        .route("/retainedMessage", get(list_retained_messages))
        .route("/retainedMessage/{*topic}", get(get_retained_message))
        .route("/connections/{clientId}", delete(delete_connection))
}

/// An iot-data error on its way out: the status and name of the iot-data model.
#[derive(Debug)]
pub struct DataError(pub DataPlaneError);

type DataResult<T> = Result<T, DataError>;

fn invalid(message: impl Into<String>) -> DataError {
    DataError(DataPlaneError::InvalidRequest(message.into()))
}

impl From<super::error::ApiError> for DataError {
    fn from(e: super::error::ApiError) -> Self {
        invalid(e.0.message)
    }
}

impl IntoResponse for DataError {
    fn into_response(self) -> Response {
        use DataPlaneError::*;
        let (code, name, message) = match self.0 {
            InvalidRequest(m) => (400, "InvalidRequestException", m),
            Forbidden(m) => (403, "ForbiddenException", m),
            ResourceNotFound(m) => (404, "ResourceNotFoundException", m),
            RequestEntityTooLarge(m) => (413, "RequestEntityTooLargeException", m),
            InternalFailure(m) => (500, "InternalFailureException", m),
        };
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
        error_response(status, name, json!({ "message": message }))
    }
}

/// Publish's query string, parsed by hand so bad values become InvalidRequestException.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublishQuery {
    qos: Option<String>,
    retain: Option<String>,
    content_type: Option<String>,
    response_topic: Option<String>,
    message_expiry: Option<String>,
}

/// `POST /topics/{topic}`: the raw body is the payload.
async fn publish(
    State(emu): State<Emulator>,
    AwsPath(topic): AwsPath<String>,
    AwsQuery(q): AwsQuery<PublishQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> DataResult<Json<Value>> {
    let message = DataMessage {
        topic,
        qos: parse_qos(q.qos.as_deref())?,
        retain: parse_bool("retain", q.retain.as_deref())?,
        content_type: q.content_type,
        response_topic: q.response_topic,
        message_expiry: parse_expiry(q.message_expiry.as_deref())?,
        user_properties: user_properties(header(&headers, "x-amz-mqtt5-user-properties"))?,
        correlation_data: correlation(header(&headers, "x-amz-mqtt5-correlation-data"))?,
        payload_format_utf8: payload_format(&headers, &body)?,
        payload: body.to_vec(),
        principal: Some(signer(&emu)),
    };
    data_plane(&emu)?.publish(message).map_err(DataError)?;
    Ok(Json(json!({})))
}

/// The SigV4 caller's user id, as AWS's `principal()` gives it for an HTTP publish. The
/// emulator's callers are all the account's root (see [`crate::sts::Sts::caller_identity`]),
/// whose user id is the account id.
fn signer(emu: &Emulator) -> String {
    let account = emu.registry.account();
    crate::sts::Sts::new(&account.account_id, &account.region)
        .caller_identity()
        .user_id
}

fn data_plane(emu: &Emulator) -> DataResult<&std::sync::Arc<dyn crate::state::DataPlane>> {
    let plane = emu.data_plane.get();
    plane.ok_or_else(|| DataError(DataPlaneError::InternalFailure("No broker".into())))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn parse_qos(value: Option<&str>) -> DataResult<u8> {
    match value {
        None => Ok(0),
        Some("0") => Ok(0),
        Some("1") => Ok(1),
        Some(v) => Err(invalid(format!("Invalid QoS {v}: must be 0 or 1"))),
    }
}

fn parse_bool(name: &str, value: Option<&str>) -> DataResult<bool> {
    match value {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(invalid(format!(
            "Invalid {name} value {v}: must be true or false"
        ))),
    }
}

fn parse_expiry(value: Option<&str>) -> DataResult<Option<u32>> {
    let Some(v) = value else { return Ok(None) };
    let seconds: i64 = v
        .parse()
        .map_err(|_| invalid(format!("Invalid messageExpiry {v}")))?;
    if seconds < 0 {
        return Err(invalid("messageExpiry must not be negative"));
    }
    Ok(Some(u32::try_from(seconds).unwrap_or(u32::MAX)))
}

/// `x-amz-mqtt5-user-properties`: base64 of a JSON array of one-pair objects. botocore
/// JSON-encodes the string it is given, so a JSON string holding that array is accepted.
fn user_properties(value: Option<&str>) -> DataResult<Vec<(String, String)>> {
    let Some(v) = value else {
        return Ok(Vec::new());
    };
    let bad = || invalid("x-amz-mqtt5-user-properties must be base64 of a JSON array");
    let bytes = STANDARD.decode(v.trim()).map_err(|_| bad())?;
    let mut json: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if let Value::String(inner) = &json {
        json = serde_json::from_str(inner).map_err(|_| bad())?;
    }
    let Value::Array(items) = json else {
        return Err(bad());
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(map) = item else {
            return Err(bad());
        };
        for (k, v) in map {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            out.push((k, v));
        }
    }
    Ok(out)
}

fn correlation(value: Option<&str>) -> DataResult<Option<Vec<u8>>> {
    let Some(v) = value else { return Ok(None) };
    let data = STANDARD.decode(v.trim());
    data.map(Some)
        .map_err(|_| invalid("x-amz-mqtt5-correlation-data must be base64"))
}

fn payload_format(headers: &HeaderMap, body: &[u8]) -> DataResult<Option<bool>> {
    match header(headers, "x-amz-mqtt5-payload-format-indicator") {
        None => Ok(None),
        Some("UNSPECIFIED_BYTES") => Ok(Some(false)),
        Some("UTF8_DATA") if std::str::from_utf8(body).is_ok() => Ok(Some(true)),
        Some("UTF8_DATA") => Err(invalid("The payload is not valid UTF-8 data")),
        Some(v) => Err(invalid(format!("Invalid payloadFormatIndicator {v}"))),
    }
}

/// `GET /retainedMessage/{topic}`.
async fn get_retained_message(
    State(emu): State<Emulator>,
    AwsPath(topic): AwsPath<String>,
) -> DataResult<Json<Value>> {
    let message = emu.registry.retained(&topic).ok_or_else(|| {
        let text = format!("No retained message exists for topic {topic}");
        DataError(DataPlaneError::ResourceNotFound(text))
    })?;
    let mut body = json!({
        "topic": message.topic,
        "payload": STANDARD.encode(&message.payload),
        "qos": message.qos,
        "lastModifiedTime": message.last_modified_time,
    });
    if !message.user_properties.is_empty() {
        let pairs: Vec<Value> = message
            .user_properties
            .iter()
            .map(|(k, v)| json!({ k: v }))
            .collect();
        let text = Value::Array(pairs).to_string();
        body["userProperties"] = json!(STANDARD.encode(text));
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    next_token: Option<String>,
    max_results: Option<String>,
}

/// `GET /retainedMessage`: topic summaries in topic order, `maxResults` 1..200.
async fn list_retained_messages(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListQuery>,
) -> DataResult<Json<Value>> {
    let max = match q.max_results.as_deref() {
        None => MAX_RESULTS,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_RESULTS).contains(n))
            .ok_or_else(|| invalid("maxResults must be between 1 and 200"))?,
    };
    let all = emu.registry.retained_messages();
    let (page, next) = paginate(all, q.next_token.as_deref(), Some(max))?;
    let topics: Vec<Value> = page.iter().map(summary).collect();
    let mut body = json!({ "retainedTopics": topics });
    if let Some(next) = next {
        body["nextToken"] = json!(next);
    }
    Ok(Json(body))
}

fn summary(m: &RetainedMessage) -> Value {
    json!({
        "topic": m.topic,
        "payloadSize": m.payload.len(),
        "qos": m.qos,
        "lastModifiedTime": m.last_modified_time,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteConnectionQuery {
    clean_session: Option<String>,
    prevent_will_message: Option<String>,
}

/// `DELETE /connections/{clientId}`.
async fn delete_connection(
    State(emu): State<Emulator>,
    AwsPath(client_id): AwsPath<String>,
    AwsQuery(q): AwsQuery<DeleteConnectionQuery>,
) -> DataResult<Json<Value>> {
    if client_id.is_empty() || client_id.chars().count() > 128 || client_id.starts_with('$') {
        return Err(invalid(
            "clientId must be 1 to 128 characters and must not start with $",
        ));
    }
    let clean = parse_bool("cleanSession", q.clean_session.as_deref())?;
    let prevent_will = parse_bool("preventWillMessage", q.prevent_will_message.as_deref())?;
    if !data_plane(&emu)?.delete_connection(&client_id, clean, prevent_will) {
        let text = format!("No connection exists for client ID {client_id}");
        return Err(DataError(DataPlaneError::ResourceNotFound(text)));
    }
    Ok(Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        STANDARD.encode(text)
    }

    #[test]
    fn user_properties_accept_the_array_and_botocore_s_json_string() {
        let plain = b64(r#"[{"a":"1"},{"b":"2"}]"#);
        let pairs = vec![("a".to_string(), "1".to_string()), ("b".into(), "2".into())];
        assert_eq!(user_properties(Some(&plain)).unwrap(), pairs);
        let wrapped = b64(r#""[{\"a\":\"1\"},{\"b\":\"2\"}]""#);
        assert_eq!(user_properties(Some(&wrapped)).unwrap(), pairs);
        assert!(user_properties(Some("%%")).is_err());
        assert!(user_properties(Some(&b64("{}"))).is_err());
    }

    #[test]
    fn query_values_are_checked() {
        assert_eq!(parse_qos(None).unwrap(), 0);
        assert!(parse_qos(Some("2")).is_err());
        assert!(parse_bool("retain", Some("yes")).is_err());
        assert_eq!(parse_expiry(Some("99999999999")).unwrap(), Some(u32::MAX));
        assert!(parse_expiry(Some("-1")).is_err());
    }
}
