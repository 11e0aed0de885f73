//! The SigV4 query string of an MQTT-over-WebSocket upgrade (`wss://<endpoint>/mqtt?
//! X-Amz-Algorithm=…`): which parameters must be there, the credential scope's service,
//! and the signing time against the emulator clock. The signature itself is not verified
//! (any access key is accepted, as on the API port).

use time::macros::format_description;
use time::PrimitiveDateTime;

/// The signing name AWS IoT's WebSocket endpoint requires in the credential scope.
pub const SERVICE: &str = "iotdevicegateway";
/// How far the signing time may be from the clock (SigV4's five minutes).
const SKEW_MS: i64 = 5 * 60 * 1000;
/// The longest `X-Amz-Expires` SigV4 allows (7 days).
const MAX_EXPIRES_S: i64 = 604_800;
const REQUIRED: [&str; 5] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
];

/// A well-formed presigned upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub access_key: String,
    /// The credential scope's region.
    pub region: String,
    /// `X-Amz-Security-Token`, which IoT leaves out of the signature.
    pub security_token: Option<String>,
    /// `X-Amz-Date` as sent, and in ms since the epoch.
    pub date: String,
    pub signed_ms: i64,
    /// `X-Amz-Expires`, when sent.
    pub expires_s: Option<i64>,
}

/// Why an upgrade is refused (HTTP 403 before the upgrade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A required query parameter is absent (an unsigned request).
    Incomplete,
    /// A parameter is there but not in SigV4's form.
    Malformed(String),
    /// The credential scope names another service.
    WrongService(String),
    /// The signing time is more than five minutes before the clock (or past
    /// `X-Amz-Expires`).
    Expired { signed: String },
    /// The signing time is more than five minutes after the clock.
    NotYetCurrent { signed: String },
}

impl Refusal {
    /// The `x-amzn-ErrorType` of the 403 answer.
    pub fn error_type(&self) -> &'static str {
        match self {
            Refusal::Incomplete => "IncompleteSignatureException",
            Refusal::Malformed(_) | Refusal::WrongService(_) => "InvalidSignatureException",
            Refusal::Expired { .. } | Refusal::NotYetCurrent { .. } => "InvalidSignatureException",
        }
    }

    /// The message of the 403 answer.
    pub fn message(&self) -> String {
        match self {
            Refusal::Incomplete => format!(
                "AWS query-string parameters must include {}. Re-examine the query-string \
                 parameters.",
                REQUIRED.map(|p| format!("'{p}'")).join(", ")
            ),
            Refusal::Malformed(what) => what.clone(),
            Refusal::WrongService(service) => format!(
                "Credential should be scoped to correct service: '{SERVICE}', not '{service}'."
            ),
            Refusal::Expired { signed } => {
                format!("Signature expired: {signed} is now earlier than the allowed window.")
            }
            Refusal::NotYetCurrent { signed } => {
                format!("Signature not yet current: {signed} is still later than now + 5 min.")
            }
        }
    }
}

/// Checks the query string `query` of an upgrade at `now_ms` on the emulator clock.
pub fn check(query: &str, now_ms: i64) -> Result<Presigned, Refusal> {
    let presigned = parse(query)?;
    presigned.check_time(now_ms)?;
    Ok(presigned)
}

/// The parameters of `query`, checked for presence and form (not for time).
pub fn parse(query: &str) -> Result<Presigned, Refusal> {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let [algorithm, credential, signature, date, signed_headers] =
        REQUIRED.map(|name| get(name).filter(|v| !v.is_empty()));
    let (Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers)) =
        (algorithm, credential, signature, date, signed_headers)
    else {
        return Err(Refusal::Incomplete);
    };
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(malformed(format!("Unsupported algorithm: {algorithm}")));
    }
    check_signature_form(signature, signed_headers)?;
    let signed_ms = parse_date(date)?;
    let (access_key, region) = check_scope(credential, &date[..8])?;
    Ok(Presigned {
        access_key,
        region,
        security_token: get("X-Amz-Security-Token").map(str::to_string),
        date: date.to_string(),
        signed_ms,
        expires_s: get("X-Amz-Expires").map(parse_expires).transpose()?,
    })
}

fn malformed(message: String) -> Refusal {
    Refusal::Malformed(message)
}

/// 64 hex digits of signature, and `host` among the signed headers.
fn check_signature_form(signature: &str, signed_headers: &str) -> Result<(), Refusal> {
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed(format!("Invalid signature: {signature}")));
    }
    if !signed_headers.split(';').any(|h| h == "host") {
        return Err(malformed(format!(
            "X-Amz-SignedHeaders must include 'host', not '{signed_headers}'."
        )));
    }
    Ok(())
}

/// `<key>/<yyyymmdd>/<region>/iotdevicegateway/aws4_request`, its date the one of
/// `X-Amz-Date`; the access key and region.
fn check_scope(credential: &str, day: &str) -> Result<(String, String), Refusal> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, scope_day, region, service, terminator] = parts[..] else {
        return Err(malformed(format!(
            "Credential should be of the form <key>/<date>/<region>/<service>/aws4_request, \
             not '{credential}'."
        )));
    };
    if key.is_empty() || region.is_empty() || terminator != "aws4_request" {
        return Err(malformed(format!("Malformed credential: '{credential}'.")));
    }
    if scope_day != day {
        return Err(malformed(format!(
            "Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '{scope_day}' \
             is not '{day}'."
        )));
    }
    if service != SERVICE {
        return Err(Refusal::WrongService(service.to_string()));
    }
    Ok((key.to_string(), region.to_string()))
}

/// `X-Amz-Date` (`yyyymmddThhmmssZ`) in ms since the epoch.
fn parse_date(date: &str) -> Result<i64, Refusal> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = PrimitiveDateTime::parse(date, format)
        .map_err(|_| malformed(format!("Invalid X-Amz-Date: '{date}'.")))?;
    Ok((parsed.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

fn parse_expires(value: &str) -> Result<i64, Refusal> {
    match value.parse::<i64>() {
        Ok(s) if (1..=MAX_EXPIRES_S).contains(&s) => Ok(s),
        _ => Err(malformed(format!(
            "X-Amz-Expires must be between 1 and {MAX_EXPIRES_S} seconds, not '{value}'."
        ))),
    }
}

impl Presigned {
    /// The signing time may be up to five minutes ahead of the clock, and up to five
    /// minutes behind it (or `X-Amz-Expires`, when longer).
    pub fn check_time(&self, now_ms: i64) -> Result<(), Refusal> {
        let signed = self.date.clone();
        if self.signed_ms > now_ms + SKEW_MS {
            return Err(Refusal::NotYetCurrent { signed });
        }
        let window_ms = self.expires_s.map_or(SKEW_MS, |s| (s * 1000).max(SKEW_MS));
        if self.signed_ms + window_ms < now_ms {
            return Err(Refusal::Expired { signed });
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "presigned_tests.rs"]
mod tests;
