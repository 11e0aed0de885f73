//! Which region and service a request on the shared API port is for: the SigV4 credential
//! scope in `Authorization` (or `X-Amz-Credential`) names both; unsigned requests are for
//! `--region` and go by path to iot or iot-data. Each region has its own front ends (built
//! on its first request). Query-protocol services go to [`crate::query`]; every other
//! service the emulator lacks gets [`super::unsupported`]'s error in its own protocol.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use serde_json::json;
use tower_service::Service;

use super::unsupported::{self, Protocol};
use crate::query::QueryFront;
use crate::regions::{RegionError, Regions};
use crate::s3_rest::S3Front;
use crate::state::Emulator;

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

/// Where one request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Iot,
    IotData,
    /// iot-jobs-data: its routes clash with the control plane's, so only its signing
    /// service reaches it (shadow-jobs-rules §0.5).
    JobsData,
    Lambda,
    Logs,
    /// Signed for another service: its name.
    Other(String),
}

/// The front ends that share the API port.
#[derive(Clone)]
pub struct Fronts {
    pub control: Router,
    pub data: Router,
    pub jobs_data: Router,
    pub query: QueryFront,
    pub s3: S3Front,
    pub lambda: Router,
    pub logs: Router,
}

/// Every region's front ends, each built on the region's first request.
#[derive(Clone)]
struct ByRegion {
    regions: Regions,
    build: fn(Emulator) -> Fronts,
    open: Arc<Mutex<HashMap<String, Fronts>>>,
}

/// One router that hands each request to the front end of its region and service;
/// `build` makes a region's front ends.
pub fn by_region(regions: Regions, build: fn(Emulator) -> Fronts) -> Router {
    let by_region = ByRegion {
        regions,
        build,
        open: Default::default(),
    };
    Router::new().fallback(move |request: Request| {
        let by_region = by_region.clone();
        async move { by_region.serve(request).await }
    })
}

impl ByRegion {
    async fn serve(self, request: Request) -> Response {
        let scope = credential_scope(&request);
        let region = scope.as_ref().map(|(region, _)| region.as_str());
        match self.fronts(region) {
            Ok(fronts) => fronts.serve(request).await,
            // Services the emulator lacks answer NotImplemented whatever the region.
            Err(RegionError::Invalid(_))
                if !matches!(
                    route(&request),
                    Route::Iot | Route::IotData | Route::JobsData
                ) =>
            {
                match self.fronts(None) {
                    Ok(fronts) => fronts.serve(request).await,
                    Err(e) => region_error(&e),
                }
            }
            Err(e) => region_error(&e),
        }
    }

    /// The front ends of `region` (`None`: `--region`).
    fn fronts(&self, region: Option<&str>) -> Result<Fronts, RegionError> {
        let region = region.unwrap_or(self.regions.default_region());
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(fronts) = open.get(region) {
            return Ok(fronts.clone());
        }
        let fronts = (self.build)(self.regions.get(region)?);
        open.insert(region.to_string(), fronts.clone());
        Ok(fronts)
    }
}

/// A request signed for a region that is none: AWS's signature check refuses it, as
/// `InvalidSignatureException` (403) "Credential should be scoped to a valid region".
fn region_error(error: &RegionError) -> Response {
    let (status, name) = match error {
        RegionError::Invalid(_) => (StatusCode::FORBIDDEN, "InvalidSignatureException"),
        RegionError::Unavailable(..) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailureException",
        ),
    };
    super::error::error_response(status, name, json!({ "message": error.to_string() }))
}

impl Fronts {
    async fn serve(self, request: Request) -> Response {
        let mut target = match route(&request) {
            Route::Iot => self.control,
            Route::IotData => self.data,
            Route::JobsData => self.jobs_data,
            Route::Other(service) if service == "s3" => return self.s3.handle(request).await,
            Route::Lambda => self.lambda,
            Route::Logs => self.logs,
            Route::Other(service) => {
                return match unsupported::protocol_of(&service, &request) {
                    Protocol::Query => self.query.handle(&service, request).await,
                    other => unsupported::not_implemented(other, &service, &request),
                };
            }
        };
        match target.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// The signing service of a request's SigV4 credential scope, if it is signed.
pub(super) fn signed_service(request: &Request) -> Option<String> {
    credential_scope(request).map(|(_, service)| service)
}

/// The service a request was signed for, or its path when unsigned.
fn route(request: &Request) -> Route {
    match signed_service(request) {
        Some(service) if service == "iot" => Route::Iot,
        Some(service) if DATA_SCOPES.contains(&service.as_str()) => Route::IotData,
        Some(service) if service == "iot-jobs-data" => Route::JobsData,
        Some(service) if service == "lambda" => Route::Lambda,
        Some(service) if service == "logs" => Route::Logs,
        Some(service) => Route::Other(service),
        None if is_sigv2_presigned(request) => Route::Other("s3".into()),
        None if is_data_path(request.uri().path()) => Route::IotData,
        None => Route::Iot,
    }
}

/// A SigV2 query-string presigned URL (`AWSAccessKeyId`, `Signature`, `Expires`), which
/// only S3 still takes (boto3's `generate_presigned_url` for s3 makes these by default).
fn is_sigv2_presigned(request: &Request) -> bool {
    let query = request.uri().query().unwrap_or("");
    let has = |name: &str| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    };
    has("AWSAccessKeyId") && has("Signature")
}

fn is_data_path(path: &str) -> bool {
    DATA_PATHS.iter().any(|p| path.starts_with(p))
        || (path.starts_with("/things/") && path.ends_with("/shadow"))
}

/// The `(<region>, <service>)` of `Credential=<key>/<date>/<region>/<service>/aws4_request`.
fn credential_scope(request: &Request) -> Option<(String, String)> {
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
    let mut parts = credential.split('/').skip(2);
    let region = parts.next()?.to_string();
    let service = parts.next()?.split([',', ' ']).next()?.to_string();
    Some((region, service))
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

    fn signed(service: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00")
    }

    #[test]
    fn the_credential_scope_decides_then_the_path() {
        let (data, control) = (signed("iotdata"), signed("iot"));
        assert_eq!(route(&request("/topics/a", Some(&data))), Route::IotData);
        assert_eq!(
            route(&request("/things/t/shadow", Some(&data))),
            Route::IotData
        );
        assert_eq!(route(&request("/things/t", Some(&control))), Route::Iot);
        assert_eq!(route(&request("/topics/a", Some(&control))), Route::Iot);
        assert_eq!(route(&request("/topics/a%2Fb", None)), Route::IotData);
        assert_eq!(route(&request("/retainedMessage", None)), Route::IotData);
        assert_eq!(route(&request("/things/t", None)), Route::Iot);
        let presigned = "/connections/c?X-Amz-Credential=AKID%2F20261123%2Fus-east-1%2Fiotdevicegateway%2Faws4_request";
        assert_eq!(route(&request(presigned, Some("x"))), Route::IotData);
        let v2 = "/b/k?AWSAccessKeyId=AKID&Signature=c2ln&Expires=1796410239";
        assert_eq!(route(&request(v2, None)), Route::Other("s3".into()));
    }

    #[test]
    fn the_credential_scope_names_the_region() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20261123/ap-northeast-1/iot/aws4_request, SignedHeaders=host, Signature=00";
        assert_eq!(
            credential_scope(&request("/things", Some(auth))),
            Some(("ap-northeast-1".into(), "iot".into()))
        );
        let presigned = "/connections/c?X-Amz-Credential=AKID%2F20261123%2Fcn-north-1%2Fiotdevicegateway%2Faws4_request";
        assert_eq!(
            credential_scope(&request(presigned, None)),
            Some(("cn-north-1".into(), "iotdevicegateway".into()))
        );
        assert_eq!(credential_scope(&request("/things", None)), None);
    }

    #[test]
    fn other_services_never_go_by_path() {
        // A bucket named `things` or `topics` is S3's, not iot's.
        let s3 = signed("s3");
        assert_eq!(
            route(&request("/things/t", Some(&s3))),
            Route::Other("s3".into())
        );
        assert_eq!(
            route(&request("/topics/a", Some(&s3))),
            Route::Other("s3".into())
        );
        assert_eq!(
            route(&request("/", Some(&signed("sts")))),
            Route::Other("sts".into())
        );
        let functions = "/2015-03-31/functions";
        assert_eq!(
            route(&request(functions, Some(&signed("lambda")))),
            Route::Lambda
        );
        assert_eq!(route(&request("/", Some(&signed("logs")))), Route::Logs);
    }
}
