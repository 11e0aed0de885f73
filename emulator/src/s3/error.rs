//! Why an S3 operation failed, named after S3's error codes.

/// S3's errors, as the stand-in raises them. The front end maps each to its status.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("The specified bucket does not exist")]
    NoSuchBucket(String),
    #[error("The specified key does not exist.")]
    NoSuchKey(String),
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou(String),
    #[error("The specified bucket is not valid.")]
    InvalidBucketName(String),
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty(String),
    /// Your key is too long (over 1024 bytes), or empty.
    #[error("{0}")]
    KeyTooLong(String),
    /// A checksum or Content-MD5 the caller sent does not match the body.
    #[error("{0}")]
    BadDigest(String),
    /// A Content-MD5 that is not base64 of 16 bytes.
    #[error("The Content-MD5 you specified was invalid.")]
    InvalidDigest,
    /// x-amz-content-sha256 does not match the body.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    XAmzContentSHA256Mismatch,
    /// A header or parameter the stand-in cannot honour.
    #[error("{0}")]
    InvalidArgument(String),
    /// A request S3 would refuse as malformed (a bad aws-chunked body, say).
    #[error("{0}")]
    InvalidRequest(String),
    #[error("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")]
    NoSuchUpload(String),
    #[error("One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")]
    InvalidPart,
    #[error("The list of parts was not in ascending order. Parts must be ordered by part number.")]
    InvalidPartOrder,
    #[error("Your proposed upload is smaller than the minimum allowed size")]
    EntityTooSmall,
    #[error("{0}")]
    MalformedXML(String),
    /// A conditional request whose condition does not hold (If-Match, If-Unmodified-Since,
    /// or a conditional write).
    #[error("At least one of the pre-conditions you specified did not hold")]
    PreconditionFailed,
    /// If-None-Match or If-Modified-Since on an unchanged object: 304, no body.
    #[error("Not Modified")]
    NotModified,
    #[error("The requested range is not satisfiable")]
    InvalidRange,
    /// A presigned URL past its `X-Amz-Expires` ("Request has expired").
    #[error("{0}")]
    AccessDenied(String),
    /// A presigned URL whose `X-Amz-Date` or `X-Amz-Expires` is malformed.
    #[error("{0}")]
    AuthorizationQueryParametersError(String),
    /// An operation or feature of S3 the stand-in does not have.
    #[error("iot-emulator does not implement s3 {0}")]
    NotImplemented(String),
    /// The data dir failed under us.
    #[error("We encountered an internal error. Please try again.")]
    InternalError(String),
}

impl S3Error {
    /// S3's error code (the `<Code>` of its error document).
    pub fn code(&self) -> &'static str {
        match self {
            S3Error::NoSuchBucket(_) => "NoSuchBucket",
            S3Error::NoSuchKey(_) => "NoSuchKey",
            S3Error::BucketAlreadyOwnedByYou(_) => "BucketAlreadyOwnedByYou",
            S3Error::InvalidBucketName(_) => "InvalidBucketName",
            S3Error::BucketNotEmpty(_) => "BucketNotEmpty",
            S3Error::KeyTooLong(_) => "KeyTooLongError",
            S3Error::BadDigest(_) => "BadDigest",
            S3Error::InvalidDigest => "InvalidDigest",
            S3Error::XAmzContentSHA256Mismatch => "XAmzContentSHA256Mismatch",
            S3Error::InvalidArgument(_) => "InvalidArgument",
            S3Error::InvalidRequest(_) => "InvalidRequest",
            S3Error::NoSuchUpload(_) => "NoSuchUpload",
            S3Error::InvalidPart => "InvalidPart",
            S3Error::InvalidPartOrder => "InvalidPartOrder",
            S3Error::EntityTooSmall => "EntityTooSmall",
            S3Error::MalformedXML(_) => "MalformedXML",
            S3Error::PreconditionFailed => "PreconditionFailed",
            S3Error::NotModified => "NotModified",
            S3Error::InvalidRange => "InvalidRange",
            S3Error::AccessDenied(_) => "AccessDenied",
            S3Error::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            S3Error::NotImplemented(_) => "NotImplemented",
            S3Error::InternalError(_) => "InternalError",
        }
    }
}

impl From<std::io::Error> for S3Error {
    fn from(e: std::io::Error) -> Self {
        tracing::error!("s3 stand-in storage: {e}");
        S3Error::InternalError(e.to_string())
    }
}
