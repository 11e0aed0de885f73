//! The http action's request: one POST over plain HTTP/1.1 (hyper's client), retried as
//! AWS retries it: at most 3 tries, only after a 429 or 5xx, never past 3 seconds.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;

/// AWS's limits on one http action.
const TRIES: usize = 3;
const BUDGET: Duration = Duration::from_millis(3000);
const MAX_RESPONSE: usize = 16_384;

/// One request to send.
#[derive(Debug, Clone)]
pub struct Post {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// `application/json` or `application/octet-stream`, unless a header overrides it.
    pub content_type: &'static str,
}

/// Sends `post`; `Err` says why the action failed (it goes into the error document).
pub async fn send(post: &Post) -> Result<(), String> {
    let uri: hyper::Uri = post
        .url
        .parse()
        .map_err(|e| format!("invalid url {}: {e}", post.url))?;
    // A choice (README "Topic rules"): local targets are plain HTTP; AWS requires HTTPS.
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "iot-emulator's http action sends only to http:// URLs, not {}",
            post.url
        ));
    }
    let deadline = Instant::now() + BUDGET;
    let mut last = String::new();
    for _ in 0..TRIES {
        let attempt = tokio::time::timeout_at(deadline, once(&uri, post)).await;
        match attempt {
            Err(_) => return Err(format!("no response from {} within 3000 ms", post.url)),
            Ok(Ok(status)) if (200..300).contains(&status) => return Ok(()),
            Ok(Ok(status)) if status == 429 || status >= 500 => {
                last = format!("HTTP status {status} from {}", post.url);
            }
            Ok(Ok(status)) => return Err(format!("HTTP status {status} from {}", post.url)),
            // A connection that failed or closed is not retried.
            Ok(Err(e)) => return Err(e),
        }
    }
    Err(last)
}

/// One exchange; the response status.
async fn once(uri: &hyper::Uri, post: &Post) -> Result<u16, String> {
    let host = uri.host().ok_or_else(|| format!("no host in {uri}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    let stream = crate::net::connect((host, port), crate::net::Kind::Hook)
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {host}:{port} failed: {e}"))?;
    tokio::spawn(connection);
    let request = build(uri, post)?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("HTTP exchange with {host}:{port} failed: {e}"))?;
    let status = response.status().as_u16();
    // Read (a bounded amount of) the body so the connection ends cleanly.
    let _ = Limited::new(response.into_body(), MAX_RESPONSE)
        .collect()
        .await;
    Ok(status)
}

fn build(uri: &hyper::Uri, post: &Post) -> Result<Request<Full<Bytes>>, String> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = uri.authority().map_or("", |a| a.as_str());
    let mut builder = Request::post(path).header("host", authority);
    let overridden = post
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    if !overridden {
        builder = builder.header("content-type", post.content_type);
    }
    for (key, value) in &post.headers {
        builder = builder.header(key.as_str(), value.as_str());
    }
    builder
        .body(Full::new(post.body.clone()))
        .map_err(|e| format!("invalid http request: {e}"))
}
