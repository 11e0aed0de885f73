//! The answer to a request for a service the emulator lacks, in that service's own
//! protocol, so the aws CLI and boto3 print a readable `NotImplemented` error instead of
//! "Unable to parse response". Query services are answered by [`crate::query`]; this
//! covers the others. A front end for one of these services replaces its default here
//! by taking the service in [`super::dispatch`].

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Services whose protocol is rest-xml. botocore reads S3's `<Error>` shape for all of
/// them.
const REST_XML: &[&str] = &["s3", "s3control", "route53", "cloudfront"];

/// The wire protocols of AWS's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Form-encoded `Action=` requests, XML replies (STS, CloudFormation, IAM, SNS, EC2):
    /// [`crate::query`] answers them.
    Query,
    /// S3 and the other rest-xml services.
    RestXml,
    /// Lambda, IoT and the other rest-json services.
    RestJson,
    /// awsJson 1.0 / 1.1 (`X-Amz-Target`): logs, dynamodb, sqs…
    AwsJson,
    /// Smithy RPC v2 CBOR (`smithy-protocol: rpc-v2-cbor`): CloudWatch.
    RpcV2Cbor,
}

/// The protocol of a request signed for `service`, from its headers, body type and name.
pub fn protocol_of(service: &str, request: &Request) -> Protocol {
    let headers = request.headers();
    let has = |name: &str| headers.contains_key(name);
    let cbor = headers
        .get("smithy-protocol")
        .is_some_and(|v| v.as_bytes() == b"rpc-v2-cbor");
    if cbor {
        Protocol::RpcV2Cbor
    } else if has("x-amz-target") {
        Protocol::AwsJson
    } else if REST_XML.contains(&service) {
        Protocol::RestXml
    } else if crate::query::looks_like_query(request) {
        Protocol::Query
    } else {
        Protocol::RestJson
    }
}

/// The operation a request names, as well as the protocol lets us tell without a model:
/// the `X-Amz-Target` operation, the CBOR path's operation, or the request line.
fn operation(protocol: Protocol, request: &Request) -> String {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    match (protocol, target) {
        (Protocol::AwsJson, Some(t)) => t.rsplit('.').next().unwrap_or(t).to_string(),
        (Protocol::RpcV2Cbor, _) => request
            .uri()
            .path()
            .rsplit_once("/operation/")
            .map_or_else(|| request_line(request), |(_, op)| op.to_string()),
        _ => request_line(request),
    }
}

fn request_line(request: &Request) -> String {
    format!("{} {}", request.method(), request.uri().path())
}

/// A 501 `NotImplemented` for `service` in `protocol` (501: botocore does not retry it).
/// Query requests are [`crate::query`]'s to answer, in its own error mapping.
pub fn not_implemented(protocol: Protocol, service: &str, request: &Request) -> Response {
    let message = format!(
        "iot-emulator does not implement {service} {}",
        operation(protocol, request)
    );
    let status = StatusCode::NOT_IMPLEMENTED;
    match protocol {
        // The dispatcher hands query requests to the query front end, which names the
        // action; this shape is only for completeness.
        Protocol::Query => crate::query::QueryError::NotImplemented {
            service: service.to_string(),
            action: operation(protocol, request),
        }
        .respond(service, None, ""),
        Protocol::RestXml => s3_error(status, &message, request.method()),
        Protocol::RestJson => super::error::error_response(
            status,
            "NotImplementedException",
            json!({ "message": message }),
        ),
        Protocol::AwsJson => {
            let body = json!({ "__type": "NotImplementedException", "message": message });
            typed(
                status,
                body.to_string().into_bytes(),
                "application/x-amz-json-1.1",
            )
        }
        Protocol::RpcV2Cbor => cbor_error(status, &message),
    }
}

/// S3's `<Error><Code>NotImplemented</Code>…` (no body for HEAD, as S3 does).
fn s3_error(status: StatusCode, message: &str, method: &Method) -> Response {
    if method == Method::HEAD {
        return status.into_response();
    }
    let mut w = quick_xml::Writer::new(Vec::new());
    let _ = w.create_element("Error").write_inner_content(|w| {
        for (name, text) in [("Code", "NotImplemented"), ("Message", message)] {
            w.create_element(name)
                .write_text_content(quick_xml::events::BytesText::new(text))?;
        }
        Ok(())
    });
    typed(status, w.into_inner(), "application/xml")
}

/// `{"__type": "NotImplementedException", "message": …}` in CBOR.
fn cbor_error(status: StatusCode, message: &str) -> Response {
    let value = ciborium::Value::Map(vec![
        ("__type".into(), "NotImplementedException".into()),
        ("message".into(), message.into()),
    ]);
    let mut body = Vec::new();
    // Encoding into a Vec cannot fail.
    let _ = ciborium::into_writer(&value, &mut body);
    let mut response = typed(status, body, "application/cbor");
    response
        .headers_mut()
        .insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    response
}

fn typed(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn the_protocol_comes_from_the_headers_then_the_service() {
        let form = (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        let cases = [
            ("sns", request("POST", "/", &[form]), Protocol::Query),
            (
                "ec2",
                request("GET", "/?Action=DescribeVpcs", &[]),
                Protocol::Query,
            ),
            ("s3", request("PUT", "/b/k", &[form]), Protocol::RestXml),
            (
                "lambda",
                request("GET", "/2015-03-31/functions", &[]),
                Protocol::RestJson,
            ),
            (
                "logs",
                request(
                    "POST",
                    "/",
                    &[("x-amz-target", "Logs_20140328.DescribeLogGroups")],
                ),
                Protocol::AwsJson,
            ),
            (
                "monitoring",
                request(
                    "POST",
                    "/service/GraniteServiceVersion20100801/operation/ListMetrics",
                    &[("smithy-protocol", "rpc-v2-cbor")],
                ),
                Protocol::RpcV2Cbor,
            ),
        ];
        for (service, request, protocol) in cases {
            assert_eq!(protocol_of(service, &request), protocol, "{service}");
        }
    }

    #[test]
    fn the_operation_is_named_as_the_protocol_allows() {
        let target = [("x-amz-target", "DynamoDB_20120810.ListTables")];
        let json = request("POST", "/", &target);
        assert_eq!(operation(Protocol::AwsJson, &json), "ListTables");
        let cbor = request("POST", "/service/S/operation/ListMetrics", &[]);
        assert_eq!(operation(Protocol::RpcV2Cbor, &cbor), "ListMetrics");
        let rest = request("GET", "/2015-03-31/functions", &[]);
        assert_eq!(
            operation(Protocol::RestJson, &rest),
            "GET /2015-03-31/functions"
        );
    }
}
