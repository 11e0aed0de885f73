//! The X.509 credentials provider: `GET /role-aliases/<alias>/credentials` over mutual
//! TLS, with the optional `x-amzn-iot-thingname` header, as aws-c-auth sends it.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{ACCEPT, HOST};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use crate::error::{ClientError, Result};
use crate::tls::{self, Identity};
use crate::wire::{Credentials, CredentialsError, CredentialsResponse};

/// The thing-name header AWS reads.
pub const THING_NAME_HEADER: &str = "x-amzn-iot-thingname";

/// One credentials request.
#[derive(Debug, Clone)]
pub struct CredentialsRequest {
    /// `host`, `host:port` or `https://host[:port]`; port 443 by default.
    pub endpoint: String,
    pub role_alias: String,
    pub thing_name: Option<String>,
    pub ca_pem: String,
    pub identity: Identity,
    pub timeout: Duration,
}

/// Fetches temporary credentials; an error status names the provider's `message`.
pub async fn fetch(request: &CredentialsRequest) -> Result<Credentials> {
    tokio::time::timeout(request.timeout, exchange(request))
        .await
        .map_err(|_| ClientError::Timeout("the credentials provider".into()))?
}

async fn exchange(request: &CredentialsRequest) -> Result<Credentials> {
    let (host, port) = split_endpoint(&request.endpoint)?;
    let config = tls::client_config(&request.ca_pem, &request.identity, None)?;
    let name = ServerName::try_from(host.clone())
        .map_err(|e| ClientError::Config(format!("bad host {host:?}: {e}")))?;
    let tcp = crate::net::connect((host.as_str(), port))
        .await
        .map_err(|e| ClientError::Http(format!("connect {host}:{port}: {e}")))?;
    let stream = TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| ClientError::Http(format!("TLS handshake: {e}")))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| ClientError::Http(e.to_string()))?;
    tokio::spawn(connection);
    let mut builder =
        hyper::Request::get(format!("/role-aliases/{}/credentials", request.role_alias))
            .header(HOST, host_header(&host, port))
            .header(ACCEPT, "*/*");
    if let Some(thing) = &request.thing_name {
        builder = builder.header(THING_NAME_HEADER, thing);
    }
    let http_request = builder
        .body(Empty::<Bytes>::new())
        .map_err(|e| ClientError::Config(e.to_string()))?;
    let response = sender
        .send_request(http_request)
        .await
        .map_err(|e| ClientError::Http(e.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| ClientError::Http(e.to_string()))?
        .to_bytes();
    interpret(status, &body)
}

/// Turns a status and body into credentials or a named error.
fn interpret(status: u16, body: &[u8]) -> Result<Credentials> {
    if status == 200 {
        let parsed: CredentialsResponse = serde_json::from_slice(body)
            .map_err(|e| ClientError::Http(format!("unexpected 200 body: {e}")))?;
        return Ok(parsed.credentials);
    }
    let message = serde_json::from_slice::<CredentialsError>(body)
        .map(|e| e.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
    Err(ClientError::Credentials { status, message })
}

fn host_header(host: &str, port: u16) -> String {
    if port == 443 {
        host.to_string()
    } else {
        format!("{host}:{port}")
    }
}

/// `https://h:1234/` → (`h`, 1234); the port defaults to 443.
fn split_endpoint(endpoint: &str) -> Result<(String, u16)> {
    let rest = endpoint.strip_prefix("https://").unwrap_or(endpoint);
    let rest = rest.trim_end_matches('/');
    let bad = || ClientError::Config(format!("bad credentials endpoint {endpoint:?}"));
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().map_err(|_| bad())?),
        None => (rest, 443),
    };
    if host.is_empty() || host.contains('/') {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_split_into_host_and_port() {
        let cases = [
            (
                "c2abc.credentials.iot.us-east-1.amazonaws.com",
                Some(("c2abc.credentials.iot.us-east-1.amazonaws.com", 443)),
            ),
            ("https://localhost:8443", Some(("localhost", 8443))),
            ("https://127.0.0.1:9/", Some(("127.0.0.1", 9))),
            ("localhost:x", None),
            ("https://", None),
            ("https://h/path", None),
        ];
        for (input, want) in cases {
            let got = split_endpoint(input).ok();
            let want = want.map(|(h, p)| (h.to_string(), p));
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn error_bodies_name_the_provider_message() {
        let err = interpret(403, br#"{"message":"Invalid thing name passed"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials provider answered 403: Invalid thing name passed"
        );
        let raw = interpret(502, b"bad gateway").unwrap_err();
        assert!(raw.to_string().ends_with("bad gateway"));
        let ok = interpret(
            200,
            br#"{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2030-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(ok.access_key_id, "A");
    }
}
