//! The HTTP mapping of domain errors: AWS's status, `x-amzn-ErrorType` and JSON body.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::registry::{ErrorKind, IotError};

/// An error on its way out of the control plane.
#[derive(Debug)]
pub struct ApiError(pub IotError);

/// Handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<IotError> for ApiError {
    fn from(e: IotError) -> Self {
        ApiError(e)
    }
}

impl From<crate::pki::PkiError> for ApiError {
    fn from(e: crate::pki::PkiError) -> Self {
        use crate::pki::PkiError::*;
        ApiError(match e {
            InvalidKey(m) | Malformed(m) => IotError::invalid(m),
            Internal(m) => {
                tracing::error!(cause = %m, "PKI failure");
                IotError::internal("An internal error occurred")
            }
        })
    }
}

/// The status code botocore's model gives each exception.
pub fn status(kind: ErrorKind) -> StatusCode {
    use ErrorKind::*;
    let code = match kind {
        AccessDenied => 403,
        CertificateConflict => 409,
        CertificateState => 406,
        CertificateValidation => 400,
        Conflict => 409,
        ConflictingResourceUpdate => 409,
        DeleteConflict => 409,
        InternalFailure => 500,
        InvalidCertificateOwnershipToken | InvalidParameters | InvalidPayload => 400,
        InvalidRequest => 400,
        InvalidStateTransition => 409,
        LimitExceeded => 410,
        MalformedPolicy => 400,
        NotConfigured => 404,
        RegistrationCodeValidation => 400,
        ResourceAlreadyExists => 409,
        ResourceConflicts => 409,
        ResourceNotFound => 404,
        ResourceRegistrationFailure => 400,
        ServiceUnavailable => 503,
        SqlParse => 400,
        Throttling => 400,
        Unauthorized => 401,
        VersionConflict => 409,
        VersionsLimitExceeded => 409,
    };
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

/// Builds an AWS-shaped error response for an arbitrary exception name.
pub fn error_response(status: StatusCode, name: &str, body: serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("{name}:")) {
        response.headers_mut().insert("x-amzn-ErrorType", value);
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let mut body = json!({ "message": e.message });
        if let Some((id, arn)) = &e.resource {
            body["resourceId"] = json!(id);
            body["resourceArn"] = json!(arn);
        }
        error_response(status(e.kind), e.kind.exception_name(), body)
    }
}
