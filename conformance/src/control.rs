//! The control plane through the Rust AWS SDK (`aws-sdk-iot`, `aws-sdk-lambda`), pointed
//! at the target's API URL (or AWS itself), rustls with ring, static credentials.

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use crate::target::Target;

/// An SDK client of crate `$sdk` for `target`: its API URL (or AWS), rustls with ring,
/// the target's static credentials.
macro_rules! sdk_client {
    ($sdk:ident, $target:expr) => {{
        let target: &Target = $target;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let c = &target.credentials;
        let credentials = $sdk::config::Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
            None,
            "conformance",
        );
        let mut builder = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new(target.region.clone()))
            .credentials_provider(credentials)
            .http_client(http);
        if let Some(url) = &target.api_url {
            builder = builder.endpoint_url(url);
        }
        $sdk::Client::from_conf(builder.build())
    }};
}

/// An IoT control-plane client for `target`.
pub fn client(target: &Target) -> aws_sdk_iot::Client {
    sdk_client!(aws_sdk_iot, target)
}

/// A Lambda client for `target` (the Lambda-backed rule cases).
pub fn lambda_client(target: &Target) -> aws_sdk_lambda::Client {
    sdk_client!(aws_sdk_lambda, target)
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
