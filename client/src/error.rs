//! The client's errors; a rejection names exactly what AWS sent.

use crate::wire::WireError;

/// Everything the client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A file or argument is missing or malformed (PEM, paths, URLs).
    #[error("configuration: {0}")]
    Config(String),
    /// Every connection attempt failed; `last` is the final failure.
    #[error("could not connect to {endpoint} after {attempts} attempt(s): {last}")]
    Connect {
        endpoint: String,
        attempts: u32,
        last: String,
    },
    /// A fleet provisioning request came back on `/rejected`.
    #[error("{operation} rejected: {status_code} {error_code}: {error_message}")]
    Rejected {
        operation: &'static str,
        status_code: u16,
        error_code: String,
        error_message: String,
    },
    /// The broker refused a subscription (SUBACK failure code).
    #[error("subscription to {filter} refused by the broker ({reason})")]
    SubscribeRefused { filter: String, reason: String },
    /// The connection dropped while waiting for something.
    #[error("connection lost: {0}")]
    Disconnected(String),
    /// Nothing arrived in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// A payload did not have the documented shape.
    #[error("unexpected payload on {topic}: {error}")]
    Payload { topic: String, error: WireError },
    /// The credentials provider answered with an error status.
    #[error("credentials provider answered {status}: {message}")]
    Credentials { status: u16, message: String },
    /// HTTP or TLS failure talking to the credentials provider.
    #[error("credentials provider request failed: {0}")]
    Http(String),
    /// Reading or writing the device directory failed.
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
}

/// Shorthand.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_names_what_aws_sent() {
        let e = ClientError::Rejected {
            operation: "RegisterThing",
            status_code: 400,
            error_code: "InvalidCertificateOwnershipToken".into(),
            error_message: "Certificate ownership token cannot be empty.".into(),
        };
        assert_eq!(
            e.to_string(),
            "RegisterThing rejected: 400 InvalidCertificateOwnershipToken: \
             Certificate ownership token cannot be empty."
        );
    }
}
