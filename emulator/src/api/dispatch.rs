//! Which service a request on the shared API port is for: the SigV4 credential scope in
//! `Authorization` (or `X-Amz-Credential`) names it; unsigned requests go by path.

use axum::extract::Request;
use axum::Router;
use tower_service::Service;

/// Signing names of iot-data: botocore signs `iotdata`; AWS documents `iotdevicegateway`
/// for DeleteConnection.
const DATA_SCOPES: &[&str] = &["iotdata", "iotdevicegateway"];

/// Path prefixes of iot-data operations (none overlaps a control-plane route).
const DATA_PATHS: &[&str] = &[
    "/topics/",
    "/retainedMessage",
    "/connections/",
    "/api/things/shadow/",
];

/// One router that hands each request to `control` or `data`.
pub fn by_service(control: Router, data: Router) -> Router {
    Router::new().fallback(move |request: Request| {
        let mut target = if is_data_plane(&request) {
            data.clone()
        } else {
            control.clone()
        };
        async move {
            match target.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    })
}

/// The service a request was signed for, or its path when unsigned.
fn is_data_plane(request: &Request) -> bool {
    match signing_service(request) {
        Some(service) if service == "iot" => false,
        Some(service) if DATA_SCOPES.contains(&service.as_str()) => true,
        _ => is_data_path(request.uri().path()),
    }
}

fn is_data_path(path: &str) -> bool {
    DATA_PATHS.iter().any(|p| path.starts_with(p))
        || (path.starts_with("/things/") && path.ends_with("/shadow"))
}

/// The `<service>` of `Credential=<key>/<date>/<region>/<service>/aws4_request`.
fn signing_service(request: &Request) -> Option<String> {
    let from_header = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split_once("Credential=")
                .map(|(_, rest)| rest.to_string())
        });
    let from_query = || {
        let query = request.uri().query()?;
        let value = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("X-Amz-Credential="))?;
        percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .ok()
            .map(|v| v.into_owned())
    };
    let credential = from_header.or_else(from_query)?;
    credential.split('/').nth(3).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(path: &str, auth: Option<&str>) -> Request {
        let mut builder = Request::builder().uri(path);
        if let Some(auth) = auth {
            builder = builder.header("authorization", auth);
        }
        builder.body(Body::empty()).expect("request")
    }

    const DATA: &str = "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/iotdata/aws4_request, SignedHeaders=host, Signature=00";
    const CONTROL: &str = "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/iot/aws4_request, SignedHeaders=host, Signature=00";

    #[test]
    fn the_credential_scope_decides_then_the_path() {
        assert!(is_data_plane(&request("/topics/a", Some(DATA))));
        assert!(is_data_plane(&request("/things/t/shadow", Some(DATA))));
        assert!(!is_data_plane(&request("/things/t", Some(CONTROL))));
        assert!(!is_data_plane(&request("/topics/a", Some(CONTROL))));
        assert!(is_data_plane(&request("/topics/a%2Fb", None)));
        assert!(is_data_plane(&request("/retainedMessage", None)));
        assert!(!is_data_plane(&request("/things/t", None)));
        let presigned = "/connections/c?X-Amz-Credential=AKID%2F20261123%2Fus-east-1%2Fiotdevicegateway%2Faws4_request";
        assert!(is_data_plane(&request(presigned, Some("x"))));
    }
}
