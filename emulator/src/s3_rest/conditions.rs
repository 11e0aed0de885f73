//! Conditional requests: If-Match, If-None-Match, If-Modified-Since and
//! If-Unmodified-Since on reads (the aws CLI sends If-Match with each ranged GET of a
//! large download), and S3's conditional writes (`If-None-Match: *`, `If-Match`).

use axum::http::HeaderMap;
use time::macros::format_description;
use time::PrimitiveDateTime;

use crate::s3::{ObjectMeta, S3Error};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `list` (`"etag1", "etag2"` or `*`) names `etag`.
fn matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|e| e.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|e| e == "*" || e == etag)
}

/// Seconds since the epoch of an HTTP date (`Thu, 03 Dec 2026 12:00:00 GMT`).
fn http_date(text: &str) -> Option<i64> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = PrimitiveDateTime::parse(text.trim(), &format).ok()?;
    Some(at.assume_utc().unix_timestamp())
}

/// GET and HEAD, in RFC 7232's order: If-Match, else If-Unmodified-Since; then
/// If-None-Match, else If-Modified-Since. Dates that do not parse are ignored, as S3 does.
pub(super) fn check_read(headers: &HeaderMap, meta: &ObjectMeta) -> Result<(), S3Error> {
    let modified = meta.last_modified_ms.div_euclid(1000);
    match header(headers, "if-match") {
        Some(list) if !matches(list, &meta.etag) => return Err(S3Error::PreconditionFailed),
        Some(_) => {}
        None => {
            let since = header(headers, "if-unmodified-since").and_then(http_date);
            if since.is_some_and(|since| modified > since) {
                return Err(S3Error::PreconditionFailed);
            }
        }
    }
    match header(headers, "if-none-match") {
        Some(list) if matches(list, &meta.etag) => Err(S3Error::NotModified),
        Some(_) => Ok(()),
        None => {
            let since = header(headers, "if-modified-since").and_then(http_date);
            match since {
                Some(since) if modified <= since => Err(S3Error::NotModified),
                _ => Ok(()),
            }
        }
    }
}

/// PutObject's conditional writes: `If-None-Match: *` (only if absent) and `If-Match`
/// (only if the current ETag matches). S3 supports no other If-None-Match value.
pub(super) fn check_write(
    headers: &HeaderMap,
    key: &str,
    existing: Option<&ObjectMeta>,
) -> Result<(), S3Error> {
    if let Some(value) = header(headers, "if-none-match") {
        if value.trim() != "*" {
            let message = "If-None-Match with a value other than *".to_string();
            return Err(S3Error::NotImplemented(message));
        }
        if existing.is_some() {
            return Err(S3Error::PreconditionFailed);
        }
    }
    if let Some(list) = header(headers, "if-match") {
        let meta = existing.ok_or_else(|| S3Error::NoSuchKey(key.to_string()))?;
        if !matches(list, &meta.etag) {
            return Err(S3Error::PreconditionFailed);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn meta(etag: &str, ms: i64) -> ObjectMeta {
        let json = serde_json::json!({
            "key": "k", "etag": etag, "size": 1, "last_modified_ms": ms,
            "content_type": null, "metadata": BTreeMap::<String, String>::new(),
        });
        serde_json::from_value(json).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn reads_follow_rfc_7232() {
        let m = meta("abc", 1_700_000_000_000);
        assert!(check_read(&headers(&[("if-match", "\"abc\"")]), &m).is_ok());
        let stale = headers(&[("if-match", "\"zzz\"")]);
        assert!(matches!(
            check_read(&stale, &m),
            Err(S3Error::PreconditionFailed)
        ));
        let cached = headers(&[("if-none-match", "\"abc\"")]);
        assert!(matches!(check_read(&cached, &m), Err(S3Error::NotModified)));
        let later = headers(&[("if-modified-since", "Wed, 15 Nov 2023 00:00:00 GMT")]);
        assert!(matches!(check_read(&later, &m), Err(S3Error::NotModified)));
        let earlier = headers(&[("if-unmodified-since", "Mon, 13 Nov 2023 00:00:00 GMT")]);
        assert!(matches!(
            check_read(&earlier, &m),
            Err(S3Error::PreconditionFailed)
        ));
    }

    #[test]
    fn conditional_writes_refuse_what_s3_refuses() {
        let m = meta("abc", 0);
        let absent_only = headers(&[("if-none-match", "*")]);
        assert!(check_write(&absent_only, "k", None).is_ok());
        assert!(matches!(
            check_write(&absent_only, "k", Some(&m)),
            Err(S3Error::PreconditionFailed)
        ));
        let if_match = headers(&[("if-match", "\"abc\"")]);
        assert!(check_write(&if_match, "k", Some(&m)).is_ok());
        assert!(matches!(
            check_write(&if_match, "k", None),
            Err(S3Error::NoSuchKey(_))
        ));
    }
}
