//! The Device Shadow service's errors: AWS's codes and messages, which every protocol
//! maps from (MQTT `/rejected` in [`super::reply`], iot-data exceptions in `api::shadows`).

/// Why a shadow request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShadowError {
    /// 400, with one of AWS's messages (`Invalid JSON`, `Missing required node: state`, ...).
    #[error("{0}")]
    InvalidRequest(String),
    /// 404 `No shadow exists with name: '<name>'`.
    #[error("No shadow exists with name: '{0}'")]
    NotFound(String),
    /// 409 `Version conflict`.
    #[error("Version conflict")]
    VersionConflict,
    /// 413: the merged document is over the size limit.
    #[error("The payload exceeds the maximum size allowed")]
    TooLarge,
    /// 415: the payload is not UTF-8.
    #[error("Unsupported documented encoding; supported encoding is UTF-8")]
    UnsupportedEncoding,
    /// 429: the thing's update rate limit.
    #[error("Too Many Requests")]
    Throttled,
    /// 500: the change could not be stored.
    #[error("Internal service failure")]
    Internal,
}

impl ShadowError {
    /// The HTTP status AWS gives it (also the `code` of an MQTT `/rejected`).
    pub fn code(&self) -> u16 {
        match self {
            ShadowError::InvalidRequest(_) => 400,
            ShadowError::NotFound(_) => 404,
            ShadowError::VersionConflict => 409,
            ShadowError::TooLarge => 413,
            ShadowError::UnsupportedEncoding => 415,
            ShadowError::Throttled => 429,
            ShadowError::Internal => 500,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ShadowError::InvalidRequest(message.into())
    }
}

pub type ShadowResult<T> = Result<T, ShadowError>;
