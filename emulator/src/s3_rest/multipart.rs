//! Multipart uploads (create, upload part, complete, abort) and DeleteObjects: the
//! operations `aws s3 cp` of a large file and `aws s3 rm --recursive` use.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use quick_xml::events::BytesText;
use quick_xml::Writer;

use super::target::Target;
use super::{blocking, body, objects, xml, xml_reply};
use crate::s3::{S3Error, S3};

/// The largest CompleteMultipartUpload or DeleteObjects body read (10,000 parts' worth).
const MAX_XML: usize = 4 * 1024 * 1024;

/// The multipart operation a request on an object names by its query, if any.
pub(super) fn is_multipart(method: &Method, target: &Target) -> bool {
    let q = &target.query;
    matches!(
        (
            method,
            q.contains_key("uploads"),
            q.contains_key("uploadId")
        ),
        (&Method::POST, true, _)
            | (&Method::POST, _, true)
            | (&Method::PUT, _, true)
            | (&Method::DELETE, _, true)
    )
}

pub(super) async fn serve(
    s3: &S3,
    parts: &Parts,
    target: &Target,
    bucket: &str,
    key: &str,
    body: Body,
) -> Result<Response, S3Error> {
    let (s3, b, k) = (s3.clone(), bucket.to_string(), key.to_string());
    let id = target.param("uploadId").unwrap_or("").to_string();
    match parts.method {
        Method::POST if target.query.contains_key("uploads") => {
            let options = objects::put_options(&parts.headers);
            let id = blocking(move || s3.create_upload(&b, &k, options)).await?;
            Ok(xml_reply(document(
                "InitiateMultipartUploadResult",
                &[("Bucket", bucket), ("Key", key), ("UploadId", &id)],
            )))
        }
        Method::PUT => {
            let number = part_number(target.param("partNumber"))?;
            let payload = body::read(&parts.headers, body).await?;
            let etag = blocking(move || s3.upload_part(&b, &k, &id, number, payload)).await?;
            let mut response = ().into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("\"{etag}\"")) {
                response.headers_mut().insert(header::ETAG, value);
            }
            Ok(response)
        }
        Method::POST => {
            let bytes = read_xml(body).await?;
            let chosen = chosen_parts(&bytes)?;
            let meta = blocking(move || s3.complete_upload(&b, &k, &id, &chosen)).await?;
            let etag = format!("\"{}\"", meta.etag);
            let location = format!("/{bucket}/{key}");
            let fields = [
                ("Location", location.as_str()),
                ("Bucket", bucket),
                ("Key", key),
                ("ETag", &etag),
            ];
            Ok(xml_reply(document(
                "CompleteMultipartUploadResult",
                &fields,
            )))
        }
        _ => {
            blocking(move || s3.abort_upload(&b, &k, &id)).await?;
            Ok(axum::http::StatusCode::NO_CONTENT.into_response())
        }
    }
}

fn part_number(given: Option<&str>) -> Result<u32, S3Error> {
    let invalid = || {
        S3Error::InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive".into(),
        )
    };
    given.ok_or_else(invalid)?.parse().map_err(|_| invalid())
}

async fn read_xml(body: Body) -> Result<bytes::Bytes, S3Error> {
    axum::body::to_bytes(body, MAX_XML)
        .await
        .map_err(|_| S3Error::InvalidRequest("The XML body is too large".into()))
}

/// `(PartNumber, ETag)` of each `<Part>` of a CompleteMultipartUpload body.
fn chosen_parts(body: &[u8]) -> Result<Vec<(u32, String)>, S3Error> {
    let (groups, _) = xml::read_groups(body, "Part")?;
    groups
        .iter()
        .map(|g| {
            let number = part_number(g.get("PartNumber").map(String::as_str))?;
            Ok((number, g.get("ETag").cloned().unwrap_or_default()))
        })
        .collect()
}

/// DeleteObjects (`POST /bucket?delete`): each key deleted, missing ones included.
pub(super) async fn delete_objects(s3: &S3, bucket: &str, body: Body) -> Result<Response, S3Error> {
    let bytes = read_xml(body).await?;
    let (groups, leaves) = xml::read_groups(&bytes, "Object")?;
    let keys: Vec<String> = groups
        .iter()
        .filter_map(|g| g.get("Key").cloned())
        .collect();
    let quiet = leaves
        .get("Quiet")
        .is_some_and(|q| q.eq_ignore_ascii_case("true"));
    let (s3, b) = (s3.clone(), bucket.to_string());
    let results = blocking(move || {
        Ok(keys
            .iter()
            .map(|k| (k.clone(), s3.delete_object(&b, k)))
            .collect::<Vec<_>>())
    })
    .await?;
    let mut w = Writer::new(Vec::new());
    let _ = w
        .create_element("DeleteResult")
        .with_attribute(("xmlns", xml::NAMESPACE))
        .write_inner_content(|w| {
            for (key, result) in &results {
                match result {
                    Ok(()) if quiet => {}
                    Ok(()) => {
                        w.create_element("Deleted")
                            .write_inner_content(|w| leaf(w, "Key", key))?;
                    }
                    Err(e) => {
                        let code = e.code();
                        w.create_element("Error").write_inner_content(|w| {
                            leaf(w, "Key", key)?;
                            leaf(w, "Code", code)?;
                            leaf(w, "Message", &e.to_string())
                        })?;
                    }
                }
            }
            Ok(())
        });
    Ok(xml_reply(w.into_inner()))
}

fn leaf(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

fn document(root: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let _ = w
        .create_element(root)
        .with_attribute(("xmlns", xml::NAMESPACE))
        .write_inner_content(|w| {
            for (name, text) in fields {
                leaf(w, name, text)?;
            }
            Ok(())
        });
    w.into_inner()
}
