//! Request extractors and reply helpers that speak AWS: malformed input becomes
//! InvalidRequestException, bodies may be empty, timestamps are epoch seconds.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use crate::registry::IotError;

/// A JSON body; an empty body reads as `{}`.
#[derive(Debug)]
pub struct AwsJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AwsJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| IotError::invalid(e.body_text()))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(AwsJson)
            .map_err(|e| ApiError(IotError::invalid(format!("Invalid request body: {e}"))))
    }
}

/// Query parameters.
#[derive(Debug)]
pub struct AwsQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AwsQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| AwsQuery(q.0))
            .map_err(|e| ApiError(IotError::invalid(e.body_text())))
    }
}

/// Path parameters, percent-decoded.
#[derive(Debug)]
pub struct AwsPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for AwsPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| AwsPath(p.0))
            .map_err(|e| ApiError(IotError::invalid(e.body_text())))
    }
}

/// A required header such as `x-amzn-principal`.
pub fn required_header(headers: &HeaderMap, name: &str) -> Result<String, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError(IotError::invalid(format!("Missing required header {name}"))))
}

/// A timestamp as rest-json sends it: epoch seconds, with milliseconds.
pub fn epoch(ms: i64) -> Value {
    serde_json::json!(ms as f64 / 1000.0)
}

/// The page size of a list operation when the request names none. AWS documents a
/// default only for ListCertificates and ListCACertificates (25, [`DOCUMENTED_PAGE`]);
/// ListCertificatesByCA takes the same. For every other list operation AWS documents no
/// default, and the emulator's choice (README "Lists and paging") is the largest page the
/// model allows, so a caller that forgets to page sees as much as AWS could return.
pub const UNDOCUMENTED_PAGE: u32 = 250;
/// ListCertificates' and ListCACertificates' documented default page size.
pub const DOCUMENTED_PAGE: u32 = 25;

/// A slice of a list plus the token for the next page, [`UNDOCUMENTED_PAGE`] items by
/// default. Tokens are base64 of the offset, matching the model's `[A-Za-z0-9+/]+={0,2}`
/// marker pattern.
pub fn paginate<T>(
    items: Vec<T>,
    token: Option<&str>,
    max: Option<u32>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    paginate_by(items, token, max, UNDOCUMENTED_PAGE)
}

/// [`paginate`] with the operation's own default page size.
pub fn paginate_by<T>(
    items: Vec<T>,
    token: Option<&str>,
    max: Option<u32>,
    default: u32,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max = max.unwrap_or(default);
    if !(1..=250).contains(&max) {
        return Err(ApiError(IotError::invalid(
            "1 validation error detected: page size must be between 1 and 250",
        )));
    }
    let start = match token {
        None | Some("") => 0,
        Some(t) => decode_token(t)
            .ok_or_else(|| ApiError(IotError::invalid("The pagination token is invalid")))?,
    };
    let end = (start + max as usize).min(items.len());
    let next = (end < items.len()).then(|| encode_token(end));
    let page = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    Ok((page, next))
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("offset:{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

/// A list reply: `{ <key>: items, <next_key>: next }`, without `next_key` on the last page.
pub fn page_reply(
    key: &str,
    items: impl Into<Value>,
    next_key: &str,
    next: Option<String>,
) -> axum::Json<Value> {
    let mut body = serde_json::Map::new();
    body.insert(key.to_string(), items.into());
    if let Some(next) = next {
        body.insert(next_key.to_string(), Value::String(next));
    }
    axum::Json(Value::Object(body))
}

/// `{}`: the reply of operations without an output shape.
pub fn empty() -> axum::Json<Value> {
    axum::Json(serde_json::json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_trip() {
        let (page, next) = paginate((0..5).collect(), None, Some(2)).unwrap();
        assert_eq!(page, vec![0, 1]);
        let (page, next) = paginate((0..5).collect(), next.as_deref(), Some(2)).unwrap();
        assert_eq!(page, vec![2, 3]);
        let (page, next) = paginate((0..5).collect(), next.as_deref(), Some(2)).unwrap();
        assert_eq!((page, next), (vec![4], None));
        assert!(paginate(vec![1], Some("%%%"), None).is_err());
        assert!(paginate(vec![1], None, Some(0)).is_err());
    }
}
