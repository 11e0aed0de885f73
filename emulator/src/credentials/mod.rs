//! The credentials provider front end: `GET /role-aliases/<alias>/credentials` over
//! mutual TLS (HTTP/1.1), exchanging a device certificate for temporary AWS credentials,
//! in the region the SNI name selects.

pub mod provider;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::identity::{self, Decision, Principal};
use crate::registry::IotError;
use crate::state::Emulator;
use crate::tls::RegionTls;
use provider::{CredentialsRequest, THING_NAME_HEADER};

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until shutdown; each is served in its own task, in the region its
/// SNI name selects.
pub async fn serve(listener: TcpListener, tls: RegionTls, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            accepted = crate::net::accept(&listener, crate::net::Kind::Credentials) => {
                let Ok((socket, _)) = accepted else { continue };
                tokio::spawn(connection(tls.clone(), socket));
            }
        }
    }
}

/// Handshake, certificate decision, then HTTP/1.1 on the stream.
async fn connection(tls: RegionTls, socket: TcpStream) {
    let Ok(Some((_, emulator, stream))) =
        tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(socket)).await
    else {
        return;
    };
    let chain = stream
        .get_ref()
        .1
        .peer_certificates()
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    let principal = match identity::decide(&emulator, &chain) {
        Decision::Allow(principal) => principal,
        Decision::Refuse(refusal) => {
            // As on the broker: the connection is closed, with no HTTP response.
            tracing::info!(?refusal, "credentials: client certificate refused");
            return;
        }
    };
    let service = hyper::service::service_fn(move |request| {
        let response = respond(&emulator, &principal, &request);
        async move { Ok::<_, Infallible>(response) }
    });
    let http = hyper::server::conn::http1::Builder::new();
    if let Err(e) = http.serve_connection(TokioIo::new(stream), service).await {
        tracing::debug!(%e, "credentials connection ended");
    }
}

fn json_response(
    status: u16,
    error_type: Option<&str>,
    body: serde_json::Value,
) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .header("content-type", "application/json");
    if let Some(name) = error_type {
        builder = builder.header("x-amzn-ErrorType", format!("{name}:"));
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn error(e: &IotError) -> Response<Full<Bytes>> {
    let (status, name, body) = provider::error_response(e);
    json_response(status, Some(name), body)
}

/// Answers one request on an authenticated connection.
fn respond(
    emulator: &Emulator,
    principal: &Principal,
    request: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    let Some(role_alias) = provider::route(request.uri().path()) else {
        return error(&IotError::not_found("Not Found"));
    };
    if request.method() != Method::GET {
        return error(&IotError::invalid("Only GET is supported"));
    }
    let thing_name = request
        .headers()
        .get(THING_NAME_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let request = CredentialsRequest {
        role_alias,
        thing_name,
    };
    match provider::get_credentials(emulator, principal, &request) {
        Ok(issued) => json_response(200, None, provider::success_body(&issued)),
        Err(e) => error(&e),
    }
}
