//! Domain errors, named after the AWS IoT exceptions they become on every protocol.

/// The AWS exception an error is reported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Data plane (fleet provisioning, credentials): not authorized.
    AccessDenied,
    CertificateConflict,
    CertificateState,
    CertificateValidation,
    /// Job templates: the id is taken.
    Conflict,
    ConflictingResourceUpdate,
    DeleteConflict,
    InternalFailure,
    /// Fleet provisioning: the ownership token is empty, unknown, expired or not yours.
    InvalidCertificateOwnershipToken,
    /// Fleet provisioning: a template reference or parameter cannot be resolved.
    InvalidParameters,
    /// Fleet provisioning: the request payload is not valid JSON/CBOR of the right shape.
    InvalidPayload,
    InvalidRequest,
    InvalidStateTransition,
    LimitExceeded,
    MalformedPolicy,
    NotConfigured,
    RegistrationCodeValidation,
    ResourceAlreadyExists,
    /// Fleet provisioning: an existing resource with OverrideSettings `FAIL`.
    ResourceConflicts,
    ResourceNotFound,
    ResourceRegistrationFailure,
    ServiceUnavailable,
    /// Rules: the SQL statement (or an action's substitution template) does not parse.
    SqlParse,
    Throttling,
    Unauthorized,
    VersionConflict,
    VersionsLimitExceeded,
}

impl ErrorKind {
    /// The exception's name as AWS spells it.
    pub fn exception_name(self) -> &'static str {
        use ErrorKind::*;
        match self {
            AccessDenied => "AccessDeniedException",
            CertificateConflict => "CertificateConflictException",
            CertificateState => "CertificateStateException",
            CertificateValidation => "CertificateValidationException",
            Conflict => "ConflictException",
            ConflictingResourceUpdate => "ConflictingResourceUpdateException",
            DeleteConflict => "DeleteConflictException",
            InternalFailure => "InternalFailureException",
            InvalidCertificateOwnershipToken => "InvalidCertificateOwnershipToken",
            InvalidParameters => "InvalidParameters",
            InvalidPayload => "InvalidPayload",
            InvalidRequest => "InvalidRequestException",
            InvalidStateTransition => "InvalidStateTransitionException",
            LimitExceeded => "LimitExceededException",
            MalformedPolicy => "MalformedPolicyException",
            NotConfigured => "NotConfiguredException",
            RegistrationCodeValidation => "RegistrationCodeValidationException",
            ResourceAlreadyExists => "ResourceAlreadyExistsException",
            ResourceConflicts => "ResourceConflictsException",
            ResourceNotFound => "ResourceNotFoundException",
            ResourceRegistrationFailure => "ResourceRegistrationFailureException",
            ServiceUnavailable => "ServiceUnavailableException",
            SqlParse => "SqlParseException",
            Throttling => "ThrottlingException",
            Unauthorized => "UnauthorizedException",
            VersionConflict => "VersionConflictException",
            VersionsLimitExceeded => "VersionsLimitExceededException",
        }
    }
}

/// An error from the registry or an engine, carrying what AWS would say.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", kind.exception_name())]
pub struct IotError {
    /// Which AWS exception this is.
    pub kind: ErrorKind,
    /// The human-readable message.
    pub message: String,
    /// For ResourceAlreadyExists: the existing resource's id and ARN.
    pub resource: Option<(String, String)>,
}

impl IotError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        IotError {
            kind,
            message: message.into(),
            resource: None,
        }
    }

    /// InvalidRequestException.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    /// ResourceNotFoundException.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }

    /// ResourceAlreadyExistsException naming the existing resource.
    pub fn already_exists(message: impl Into<String>, id: &str, arn: &str) -> Self {
        IotError {
            resource: Some((id.to_string(), arn.to_string())),
            ..Self::new(ErrorKind::ResourceAlreadyExists, message)
        }
    }

    /// InternalFailureException.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalFailure, message)
    }
}

/// Shorthand for results in the registry and engines.
pub type IotResult<T> = Result<T, IotError>;
