//! The one mapping from [`S3Error`] to S3's status and `<Error>` body.

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::xml;
use crate::s3::S3Error;

/// Status, and the resource element S3 names in the body; the code is [`S3Error::code`].
fn parts(e: &S3Error) -> (StatusCode, Option<(&'static str, &str)>) {
    use StatusCode as S;
    match e {
        S3Error::NoSuchBucket(b) => (S::NOT_FOUND, Some(("BucketName", b))),
        S3Error::NoSuchKey(k) => (S::NOT_FOUND, Some(("Key", k))),
        S3Error::BucketAlreadyOwnedByYou(b) => (S::CONFLICT, Some(("BucketName", b))),
        S3Error::InvalidBucketName(b) => (S::BAD_REQUEST, Some(("BucketName", b))),
        S3Error::BucketNotEmpty(b) => (S::CONFLICT, Some(("BucketName", b))),
        S3Error::KeyTooLong(_) => (S::BAD_REQUEST, None),
        S3Error::BadDigest(_) => (S::BAD_REQUEST, None),
        S3Error::InvalidDigest => (S::BAD_REQUEST, None),
        S3Error::XAmzContentSHA256Mismatch => (S::BAD_REQUEST, None),
        S3Error::InvalidArgument(_) => (S::BAD_REQUEST, None),
        S3Error::InvalidRequest(_) => (S::BAD_REQUEST, None),
        S3Error::InvalidRange => (S::RANGE_NOT_SATISFIABLE, None),
        S3Error::PreconditionFailed => (S::PRECONDITION_FAILED, None),
        S3Error::NotModified => (S::NOT_MODIFIED, None),
        S3Error::NoSuchUpload(id) => (S::NOT_FOUND, Some(("UploadId", id))),
        S3Error::InvalidPart => (S::BAD_REQUEST, None),
        S3Error::InvalidPartOrder => (S::BAD_REQUEST, None),
        S3Error::EntityTooSmall => (S::BAD_REQUEST, None),
        S3Error::MalformedXML(_) => (S::BAD_REQUEST, None),
        S3Error::AccessDenied(_) => (S::FORBIDDEN, None),
        S3Error::AuthorizationQueryParametersError(_) => (S::BAD_REQUEST, None),
        // The emulator's own: 501, which botocore does not retry.
        S3Error::NotImplemented(_) => (S::NOT_IMPLEMENTED, None),
        S3Error::InternalError(_) => (S::INTERNAL_SERVER_ERROR, None),
    }
}

/// The reply for `e`; HEAD replies carry no body, as S3's do.
pub(super) fn respond(e: &S3Error, method: &Method, request_id: &str) -> Response {
    let (status, resource) = parts(e);
    let code = e.code();
    let mut response = if method == Method::HEAD || status == StatusCode::NOT_MODIFIED {
        status.into_response()
    } else {
        let body = xml::error(code, &e.to_string(), resource, request_id);
        let mut response = (status, body).into_response();
        let xml = HeaderValue::from_static("application/xml");
        response.headers_mut().insert(header::CONTENT_TYPE, xml);
        response
    };
    super::add_request_id(&mut response, request_id);
    response
}
