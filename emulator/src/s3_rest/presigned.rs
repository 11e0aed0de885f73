//! Query-string SigV4 and SigV2 (presigned URLs): the `X-Amz-*` (or `AWSAccessKeyId`,
//! `Signature`, `Expires`) parameters authenticate a request, they select no sub-resource. The stand-in checks signatures nowhere, so it checks only
//! what a plain HTTP client can be refused for: a URL past `X-Amz-Date` + `X-Amz-Expires`
//! (SigV2: `Expires`) on the emulator clock is `AccessDenied` "Request has expired", as S3
//! answers.

use time::macros::format_description;
use time::PrimitiveDateTime;

use super::target::Target;
use crate::s3::S3Error;

/// The query parameters of SigV4 in the query string.
pub(super) const AUTH_PARAMS: &[&str] = &[
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    // SigV2 (boto3's default for s3 presigned URLs).
    "AWSAccessKeyId",
    "Signature",
    "Expires",
];

/// S3's limit on `X-Amz-Expires`: seven days.
const MAX_EXPIRES: i64 = 604_800;

/// Epoch milliseconds of an `X-Amz-Date` (`20261203T175400Z`).
fn parse_amz_date(text: &str) -> Option<i64> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let at = PrimitiveDateTime::parse(text, format).ok()?.assume_utc();
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Refuses a presigned request that has expired at `now_ms` (or cannot tell when it does).
pub(super) fn check(target: &Target, now_ms: i64) -> Result<(), S3Error> {
    if target.param("AWSAccessKeyId").is_some() {
        return check_v2(target, now_ms);
    }
    let Some(expires) = target.param("X-Amz-Expires") else {
        return Ok(());
    };
    let bad = |m: &str| S3Error::AuthorizationQueryParametersError(m.to_string());
    let seconds: i64 = expires
        .parse()
        .map_err(|_| bad("X-Amz-Expires should be a number"))?;
    if seconds <= 0 {
        return Err(bad("X-Amz-Expires must be non-negative"));
    }
    if seconds > MAX_EXPIRES {
        return Err(bad(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ));
    }
    let signed = target
        .param("X-Amz-Date")
        .and_then(parse_amz_date)
        .ok_or_else(|| {
            bad("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        })?;
    if now_ms > signed + seconds * 1000 {
        return Err(S3Error::AccessDenied("Request has expired".into()));
    }
    Ok(())
}

/// SigV2: `Expires` is the epoch second the URL stops working.
fn check_v2(target: &Target, now_ms: i64) -> Result<(), S3Error> {
    let Some(expires) = target.param("Expires") else {
        return Ok(());
    };
    let at: i64 = expires.parse().map_err(|_| {
        S3Error::AuthorizationQueryParametersError("Expires should be a number".into())
    })?;
    if now_ms > at * 1000 {
        return Err(S3Error::AccessDenied("Request has expired".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amz_date_is_utc_seconds() {
        assert_eq!(parse_amz_date("19700101T000100Z"), Some(60_000));
        assert_eq!(parse_amz_date("1970-01-01"), None);
    }
}
