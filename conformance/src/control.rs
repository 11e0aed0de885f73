//! The control plane through the Rust AWS SDK (`aws-sdk-iot`), pointed at the target's
//! API URL (or AWS itself), rustls with ring, static credentials.

use aws_sdk_iot::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use crate::target::Target;

/// An SDK client for `target`.
pub fn client(target: &Target) -> aws_sdk_iot::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let c = &target.credentials;
    let credentials = Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        c.session_token.clone(),
        None,
        "conformance",
    );
    let mut builder = aws_sdk_iot::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .credentials_provider(credentials)
        .http_client(http);
    if let Some(url) = &target.api_url {
        builder = builder.endpoint_url(url);
    }
    aws_sdk_iot::Client::from_conf(builder.build())
}

/// Fills in the MQTT and credentials endpoints with DescribeEndpoint (real AWS).
pub async fn resolve_endpoints(target: &mut Target, iot: &aws_sdk_iot::Client) {
    if target.mqtt_host.is_none() {
        target.mqtt_host = Some(describe(iot, "iot:Data-ATS").await);
    }
    if target.credentials_url.is_none() {
        let host = describe(iot, "iot:CredentialProvider").await;
        target.credentials_url = Some(format!("https://{host}"));
    }
}

async fn describe(iot: &aws_sdk_iot::Client, kind: &str) -> String {
    let out = iot
        .describe_endpoint()
        .endpoint_type(kind)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeEndpoint {kind}: {e:?}"));
    out.endpoint_address
        .unwrap_or_else(|| panic!("DescribeEndpoint {kind} returned no address"))
}

/// The error code (`ResourceNotFoundException`, ...) an SDK call failed with.
pub fn error_code<E, R>(error: &aws_sdk_iot::error::SdkError<E, R>) -> Option<String>
where
    E: aws_sdk_iot::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_string)
}
