//! Lambda's rest-json front end (signing name `lambda`, paths under `/2015-03-31/`):
//! extract, call the [`crate::lambda`] operation of the same name, serialise. Every
//! other Lambda path is a `NotImplemented` in rest-json.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::error::error_response;
use super::unsupported::{self, Protocol};
use crate::lambda::code::{fetch_from, inline_s3_location};
use crate::lambda::function::{CreateFunction, Settings};
use crate::lambda::{Lambda, LambdaError};
use crate::s3::S3;

type Params = Query<BTreeMap<String, String>>;
type Reply = Result<Response, LambdaError>;

/// Lambda's routes, on their own router.
pub fn router(lambda: Lambda, s3: S3) -> Router {
    let base = "/2015-03-31/functions";
    Router::new()
        .route(base, post(create_function).get(list_functions))
        .route(&format!("{base}/"), get(list_functions))
        .route(
            &format!("{base}/{{name}}"),
            get(get_function).delete(delete_function),
        )
        .route(
            &format!("{base}/{{name}}/configuration"),
            get(get_function_configuration).put(update_function_configuration),
        )
        .route(&format!("{base}/{{name}}/code"), put(update_function_code))
        .route(&format!("{base}/{{name}}/invocations"), post(invoke))
        .route(
            &format!("{base}/{{name}}/policy"),
            post(add_permission).get(get_policy),
        )
        .route(
            &format!("{base}/{{name}}/policy/{{sid}}"),
            delete(remove_permission),
        )
        .route(
            "/2017-03-31/tags/{arn}",
            get(list_tags).post(tag_resource).delete(untag_resource),
        )
        .fallback(|request: Request| async move {
            unsupported::not_implemented(Protocol::RestJson, "lambda", &request)
        })
        .layer(Extension(s3))
        .with_state(lambda)
}

/// The one mapping of Lambda's errors: status, `x-amzn-ErrorType` and
/// `{"Type", "message"|"Message"}`.
impl IntoResponse for LambdaError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut body = json!({ "Type": self.fault() });
        body[self.message_key()] = json!(self.to_string());
        error_response(status, self.exception_name(), body)
    }
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, LambdaError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(|e| {
        LambdaError::InvalidRequestContent(format!("Could not parse request body into json: {e}"))
    })
}

fn reply(status: StatusCode, value: Value) -> Response {
    (status, Json(value)).into_response()
}

fn qualifier(params: &Params) -> Option<&str> {
    params.get("Qualifier").map(String::as_str)
}

async fn create_function(
    State(l): State<Lambda>,
    Extension(s3): Extension<S3>,
    bytes: Bytes,
) -> Reply {
    let mut value: Value = body(&bytes)?;
    if let Some(Value::Object(code)) = value.get_mut("Code") {
        inline_s3_location(code, &fetch_from(&s3))?;
    }
    let input: CreateFunction = serde_json::from_value(value).map_err(|e| {
        LambdaError::InvalidRequestContent(format!("Could not parse request body into json: {e}"))
    })?;
    Ok(reply(StatusCode::CREATED, l.create_function(input)?))
}

async fn list_functions(State(l): State<Lambda>, params: Params) -> Reply {
    if params.contains_key("MasterRegion") {
        return Err(LambdaError::InvalidParameterValue(
            "iot-emulator has no Lambda@Edge replicas (MasterRegion)".into(),
        ));
    }
    let max = match params.get("MaxItems") {
        None => None,
        Some(n) => Some(n.parse().map_err(|_| {
            LambdaError::InvalidParameterValue(format!("MaxItems {n} is not a number"))
        })?),
    };
    let listed = l.list_functions(params.get("Marker").map(String::as_str), max)?;
    Ok(reply(StatusCode::OK, listed))
}

async fn get_function(State(l): State<Lambda>, Path(name): Path<String>, p: Params) -> Reply {
    Ok(reply(StatusCode::OK, l.get_function(&name, qualifier(&p))?))
}

async fn get_function_configuration(
    State(l): State<Lambda>,
    Path(name): Path<String>,
    p: Params,
) -> Reply {
    let config = l.get_function_configuration(&name, qualifier(&p))?;
    Ok(reply(StatusCode::OK, config))
}

async fn delete_function(State(l): State<Lambda>, Path(name): Path<String>, p: Params) -> Reply {
    l.delete_function(&name, qualifier(&p))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn update_function_code(
    State(l): State<Lambda>,
    Extension(s3): Extension<S3>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Reply {
    let mut input: Value = body(&bytes)?;
    if let Value::Object(code) = &mut input {
        inline_s3_location(code, &fetch_from(&s3))?;
    }
    Ok(reply(
        StatusCode::OK,
        l.update_function_code(&name, &input)?,
    ))
}

async fn update_function_configuration(
    State(l): State<Lambda>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Reply {
    let settings: Settings = body(&bytes)?;
    let config = l.update_function_configuration(&name, settings)?;
    Ok(reply(StatusCode::OK, config))
}

async fn add_permission(
    State(l): State<Lambda>,
    Path(name): Path<String>,
    p: Params,
    bytes: Bytes,
) -> Reply {
    let added = l.add_permission(&name, qualifier(&p), body(&bytes)?)?;
    Ok(reply(StatusCode::CREATED, added))
}

async fn get_policy(State(l): State<Lambda>, Path(name): Path<String>, p: Params) -> Reply {
    Ok(reply(StatusCode::OK, l.get_policy(&name, qualifier(&p))?))
}

async fn remove_permission(
    State(l): State<Lambda>,
    Path((name, sid)): Path<(String, String)>,
    p: Params,
) -> Reply {
    let revision = p.get("RevisionId").map(String::as_str);
    l.remove_permission(&name, &sid, qualifier(&p), revision)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_tags(State(l): State<Lambda>, Path(arn): Path<String>) -> Reply {
    Ok(reply(StatusCode::OK, l.list_tags(&arn)?))
}

async fn tag_resource(State(l): State<Lambda>, Path(arn): Path<String>, bytes: Bytes) -> Reply {
    l.tag_resource(&arn, &body::<Value>(&bytes)?)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /2017-03-31/tags/{arn}?tagKeys=a&tagKeys=b`.
async fn untag_resource(
    State(l): State<Lambda>,
    Path(arn): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let keys: Vec<String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "tagKeys")
        .map(|(_, v)| v.into_owned())
        .collect();
    l.untag_resource(&arn, &keys)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Invoke: RequestResponse (200), Event (202) or DryRun (204).
async fn invoke(
    State(l): State<Lambda>,
    Path(name): Path<String>,
    p: Params,
    headers: HeaderMap,
    payload: Bytes,
) -> Reply {
    if header(&headers, "x-amz-client-context").is_some() {
        return Err(LambdaError::InvalidParameterValue(
            "iot-emulator does not pass ClientContext to functions".into(),
        ));
    }
    let tail = match header(&headers, "x-amz-log-type") {
        None | Some("None") => false,
        Some("Tail") => true,
        Some(other) => return Err(invalid_enum("logType", other, "[None, Tail]")),
    };
    match header(&headers, "x-amz-invocation-type").unwrap_or("RequestResponse") {
        "RequestResponse" => invoke_sync(&l, &name, qualifier(&p), &payload, tail).await,
        "Event" => {
            let id = l.invoke_event(&qualified(&name, qualifier(&p)), payload.to_vec())?;
            Ok(with_request_id(StatusCode::ACCEPTED.into_response(), &id))
        }
        "DryRun" => {
            l.dry_run(&name, qualifier(&p))?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        other => {
            let allowed = "[Event, RequestResponse, DryRun]";
            Err(invalid_enum("invocationType", other, allowed))
        }
    }
}

/// A RequestResponse invocation's reply: the payload and Lambda's headers.
async fn invoke_sync(
    l: &Lambda,
    name: &str,
    qualifier: Option<&str>,
    payload: &[u8],
    tail: bool,
) -> Reply {
    let done = l.invoke(name, qualifier, payload).await?;
    let mut response = (StatusCode::OK, done.payload.clone()).into_response();
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    if let Some(error) = done.function_error {
        h.insert("x-amz-function-error", HeaderValue::from_static(error));
    }
    if tail {
        if let Ok(v) = HeaderValue::from_str(&done.log_tail_b64()) {
            h.insert("x-amz-log-result", v);
        }
    }
    Ok(with_request_id(response, &done.request_id))
}

fn qualified(name: &str, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(q) => format!("{name}:{q}"),
        None => name.to_string(),
    }
}

fn with_request_id(mut response: Response, id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

fn invalid_enum(field: &str, value: &str, allowed: &str) -> LambdaError {
    LambdaError::InvalidParameterValue(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: {allowed}"
    ))
}
