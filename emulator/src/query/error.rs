//! The query protocol's errors and their one mapping to AWS's status, `Type` and `Code`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::xml::{self, ErrorBody};

/// Why a query request failed, named after AWS's common query errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The request has no `Action` parameter.
    #[error("The request must contain the parameter Action.")]
    MissingAction,
    /// The body could not be read as a form (too large, or cut off).
    #[error("{0}")]
    MalformedQueryString(String),
    /// An operation, or a whole service, the emulator does not have.
    #[error("iot-emulator does not implement {service} {action}")]
    NotImplemented { service: String, action: String },
    /// CloudFormation's own errors.
    #[error("{0}")]
    Cfn(#[from] crate::cloudformation::CfnError),
    /// The service failed under us.
    #[error("{0}")]
    Internal(String),
}

impl QueryError {
    /// The HTTP status, `Type` and `Code` of each error. AWS documents MissingAction as
    /// 400 and MalformedQueryString as 404. NotImplemented is the emulator's own (AWS's
    /// services simply have every operation): 501, which botocore does not retry.
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            QueryError::MissingAction => (StatusCode::BAD_REQUEST, "Sender", "MissingAction"),
            QueryError::MalformedQueryString(_) => {
                (StatusCode::NOT_FOUND, "Sender", "MalformedQueryString")
            }
            QueryError::NotImplemented { .. } => {
                (StatusCode::NOT_IMPLEMENTED, "Receiver", "NotImplemented")
            }
            QueryError::Cfn(e) => cfn_parts(e),
            QueryError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Receiver",
                "InternalFailure",
            ),
        }
    }

    /// The reply for `service`: EC2's own error shape for `ec2`, `<ErrorResponse>`
    /// (with the service's namespace when it has one) for every other.
    pub fn respond(&self, service: &str, namespace: Option<&str>, request_id: &str) -> Response {
        let (status, kind, code) = self.parts();
        let message = self.to_string();
        let e = ErrorBody {
            kind,
            code,
            message: &message,
            request_id,
        };
        let body = if service == "ec2" {
            xml::ec2_error(&e)
        } else {
            xml::error(&e, namespace)
        };
        xml_response(status, body, request_id)
    }
}

/// An XML reply with AWS's `x-amzn-RequestId`.
pub(super) fn xml_response(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}

/// CloudFormation's codes: ValidationError for most things, as CloudFormation answers.
fn cfn_parts(e: &crate::cloudformation::CfnError) -> (StatusCode, &'static str, &'static str) {
    use crate::cloudformation::CfnError as E;
    match e {
        E::ValidationError(_) => (StatusCode::BAD_REQUEST, "Sender", "ValidationError"),
        E::InsufficientCapabilities(_) => (
            StatusCode::BAD_REQUEST,
            "Sender",
            "InsufficientCapabilitiesException",
        ),
        E::AlreadyExists(_) => (StatusCode::BAD_REQUEST, "Sender", "AlreadyExistsException"),
        E::ChangeSetNotFound(_) => (StatusCode::NOT_FOUND, "Sender", "ChangeSetNotFound"),
        E::InvalidChangeSetStatus(_) => {
            (StatusCode::BAD_REQUEST, "Sender", "InvalidChangeSetStatus")
        }
        E::NotImplemented(_) => (StatusCode::NOT_IMPLEMENTED, "Receiver", "NotImplemented"),
    }
}
