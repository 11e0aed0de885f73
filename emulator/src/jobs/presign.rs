//! `presignedUrlConfig`: a job document may name S3 objects with placeholders,
//! `${aws:iot:s3-presigned-url:<S3 object URL>}` (or `…-url-v2:`). Each time a device is
//! given the document (MQTT `get`, `start-next`, `notify-next`, `<jobId>/get`,
//! `update` with `includeJobDocument`, and iot-jobs-data), every placeholder becomes a
//! query-string SigV4 URL of the object on the emulator's S3 stand-in, valid for
//! `expiresInSec` (60–3600, default 3600) of the emulator clock. The control plane's
//! GetJobDocument returns the document as stored, placeholders and all, as AWS's does
//! (AWS generates the URLs "when Jobs receives an MQTT request for the job document").

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::validate;
use crate::registry::job::Job;
use crate::registry::{IotError, IotResult};

const BLOCK: &str = "presignedUrlConfig";
const PREFIXES: [&str; 2] = [
    "${aws:iot:s3-presigned-url-v2:",
    "${aws:iot:s3-presigned-url:",
];
const DEFAULT_EXPIRES: i64 = 3600;
/// The access key the emulator signs its presigned URLs with (the stand-in checks no
/// signature; the URL is shaped as S3's own are).
const ACCESS_KEY: &str = "AKIAIOTJOBSEMULATOR1";
const SECRET_KEY: &str = "iot-emulator-jobs";

/// Checks the block: `roleArn` 20–2048 characters, `expiresInSec` 60–3600.
pub fn check(block: &Map<String, Value>) -> IotResult<()> {
    validate::members(BLOCK, block, &["roleArn", "expiresInSec"])?;
    if let Some(v) = block.get("roleArn") {
        validate::string_len(BLOCK, "roleArn", v, 20, 2048)?;
    }
    if let Some(v) = block.get("expiresInSec") {
        validate::int_in(BLOCK, "expiresInSec", v, 60, 3600)?;
    }
    Ok(())
}

/// `(bucket, key)` of an S3 object URL: `https://s3[.-]<region>.amazonaws.com/<bucket>/<key>`,
/// `https://s3.amazonaws.com/<bucket>/<key>` or `https://<bucket>.s3[.<region>].amazonaws.com/<key>`.
pub fn s3_object(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let (bucket, key) = if host.starts_with("s3.") || host.starts_with("s3-") {
        path.split_once('/')?
    } else {
        (host.split_once(".s3")?.0, path)
    };
    if bucket.is_empty() || key.is_empty() {
        return None;
    }
    let key = percent_encoding::percent_decode_str(key)
        .decode_utf8()
        .ok()?;
    Some((bucket.to_string(), key.into_owned()))
}

/// The placeholders of `document`: `(start, end, url)` byte ranges, in order.
fn placeholders(document: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some((at, prefix)) = PREFIXES
        .iter()
        .filter_map(|p| document[from..].find(p).map(|i| (from + i, *p)))
        .min_by_key(|(i, _)| *i)
    {
        let url_start = at + prefix.len();
        let Some(len) = document[url_start..].find('}') else {
            break;
        };
        found.push((
            at,
            url_start + len + 1,
            &document[url_start..url_start + len],
        ));
        from = url_start + len + 1;
    }
    found
}

/// CreateJob's check: every placeholder names an S3 object, and a document with one needs
/// a `presignedUrlConfig` with a `roleArn`. A choice (README "Jobs"): AWS documents that
/// such a job "must provide an IAM role" but not the error, so it is refused at CreateJob.
pub fn check_document(document: &str, config: &Map<String, Value>) -> IotResult<()> {
    let found = placeholders(document);
    if let Some((_, _, url)) = found.iter().find(|(_, _, url)| s3_object(url).is_none()) {
        return Err(IotError::invalid(format!(
            "The presigned URL placeholder {url} is not an S3 object URL"
        )));
    }
    let role = config.get(BLOCK).and_then(|b| b.get("roleArn"));
    if !found.is_empty() && role.is_none() {
        return Err(IotError::invalid(
            "The job document has a presigned URL placeholder; presignedUrlConfig with a roleArn is required",
        ));
    }
    Ok(())
}

/// Where and when the URLs are made.
pub struct Signer<'a> {
    /// The emulator's API URL (`http://host:port`), where the S3 stand-in answers.
    pub endpoint: &'a str,
    pub region: &'a str,
    pub now_ms: i64,
}

/// `job`'s document as a device gets it: every placeholder replaced.
pub fn for_device(job: &Job, signer: &Signer<'_>) -> String {
    let found = placeholders(&job.document);
    if found.is_empty() {
        return job.document.clone();
    }
    let expires = job
        .config
        .get(BLOCK)
        .and_then(|b| b.get("expiresInSec"))
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_EXPIRES);
    let mut out = String::with_capacity(job.document.len() * 2);
    let mut last = 0;
    for (start, end, url) in found {
        out.push_str(&job.document[last..start]);
        match s3_object(url) {
            Some((bucket, key)) => out.push_str(&signer.url(&bucket, &key, expires)),
            None => out.push_str(&job.document[start..end]),
        }
        last = end;
    }
    out.push_str(&job.document[last..]);
    out
}

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (SigV4).
const ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, ENCODE).to_string()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&key, data.as_bytes()).as_ref().to_vec()
}

impl Signer<'_> {
    /// A path-style SigV4 presigned GET of `bucket`/`key`.
    fn url(&self, bucket: &str, key: &str, expires: i64) -> String {
        let at = time::OffsetDateTime::from_unix_timestamp(self.now_ms.div_euclid(1000))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let amz_date = at.format(format).unwrap_or_default();
        let day = &amz_date[..8];
        let scope = format!("{day}/{}/s3/aws4_request", self.region);
        let path: Vec<String> = key.split('/').map(encode).collect();
        let path = format!("/{}/{}", encode(bucket), path.join("/"));
        let query = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={amz_date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host",
            encode(&format!("{ACCESS_KEY}/{scope}"))
        );
        let host = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint, |(_, h)| h);
        let canonical = format!("GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
        let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
        let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{digest}");
        let mut key = hmac(format!("AWS4{SECRET_KEY}").as_bytes(), day);
        for part in [self.region, "s3", "aws4_request"] {
            key = hmac(&key, part);
        }
        let signature = hex::encode(hmac(&key, &to_sign));
        format!(
            "{}{path}?{query}&X-Amz-Signature={signature}",
            self.endpoint
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_name_s3_objects_in_every_url_form() {
        let doc = r#"{"a":"${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/b/f w.bin}","b":"${aws:iot:s3-presigned-url-v2:https://b.s3.amazonaws.com/k}"}"#;
        let urls: Vec<_> = placeholders(doc).into_iter().map(|(_, _, u)| u).collect();
        assert_eq!(urls.len(), 2);
        assert_eq!(s3_object(urls[0]), Some(("b".into(), "f w.bin".into())));
        assert_eq!(s3_object(urls[1]), Some(("b".into(), "k".into())));
        assert_eq!(s3_object("https://example.com/x"), None);
    }
}
