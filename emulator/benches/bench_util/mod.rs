//! What the benchmarks share: a mutual-TLS client configuration and a checked control-plane
//! call.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

/// A rustls client configuration on the ring provider: trusts `ca_pem`, presents the
/// device certificate, and never resumes a session, so every connect is a full handshake
/// with client authentication.
pub fn client_tls(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA certificate");
    }
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("device certificate PEM");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("device key PEM");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .expect("client certificate");
    config.resumption = rustls::client::Resumption::disabled();
    Arc::new(config)
}

/// One control-plane request with a JSON body; panics unless it succeeds.
pub async fn call(http: &reqwest::Client, method: &str, url: &str, body: Value) -> Value {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let response = http
        .request(method, url)
        .json(&body)
        .send()
        .await
        .expect("API call");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {body}");
    body
}
