//! Which bucket and key a request names, path-style (`/bucket/key`) or virtual-hosted
//! (`bucket.localhost`, `bucket.s3.<region>.amazonaws.com`), and its query parameters.

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap, Uri};
use percent_encoding::percent_decode_str;

/// The resource of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub(super) bucket: Option<String>,
    pub(super) key: Option<String>,
    /// Query parameters, decoded; a parameter without `=` has an empty value.
    pub(super) query: BTreeMap<String, String>,
}

/// Query parameters that only tell an operation's name or shape its reply, never select
/// a sub-resource: botocore adds `x-id` to some operations' URIs. The `X-Amz-*`
/// parameters of a presigned URL are neutral too.
const NEUTRAL: &[&str] = &["x-id"];

impl Target {
    pub(super) fn read(uri: &Uri, headers: &HeaderMap) -> Target {
        let path = decode(uri.path());
        let (bucket, key) = match hosted_bucket(headers) {
            Some(bucket) => (Some(bucket), non_empty(path.trim_start_matches('/'))),
            None => {
                let rest = path.strip_prefix('/').unwrap_or(&path);
                match rest.split_once('/') {
                    Some((bucket, key)) => (non_empty(bucket), non_empty(key)),
                    None => (non_empty(rest), None),
                }
            }
        };
        let query = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Target { bucket, key, query }
    }

    /// The first query parameter not in `allowed` (a sub-resource the caller asked for).
    pub(super) fn unexpected(&self, allowed: &[&str]) -> Option<&str> {
        self.query.keys().map(String::as_str).find(|k| {
            !allowed.contains(k)
                && !NEUTRAL.contains(k)
                && !super::presigned::AUTH_PARAMS.contains(k)
        })
    }

    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

fn decode(path: &str) -> String {
    percent_decode_str(path).decode_utf8_lossy().into_owned()
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The bucket named by a virtual-hosted `Host`, if the host is one.
fn hosted_bucket(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    if let Some(bucket) = name.strip_suffix(".localhost") {
        return non_empty(bucket);
    }
    let (bucket, _) = name.split_once(".s3.")?;
    non_empty(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str, host: &str) -> Target {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, host.parse().unwrap());
        Target::read(&uri.parse().unwrap(), &headers)
    }

    #[test]
    fn path_style_and_virtual_hosted_requests_name_the_same_object() {
        let path = target("/b/dir/a%20b.txt?x-id=GetObject", "127.0.0.1:4566");
        assert_eq!(path.bucket.as_deref(), Some("b"));
        assert_eq!(path.key.as_deref(), Some("dir/a b.txt"));
        assert_eq!(path.unexpected(&[]), None);
        let hosted = target("/dir/a%20b.txt", "b.localhost:4566");
        assert_eq!((hosted.bucket, hosted.key), (path.bucket, path.key));
        let aws = target("/k", "b.s3.us-east-1.amazonaws.com");
        assert_eq!(aws.bucket.as_deref(), Some("b"));
        let root = target("/", "127.0.0.1:1");
        assert_eq!((root.bucket, root.key), (None, None));
        let sub = target("/b?versioning", "127.0.0.1:1");
        assert_eq!(sub.unexpected(&["prefix"]), Some("versioning"));
    }
}
