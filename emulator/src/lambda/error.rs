//! Lambda's exceptions, with the HTTP status botocore's model gives each.

/// Why a Lambda operation failed, named after AWS's exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LambdaError {
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceConflict(String),
    #[error("{0}")]
    InvalidParameterValue(String),
    #[error("{0}")]
    InvalidRequestContent(String),
    #[error("{0}")]
    RequestTooLarge(String),
    #[error("{0}")]
    PreconditionFailed(String),
    /// A `.zip` that cannot be unpacked.
    #[error("{0}")]
    InvalidZipFile(String),
    /// Every invocation slot stayed busy for as long as the caller could wait.
    #[error("{0}")]
    TooManyRequests(String),
    /// The runtime's interpreter could not be started.
    #[error("{0}")]
    InvalidRuntime(String),
    /// The emulator itself failed (disk, process start).
    #[error("{0}")]
    Service(String),
}

/// Results of the Lambda engine.
pub type LambdaResult<T> = Result<T, LambdaError>;

impl LambdaError {
    /// The exception name on the wire.
    pub fn exception_name(&self) -> &'static str {
        use LambdaError::*;
        match self {
            ResourceNotFound(_) => "ResourceNotFoundException",
            ResourceConflict(_) => "ResourceConflictException",
            InvalidParameterValue(_) => "InvalidParameterValueException",
            InvalidRequestContent(_) => "InvalidRequestContentException",
            RequestTooLarge(_) => "RequestTooLargeException",
            PreconditionFailed(_) => "PreconditionFailedException",
            InvalidZipFile(_) => "InvalidZipFileException",
            InvalidRuntime(_) => "InvalidRuntimeException",
            TooManyRequests(_) => "TooManyRequestsException",
            Service(_) => "ServiceException",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        use LambdaError::*;
        match self {
            ResourceNotFound(_) => 404,
            ResourceConflict(_) => 409,
            InvalidParameterValue(_) | InvalidRequestContent(_) => 400,
            RequestTooLarge(_) => 413,
            PreconditionFailed(_) => 412,
            TooManyRequests(_) => 429,
            InvalidZipFile(_) | InvalidRuntime(_) => 502,
            Service(_) => 500,
        }
    }

    /// `Type` of the body: `User` for the caller's faults, `Service` for ours.
    pub fn fault(&self) -> &'static str {
        match self.status() {
            500.. => "Service",
            _ => "User",
        }
    }

    /// The body's message member: botocore's model spells it `Message` for some
    /// exceptions and `message` for others.
    pub fn message_key(&self) -> &'static str {
        use LambdaError::*;
        match self {
            ResourceNotFound(_) | Service(_) | InvalidZipFile(_) | InvalidRuntime(_) => "Message",
            ResourceConflict(_)
            | InvalidParameterValue(_)
            | InvalidRequestContent(_)
            | RequestTooLarge(_)
            | PreconditionFailed(_)
            | TooManyRequests(_) => "message",
        }
    }

    pub(crate) fn service(e: impl std::fmt::Display) -> Self {
        tracing::error!(cause = %e, "lambda engine failure");
        LambdaError::Service(format!("iot-emulator could not complete the request: {e}"))
    }
}
