//! The iot:Jobs endpoint (`<prefix>.jobs.iot.<region>.amazonaws.com`, what DescribeEndpoint
//! returns for `iot:Jobs`): HTTPS with the emulator's server certificate and no client
//! certificate, serving iot-jobs-data only. Requests signed for any other service are
//! refused as AWS's signature check refuses a credential scoped to the wrong service.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower_service::Service;

use super::dispatch::signed_service;
use crate::regions::Regions;
use crate::tls::RegionTls;

/// The signing name of the one service this endpoint serves.
const SERVICE: &str = "iot-jobs-data";
/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until shutdown; each is served in its own task. `tls` presents the
/// server certificate of the region the SNI name selects and asks for no client
/// certificate; the request's SigV4 scope picks the region it is served in.
pub async fn serve(
    listener: TcpListener,
    regions: Regions,
    tls: RegionTls,
    mut shutdown: watch::Receiver<bool>,
) {
    let app = super::router(regions);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            accepted = crate::net::accept(&listener, crate::net::Kind::Api) => {
                let Ok((socket, _)) = accepted else { continue };
                tokio::spawn(connection(app.clone(), tls.clone(), socket, shutdown.clone()));
            }
        }
    }
}

/// Handshake, then HTTP/1.1 until the client or the emulator closes.
async fn connection(
    app: Router,
    tls: RegionTls,
    socket: TcpStream,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(Some((_, _, stream))) =
        tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(socket)).await
    else {
        return;
    };
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(respond(app, request.map(Body::new)).await) }
    });
    let http = hyper::server::conn::http1::Builder::new();
    let serving = http.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        served = serving => {
            if let Err(e) = served {
                tracing::debug!(%e, "jobs endpoint connection ended");
            }
        }
        _ = shutdown.changed() => {}
    }
}

/// iot-jobs-data requests go to the API's router; anything else is refused.
async fn respond(mut app: Router, request: Request) -> Response {
    if signed_service(&request).as_deref() != Some(SERVICE) {
        return wrong_service();
    }
    match app.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// AWS's answer to a request whose credential scope names another service (or that is
/// not signed at all): 403 `InvalidSignatureException`.
fn wrong_service() -> Response {
    super::error::error_response(
        StatusCode::FORBIDDEN,
        "InvalidSignatureException",
        json!({
            "message": format!("Credential should be scoped to correct service: '{SERVICE}'. ")
        }),
    )
}
