//! S3's XML bodies: ListAllMyBucketsResult, ListBucketResult (v1 and v2),
//! LocationConstraint and Error, plus the timestamp formats S3 uses.

use std::collections::BTreeMap;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use quick_xml::events::BytesText;
use quick_xml::Writer;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::s3::{BucketInfo, ListQuery, Listing, ObjectMeta, S3Error};

pub(super) const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// What `encoding-type=url` escapes: everything but unreserved characters and `/`.
const URL_ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

type Out = Writer<Vec<u8>>;

fn text(w: &mut Out, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn document(root: &str, build: impl Fn(&mut Out) -> std::io::Result<()>) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w.write_event(quick_xml::events::Event::Decl(
        quick_xml::events::BytesDecl::new("1.0", Some("UTF-8"), None),
    ));
    let _ = w
        .create_element(root)
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(build);
    w.into_inner()
}

/// `2026-12-03T12:00:00.000Z`, as S3 writes times in XML.
pub(super) fn iso8601(ms: i64) -> String {
    let at = at(ms);
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(&format).unwrap_or_default()
}

/// `Thu, 03 Dec 2026 12:00:00 GMT`, for `Last-Modified`.
pub(super) fn http_date(ms: i64) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    at(ms).format(&format).unwrap_or_default()
}

fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(super) fn list_buckets(buckets: &[BucketInfo], account_id: &str) -> Vec<u8> {
    document("ListAllMyBucketsResult", |w| {
        w.create_element("Owner").write_inner_content(|w| {
            text(w, "ID", account_id)?;
            text(w, "DisplayName", "iot-emulator")
        })?;
        w.create_element("Buckets").write_inner_content(|w| {
            for b in buckets {
                w.create_element("Bucket").write_inner_content(|w| {
                    text(w, "Name", &b.name)?;
                    text(w, "CreationDate", &iso8601(b.created_ms))
                })?;
            }
            Ok(())
        })?;
        Ok(())
    })
}

/// How a listing reply is shaped: which request fields it echoes.
pub(super) struct ListEcho<'a> {
    pub(super) bucket: &'a str,
    pub(super) query: &'a ListQuery,
    pub(super) url_encoded: bool,
    /// v2: `Some((continuation token, start after))`; v1: `None`.
    pub(super) v2: Option<(Option<&'a str>, Option<&'a str>)>,
    /// v1's Marker.
    pub(super) marker: Option<&'a str>,
    /// v2's NextContinuationToken, made by the caller from `Listing::last`.
    pub(super) next_token: Option<String>,
}

pub(super) fn list_objects(echo: &ListEcho<'_>, page: &Listing) -> Vec<u8> {
    let enc = |s: &str| match echo.url_encoded {
        true => utf8_percent_encode(s, URL_ENCODED).to_string(),
        false => s.to_string(),
    };
    document("ListBucketResult", |w| {
        text(w, "Name", echo.bucket)?;
        text(w, "Prefix", &enc(&echo.query.prefix))?;
        if !echo.query.delimiter.is_empty() {
            text(w, "Delimiter", &enc(&echo.query.delimiter))?;
        }
        text(w, "MaxKeys", &echo.query.max_keys.to_string())?;
        if echo.url_encoded {
            text(w, "EncodingType", "url")?;
        }
        text(
            w,
            "IsTruncated",
            if page.is_truncated { "true" } else { "false" },
        )?;
        match echo.v2 {
            Some((token, start_after)) => {
                let count = page.contents.len() + page.common_prefixes.len();
                text(w, "KeyCount", &count.to_string())?;
                if let Some(token) = token {
                    text(w, "ContinuationToken", token)?;
                }
                if let Some(next) = &echo.next_token {
                    text(w, "NextContinuationToken", next)?;
                }
                if let Some(start_after) = start_after {
                    text(w, "StartAfter", &enc(start_after))?;
                }
            }
            None => {
                text(w, "Marker", &enc(echo.marker.unwrap_or("")))?;
                if let Some(last) = page.last.as_deref().filter(|_| page.is_truncated) {
                    text(w, "NextMarker", &enc(last))?;
                }
            }
        }
        for meta in &page.contents {
            contents(w, meta, &enc)?;
        }
        for prefix in &page.common_prefixes {
            w.create_element("CommonPrefixes")
                .write_inner_content(|w| text(w, "Prefix", &enc(prefix)))?;
        }
        Ok(())
    })
}

fn contents(w: &mut Out, meta: &ObjectMeta, enc: &dyn Fn(&str) -> String) -> std::io::Result<()> {
    w.create_element("Contents").write_inner_content(|w| {
        text(w, "Key", &enc(&meta.key))?;
        text(w, "LastModified", &iso8601(meta.last_modified_ms))?;
        text(w, "ETag", &format!("\"{}\"", meta.etag))?;
        text(w, "Size", &meta.size.to_string())?;
        text(w, "StorageClass", "STANDARD")
    })?;
    Ok(())
}

/// GetBucketLocation: empty for us-east-1, as S3 answers.
pub(super) fn location(region: &str) -> Vec<u8> {
    let value = if region == "us-east-1" { "" } else { region };
    document("LocationConstraint", |w| {
        w.write_event(quick_xml::events::Event::Text(BytesText::new(value)))?;
        Ok(())
    })
}

/// `<Error><Code/><Message/>[<BucketName/>|<Key/>]<RequestId/><HostId/></Error>`.
pub(super) fn error(
    code: &str,
    message: &str,
    resource: Option<(&str, &str)>,
    request_id: &str,
) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let _ = w.create_element("Error").write_inner_content(|w| {
        text(w, "Code", code)?;
        text(w, "Message", message)?;
        if let Some((name, value)) = resource {
            text(w, name, value)?;
        }
        text(w, "RequestId", request_id)?;
        text(w, "HostId", request_id)
    });
    w.into_inner()
}

/// The `LocationConstraint` of a CreateBucket body, if it has one.
pub(super) fn location_constraint(body: &[u8]) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut inside = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == b"LocationConstraint" => inside = true,
            Event::Text(t) if inside => {
                let value = t.decode().ok()?.trim().to_string();
                return (!value.is_empty()).then_some(value);
            }
            Event::End(_) if inside => return None,
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

/// The elements named `group` anywhere in `body`, each as its children's texts by name
/// (`<Part><PartNumber>1</PartNumber><ETag>…</ETag></Part>` gives one map), and the
/// texts of every other leaf element by name.
pub(super) type Groups = (Vec<BTreeMap<String, String>>, BTreeMap<String, String>);

pub(super) fn read_groups(body: &[u8], group: &str) -> Result<Groups, S3Error> {
    use quick_xml::events::Event;
    let malformed = || {
        let message = "The XML you provided was not well-formed or did not validate against our published schema";
        S3Error::MalformedXML(message.to_string())
    };
    let mut reader = quick_xml::Reader::from_reader(body);
    let (mut groups, mut leaves) = (Vec::new(), BTreeMap::new());
    let mut current: Option<BTreeMap<String, String>> = None;
    let mut element = String::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|_| malformed())? {
            Event::Start(e) => {
                element = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if element == group {
                    current = Some(BTreeMap::new());
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|_| malformed())?;
                let target = current.as_mut().unwrap_or(&mut leaves);
                target.entry(element.clone()).or_default().push_str(&text);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|_| malformed())? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|_| malformed())?;
                        let entity = quick_xml::escape::resolve_predefined_entity(&name);
                        entity.ok_or_else(malformed)?.to_string()
                    }
                };
                let target = current.as_mut().unwrap_or(&mut leaves);
                target
                    .entry(element.clone())
                    .or_default()
                    .push_str(&resolved);
            }
            Event::End(e) if e.local_name().as_ref() == group.as_bytes() => {
                groups.extend(current.take());
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok((groups, leaves))
}
