//! Object operations: PutObject, GetObject (with one byte range), HeadObject and
//! DeleteObject, and the request headers the stand-in refuses rather than ignore.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::{blocking, body, conditions, xml};
use crate::s3::{ObjectMeta, PutOptions, S3Error, S3};

/// Request headers whose feature the stand-in lacks: refused, never ignored.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("x-amz-copy-source", "CopyObject"),
    ("x-amz-tagging", "object tagging"),
    ("x-amz-object-lock-mode", "Object Lock"),
    ("x-amz-object-lock-retain-until-date", "Object Lock"),
    ("x-amz-object-lock-legal-hold", "Object Lock"),
    ("x-amz-website-redirect-location", "website redirects"),
    ("x-amz-server-side-encryption-customer-algorithm", "SSE-C"),
];

/// Header values the stand-in honours; any other value is refused.
const ACCEPTED_VALUES: &[(&str, &[&str])] = &[
    ("x-amz-server-side-encryption", &["AES256"]),
    ("x-amz-storage-class", &["STANDARD"]),
    ("x-amz-acl", &["private", "bucket-owner-full-control"]),
];

pub(super) async fn serve(
    s3: &S3,
    parts: &Parts,
    bucket: &str,
    key: &str,
    body: Body,
) -> Result<Response, S3Error> {
    refuse_unsupported(&parts.headers)?;
    let (s3, bucket, key) = (s3.clone(), bucket.to_string(), key.to_string());
    match parts.method {
        Method::PUT => {
            let payload = body::read(&parts.headers, body).await?;
            let existing = s3.head_object(&bucket, &key).ok();
            conditions::check_write(&parts.headers, &key, existing.as_ref())?;
            let options = put_options(&parts.headers);
            let meta = blocking(move || s3.put_object(&bucket, &key, payload, options)).await?;
            Ok(put_reply(&meta, &parts.headers))
        }
        Method::GET => {
            let (meta, bytes) = blocking(move || s3.get_object(&bucket, &key)).await?;
            conditions::check_read(&parts.headers, &meta)?;
            get_reply(&meta, bytes, parts.headers.get(header::RANGE))
        }
        Method::HEAD => {
            let meta = blocking(move || s3.head_object(&bucket, &key)).await?;
            conditions::check_read(&parts.headers, &meta)?;
            Ok(with_object_headers(
                StatusCode::OK.into_response(),
                &meta,
                meta.size,
            ))
        }
        Method::DELETE => {
            blocking(move || s3.delete_object(&bucket, &key)).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        ref other => Err(S3Error::NotImplemented(format!("{other} on an object"))),
    }
}

fn refuse_unsupported(headers: &HeaderMap) -> Result<(), S3Error> {
    if let Some((_, feature)) = UNSUPPORTED
        .iter()
        .find(|(name, _)| headers.contains_key(*name))
    {
        return Err(S3Error::NotImplemented(feature.to_string()));
    }
    for (name, accepted) in ACCEPTED_VALUES {
        let value = headers.get(*name).and_then(|v| v.to_str().ok());
        if let Some(value) = value.filter(|v| !accepted.contains(v)) {
            return Err(S3Error::NotImplemented(format!("{name}: {value}")));
        }
    }
    Ok(())
}

pub(super) fn put_options(headers: &HeaderMap) -> PutOptions {
    let metadata: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((name.to_string(), value.to_str().ok()?.to_string()))
        })
        .collect();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    PutOptions {
        content_type,
        metadata,
    }
}

fn put_reply(meta: &ObjectMeta, request: &HeaderMap) -> Response {
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    insert(headers, header::ETAG, &format!("\"{}\"", meta.etag));
    if let Some(sse) = request.get("x-amz-server-side-encryption") {
        headers.insert("x-amz-server-side-encryption", sse.clone());
    }
    response
}

fn get_reply(
    meta: &ObjectMeta,
    bytes: Bytes,
    range: Option<&HeaderValue>,
) -> Result<Response, S3Error> {
    let Some(range) = range.and_then(|r| r.to_str().ok()) else {
        let size = bytes.len() as u64;
        return Ok(with_object_headers(
            (StatusCode::OK, bytes).into_response(),
            meta,
            size,
        ));
    };
    let (start, end) = byte_range(range, bytes.len() as u64)?;
    let part = bytes.slice(start as usize..=end as usize);
    let response = (StatusCode::PARTIAL_CONTENT, part).into_response();
    let mut response = with_object_headers(response, meta, end - start + 1);
    let content_range = format!("bytes {start}-{end}/{}", bytes.len());
    insert(
        response.headers_mut(),
        header::CONTENT_RANGE,
        &content_range,
    );
    Ok(response)
}

/// One `bytes=` range: `a-b`, `a-` or `-n`, clipped to the object as S3 clips it.
fn byte_range(range: &str, size: u64) -> Result<(u64, u64), S3Error> {
    let spec = range.strip_prefix("bytes=").ok_or(S3Error::InvalidRange)?;
    if spec.contains(',') {
        return Err(S3Error::NotImplemented("multiple byte ranges".into()));
    }
    let (from, to) = spec.split_once('-').ok_or(S3Error::InvalidRange)?;
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| S3Error::InvalidRange);
    let (start, end) = match (from.trim().is_empty(), to.trim().is_empty()) {
        (true, false) => (size.saturating_sub(number(to)?), size.saturating_sub(1)),
        (false, true) => (number(from)?, size.saturating_sub(1)),
        (false, false) => (number(from)?, number(to)?.min(size.saturating_sub(1))),
        (true, true) => return Err(S3Error::InvalidRange),
    };
    if size == 0 || start >= size || start > end {
        return Err(S3Error::InvalidRange);
    }
    Ok((start, end))
}

fn with_object_headers(mut response: Response, meta: &ObjectMeta, length: u64) -> Response {
    let headers = response.headers_mut();
    insert(headers, header::ETAG, &format!("\"{}\"", meta.etag));
    insert(
        headers,
        header::LAST_MODIFIED,
        &xml::http_date(meta.last_modified_ms),
    );
    insert(headers, header::CONTENT_LENGTH, &length.to_string());
    insert(headers, header::ACCEPT_RANGES, "bytes");
    let content_type = meta
        .content_type
        .as_deref()
        .unwrap_or("binary/octet-stream");
    insert(headers, header::CONTENT_TYPE, content_type);
    for (name, value) in &meta.metadata {
        if let Ok(name) = HeaderName::try_from(format!("x-amz-meta-{name}")) {
            insert(headers, name, value);
        }
    }
    response
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_clip_like_s3() {
        assert_eq!(byte_range("bytes=0-3", 10).unwrap(), (0, 3));
        assert_eq!(byte_range("bytes=5-", 10).unwrap(), (5, 9));
        assert_eq!(byte_range("bytes=-4", 10).unwrap(), (6, 9));
        assert_eq!(byte_range("bytes=8-100", 10).unwrap(), (8, 9));
        assert!(matches!(
            byte_range("bytes=10-", 10),
            Err(S3Error::InvalidRange)
        ));
        assert!(matches!(
            byte_range("items=0-1", 10),
            Err(S3Error::InvalidRange)
        ));
    }
}
