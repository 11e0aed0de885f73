//! CloudFormation's errors, as the engine raises them; the query front end maps each to
//! its HTTP status, `Type` and `Code`.

/// Why a CloudFormation operation failed, named after CloudFormation's error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CfnError {
    /// A bad template, parameter or request: CloudFormation's catch-all 400.
    #[error("{0}")]
    ValidationError(String),
    /// The template makes IAM resources and the caller did not acknowledge it.
    #[error("Requires capabilities : [{0}]")]
    InsufficientCapabilities(String),
    /// CreateStack or CreateChangeSet for a name already in use.
    #[error("{0}")]
    AlreadyExists(String),
    #[error("ChangeSet [{0}] does not exist")]
    ChangeSetNotFound(String),
    /// ExecuteChangeSet on a change set that is not AVAILABLE, say.
    #[error("{0}")]
    InvalidChangeSetStatus(String),
    /// A template feature or resource type the emulator lacks.
    #[error("{0}")]
    NotImplemented(String),
}

pub type CfnResult<T> = Result<T, CfnError>;

/// `Template format error: <detail>`, CloudFormation's wording for a template it cannot read.
pub(crate) fn format_error(detail: impl std::fmt::Display) -> CfnError {
    CfnError::ValidationError(format!("Template format error: {detail}"))
}

/// `Template error: <detail>`, for an intrinsic function used wrongly.
pub(crate) fn template_error(detail: impl std::fmt::Display) -> CfnError {
    CfnError::ValidationError(format!("Template error: {detail}"))
}
