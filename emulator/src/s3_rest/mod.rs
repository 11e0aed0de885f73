//! The S3 front end: rest-xml, path-style or virtual-hosted, as the aws CLI, boto3 and
//! `aws cloudformation package` call it. [`crate::api::dispatch`] hands it every request
//! signed for `s3`; it serves [`crate::s3`]'s operations and refuses every other S3
//! operation and sub-resource with `NotImplemented`, in S3's error shape. Presigned URLs
//! (query-string SigV4) work; expired ones are refused.

mod body;
mod conditions;
mod error;
mod multipart;
mod objects;
mod presigned;
mod target;
mod xml;

use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::registry::Registry;
use crate::s3::{ListQuery, S3Error, S3};
use target::Target;

/// Parameters of ListObjectsV2, and of ListObjects (v1).
const LIST_V2: &[&str] = &[
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
];
const LIST_V1: &[&str] = &["prefix", "delimiter", "max-keys", "marker", "encoding-type"];

/// What the S3 front end serves with (cheap to clone).
#[derive(Clone, Debug)]
pub struct S3Front {
    s3: S3,
    /// The account (the bucket owner) and request ids, drawn like every other id.
    registry: Registry,
}

impl S3Front {
    pub fn new(s3: S3, registry: Registry) -> Self {
        S3Front { s3, registry }
    }

    /// Answers one request signed for `s3`.
    pub async fn handle(&self, request: Request) -> Response {
        let request_id = self
            .registry
            .entropy()
            .hex("s3-request-id", 8)
            .to_uppercase();
        let method = request.method().clone();
        let (parts, body) = request.into_parts();
        let target = Target::read(&parts.uri, &parts.headers);
        let now = self.registry.clock().now_ms();
        let result = match presigned::check(&target, now) {
            Err(e) => Err(e),
            Ok(()) => self.route(&method, &parts, &target, body).await,
        };
        match result {
            Ok(mut response) => {
                add_request_id(&mut response, &request_id);
                response
            }
            Err(e) => error::respond(&e, &method, &request_id),
        }
    }

    /// The operation a request names.
    async fn route(
        &self,
        method: &Method,
        parts: &Parts,
        target: &Target,
        body: axum::body::Body,
    ) -> Result<Response, S3Error> {
        match (target.bucket.as_deref(), target.key.as_deref()) {
            (None, _) => self.service(parts, target),
            (Some(bucket), None) => self.bucket(parts, target, bucket, body).await,
            (Some(bucket), Some(key)) if multipart::is_multipart(method, target) => {
                multipart::serve(&self.s3, parts, target, bucket, key, body).await
            }
            (Some(bucket), Some(key)) => match target.unexpected(&[]) {
                Some(sub) => Err(sub_resource(method, sub)),
                None => objects::serve(&self.s3, parts, bucket, key, body).await,
            },
        }
    }

    /// Requests without a bucket: ListBuckets.
    fn service(&self, parts: &Parts, target: &Target) -> Result<Response, S3Error> {
        if parts.method != Method::GET {
            return Err(S3Error::NotImplemented(format!("{} /", parts.method)));
        }
        if let Some(sub) = target.unexpected(&[]) {
            return Err(sub_resource(&parts.method, sub));
        }
        let account = self.registry.account().account_id.clone();
        Ok(xml_reply(xml::list_buckets(
            &self.s3.list_buckets(),
            &account,
        )))
    }

    /// Requests on a bucket: create, head, delete, list, location.
    async fn bucket(
        &self,
        parts: &Parts,
        target: &Target,
        bucket: &str,
        body: axum::body::Body,
    ) -> Result<Response, S3Error> {
        let s3 = self.s3.clone();
        let name = bucket.to_string();
        match parts.method {
            Method::GET if target.query.contains_key("location") => {
                let region = s3.head_bucket(bucket)?;
                Ok(xml_reply(xml::location(&region)))
            }
            Method::GET => self.list(target, bucket),
            Method::POST if target.query.contains_key("delete") => {
                multipart::delete_objects(&self.s3, bucket, body).await
            }
            Method::PUT if target.unexpected(&[]).is_none() => {
                let bytes = axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| {
                    S3Error::InvalidRequest("The CreateBucket body is too large".into())
                })?;
                let region = xml::location_constraint(&bytes);
                blocking(move || s3.create_bucket(&name, region.as_deref())).await?;
                let mut response = StatusCode::OK.into_response();
                if let Ok(location) = HeaderValue::from_str(&format!("/{bucket}")) {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                Ok(response)
            }
            Method::HEAD if target.unexpected(&[]).is_none() => {
                let region = s3.head_bucket(bucket)?;
                let mut response = StatusCode::OK.into_response();
                if let Ok(region) = HeaderValue::from_str(&region) {
                    response.headers_mut().insert("x-amz-bucket-region", region);
                }
                Ok(response)
            }
            Method::DELETE if target.unexpected(&[]).is_none() => {
                blocking(move || s3.delete_bucket(&name)).await?;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
            ref method => Err(match target.query.keys().next() {
                Some(sub) => sub_resource(method, sub),
                None => S3Error::NotImplemented(format!("{method} on a bucket")),
            }),
        }
    }

    /// ListObjectsV2 (`list-type=2`) or ListObjects.
    fn list(&self, target: &Target, bucket: &str) -> Result<Response, S3Error> {
        let v2 = target.param("list-type") == Some("2");
        let allowed = if v2 { LIST_V2 } else { LIST_V1 };
        if let Some(sub) = target.unexpected(allowed) {
            return Err(sub_resource(&Method::GET, sub));
        }
        let token = target.param("continuation-token");
        let start_after = target.param("start-after");
        let marker = target.param("marker");
        let after = match (v2, token) {
            (true, Some(token)) => Some(decode_token(token)?),
            (true, None) => start_after.map(str::to_string),
            (false, _) => marker.map(str::to_string),
        };
        let query = ListQuery {
            prefix: target.param("prefix").unwrap_or("").to_string(),
            delimiter: target.param("delimiter").unwrap_or("").to_string(),
            max_keys: max_keys(target.param("max-keys"))?,
            after,
        };
        let page = self.s3.list_objects(bucket, &query)?;
        let next_token = page
            .last
            .as_ref()
            .filter(|_| page.is_truncated && v2)
            .map(|l| B64.encode(l));
        let echo = xml::ListEcho {
            bucket,
            query: &query,
            url_encoded: target.param("encoding-type") == Some("url"),
            v2: v2.then_some((token, start_after)),
            marker,
            next_token,
        };
        Ok(xml_reply(xml::list_objects(&echo, &page)))
    }
}

fn max_keys(given: Option<&str>) -> Result<usize, S3Error> {
    match given {
        None => Ok(1000),
        Some(text) => text.parse::<usize>().map(|n| n.min(1000)).map_err(|_| {
            S3Error::InvalidArgument(
                "Provided max-keys not an integer or within integer range".into(),
            )
        }),
    }
}

fn decode_token(token: &str) -> Result<String, S3Error> {
    let invalid =
        || S3Error::InvalidArgument("The continuation token provided is incorrect".into());
    let bytes = B64.decode(token).map_err(|_| invalid())?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// A sub-resource (`?versioning`, `?acl`, `?uploads`…) the stand-in does not have.
fn sub_resource(method: &Method, sub: &str) -> S3Error {
    S3Error::NotImplemented(format!("{method} ?{sub}"))
}

fn xml_reply(body: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let xml = HeaderValue::from_static("application/xml");
    response.headers_mut().insert(header::CONTENT_TYPE, xml);
    response
}

/// S3's request id headers.
fn add_request_id(response: &mut Response, request_id: &str) {
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response
            .headers_mut()
            .insert("x-amz-request-id", id.clone());
        response.headers_mut().insert("x-amz-id-2", id);
    }
}

/// Runs a storage operation (which may fsync) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, S3Error> + Send + 'static,
) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| S3Error::InternalError(e.to_string()))?
}
