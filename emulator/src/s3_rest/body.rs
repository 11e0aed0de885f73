//! A PutObject body as S3 reads it: plain or `aws-chunked` (with or without chunk
//! signatures and trailing checksums), checked against Content-MD5,
//! `x-amz-content-sha256` and `x-amz-checksum-*` before anything is stored.

use axum::body::Body;
use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::s3::S3Error;

/// The largest body the stand-in takes in one PutObject (emulator choice: S3 allows 5 GB,
/// but the stand-in holds a body in memory while it checks it).
pub(super) const MAX_BODY: usize = 512 * 1024 * 1024;

/// Reads, decodes and checks the body of a PutObject.
pub(super) async fn read(headers: &HeaderMap, body: Body) -> Result<Bytes, S3Error> {
    let raw = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        S3Error::InvalidArgument(format!("the stand-in takes bodies up to {MAX_BODY} bytes"))
    })?;
    let content_sha = header(headers, "x-amz-content-sha256").unwrap_or("");
    let chunked = content_sha.starts_with("STREAMING-")
        || header(headers, "content-encoding").is_some_and(|e| e.contains("aws-chunked"));
    let (payload, trailers) = if chunked {
        decode_chunked(&raw)?
    } else {
        (raw.clone(), Vec::new())
    };
    if !chunked && content_sha.len() == 64 && hex::encode(Sha256::digest(&payload)) != content_sha {
        return Err(S3Error::XAmzContentSHA256Mismatch);
    }
    check_md5(headers, &payload)?;
    for (name, value) in checksum_fields(headers, &trailers) {
        check_checksum(&name, &value, &payload)?;
    }
    Ok(payload)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check_md5(headers: &HeaderMap, payload: &[u8]) -> Result<(), S3Error> {
    let Some(given) = header(headers, "content-md5") else {
        return Ok(());
    };
    let digest = B64
        .decode(given.trim())
        .map_err(|_| S3Error::InvalidDigest)?;
    if digest.len() != 16 {
        return Err(S3Error::InvalidDigest);
    }
    if digest != Md5::digest(payload).as_slice() {
        let message = "The Content-MD5 you specified did not match what we received.";
        return Err(S3Error::BadDigest(message.to_string()));
    }
    Ok(())
}

/// Every `x-amz-checksum-<algorithm>` in the headers and the chunked trailers.
fn checksum_fields(headers: &HeaderMap, trailers: &[(String, String)]) -> Vec<(String, String)> {
    let from_headers = headers.iter().filter_map(|(name, value)| {
        let algorithm = name.as_str().strip_prefix("x-amz-checksum-")?;
        (algorithm != "type" && algorithm != "algorithm").then(|| {
            (
                algorithm.to_string(),
                value.to_str().unwrap_or("").to_string(),
            )
        })
    });
    let from_trailers = trailers.iter().filter_map(|(name, value)| {
        let algorithm = name.strip_prefix("x-amz-checksum-")?;
        Some((algorithm.to_string(), value.clone()))
    });
    from_headers.chain(from_trailers).collect()
}

fn check_checksum(algorithm: &str, given: &str, payload: &[u8]) -> Result<(), S3Error> {
    let actual = match algorithm {
        "crc32" => B64.encode(crc32fast::hash(payload).to_be_bytes()),
        "sha256" => B64.encode(Sha256::digest(payload)),
        other => {
            return Err(S3Error::NotImplemented(format!(
                "the {} checksum algorithm (use CRC32 or SHA256)",
                other.to_uppercase()
            )))
        }
    };
    if actual != given.trim() {
        let name = algorithm.to_uppercase();
        let message = format!("The {name} you specified did not match the calculated checksum.");
        return Err(S3Error::BadDigest(message));
    }
    Ok(())
}

/// Decodes `<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n`.
/// Chunk signatures are not checked: the emulator checks no signature anywhere.
fn decode_chunked(raw: &[u8]) -> Result<(Bytes, Vec<(String, String)>), S3Error> {
    let bad = |what: &str| S3Error::InvalidRequest(format!("Malformed aws-chunked body: {what}"));
    let mut payload = Vec::with_capacity(raw.len());
    let mut rest = raw;
    loop {
        let line_end = find_crlf(rest).ok_or_else(|| bad("chunk header"))?;
        let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| bad("chunk header"))?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("chunk size"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return Err(bad("chunk data"));
        }
        payload.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    let trailers = String::from_utf8_lossy(rest)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((Bytes::from(payload), trailers))
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_bodies_decode_with_their_trailers() {
        let raw = b"5;chunk-signature=ab\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let (payload, trailers) = decode_chunked(raw).unwrap();
        assert_eq!(&payload[..], b"hello world");
        assert_eq!(
            trailers,
            [("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]
        );
        assert!(check_checksum("crc32", "DUoRhQ==", &payload).is_ok());
        assert!(matches!(
            check_checksum("crc32", "AAAAAA==", &payload),
            Err(S3Error::BadDigest(_))
        ));
        assert!(decode_chunked(b"zz\r\n").is_err());
        assert!(decode_chunked(b"5\r\nhi\r\n").is_err());
    }
}
