//! Hook tests with real stand-ins: shell commands written to a temp dir and an HTTP server
//! on port 0.

use std::collections::BTreeMap;
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:hook";

fn event() -> HookEvent {
    HookEvent {
        claim_certificate_id: "claim".into(),
        certificate_id: "cert".into(),
        certificate_pem: "PEM".into(),
        template_arn: "arn:aws:iot:us-east-1:123456789012:provisioningtemplate/T".into(),
        client_id: "Claim_1".into(),
        parameters: BTreeMap::from([("SerialNumber".into(), "123".into())]),
    }
}

fn bound(target: &str) -> HookBindings {
    let mut b = HookBindings::default();
    b.bind(ARN, target).unwrap();
    b
}

fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    format!("sh {}", path.display())
}

#[tokio::test]
async fn command_hook_gets_the_event_and_returns_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("event.json");
    let cmd = script(
        dir.path(),
        "allow.sh",
        &format!(
            "cat > '{}'\necho '{{\"allowProvisioning\": true, \"parameterOverrides\": {{\"Name\": \"x\"}}}}'\n",
            seen.display()
        ),
    );
    let overrides = invoke(&bound(&cmd), ARN, &event()).await.unwrap();
    assert_eq!(overrides, BTreeMap::from([("Name".into(), "x".into())]));
    let sent: serde_json::Value = serde_json::from_slice(&std::fs::read(&seen).unwrap()).unwrap();
    assert_eq!(sent, serde_json::to_value(event()).unwrap());
    assert_eq!(sent["claimCertificateId"], "claim");
    assert_eq!(sent["parameters"]["SerialNumber"], "123");
}

#[tokio::test]
async fn command_hook_refusals_are_access_denied() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "deny.sh",
            "echo '{\"allowProvisioning\": false}'",
            "did not allow",
        ),
        (
            "string.sh",
            "echo '{\"allowProvisioning\": \"true\"}'",
            "did not allow",
        ),
        ("junk.sh", "echo 'not json'", "invalid response"),
        ("array.sh", "echo '[]'", "invalid response"),
        (
            "badover.sh",
            "echo '{\"allowProvisioning\": true, \"parameterOverrides\": {\"a\": 1}}'",
            "invalid response",
        ),
        ("fail.sh", "echo oops >&2; exit 3", "failed"),
    ];
    for (name, body, want) in cases {
        let cmd = script(dir.path(), name, body);
        let e = invoke(&bound(&cmd), ARN, &event()).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::AccessDenied, "{name}");
        assert!(e.message.contains(want), "{name}: {}", e.message);
    }
}

#[tokio::test]
async fn slow_hooks_time_out_and_missing_bindings_are_named() {
    let mut b = bound("exec sleep 30");
    b.timeout = Duration::from_millis(200);
    let e = invoke(&b, ARN, &event()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    assert!(e.message.contains("timed out"), "{}", e.message);
    let other = "arn:aws:lambda:us-east-1:123456789012:function:other";
    let e = invoke(&b, other, &event()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    assert!(
        e.message.contains(other) && e.message.contains("--hook"),
        "{}",
        e.message
    );
}

/// Serves one request: answers `reply` with `status`, returns the request body.
async fn serve_once(listener: TcpListener, status: &str, reply: &str) -> Vec<u8> {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let body = loop {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "client closed early");
        raw.extend_from_slice(&buf[..n]);
        let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
        assert!(head.starts_with("post /hook http/1.1"), "{head}");
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap();
        if raw.len() >= split + 4 + len {
            break raw[split + 4..split + 4 + len].to_vec();
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
        reply.len()
    );
    socket.write_all(response.as_bytes()).await.unwrap();
    body
}

#[tokio::test]
async fn http_hook_posts_the_event() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let reply = r#"{"allowProvisioning": true, "parameterOverrides": {"Loc": "WA"}}"#;
    let server = tokio::spawn(serve_once(listener, "200 OK", reply));
    let overrides = invoke(&bound(&url), ARN, &event()).await.unwrap();
    assert_eq!(overrides, BTreeMap::from([("Loc".into(), "WA".into())]));
    let sent: serde_json::Value = serde_json::from_slice(&server.await.unwrap()).unwrap();
    assert_eq!(sent["clientId"], "Claim_1");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(serve_once(listener, "500 Internal Server Error", "{}"));
    let e = invoke(&bound(&url), ARN, &event()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    assert!(e.message.contains("HTTP status 500"), "{}", e.message);
    server.await.unwrap();
}

#[test]
fn bindings_from_flags_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hooks.json");
    let other = "arn:aws:lambda:us-east-1:123456789012:function:other";
    std::fs::write(
        &file,
        format!(r#"{{"{ARN}": "from-file", "{other}": "http://127.0.0.1:9/x"}}"#),
    )
    .unwrap();
    let flags = vec![format!("{ARN}=python3 hook.py --mode=allow"), String::new()];
    let b = HookBindings::from_config(&flags, Some(&file)).unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(
        b.target(ARN),
        Some(&HookTarget::Command("python3 hook.py --mode=allow".into()))
    );
    assert!(matches!(b.target(other), Some(HookTarget::Http(h)) if h.port == 9 && h.path == "/x"));
    for bad in [
        "no-equals-sign",
        "arn:aws:sns:us-east-1:1:topic=cmd",
        &format!("{ARN}="),
        &format!("{ARN}=https://example.com/hook"),
    ] {
        assert!(
            HookBindings::from_config(&[bad.to_string()], None).is_err(),
            "{bad}"
        );
    }
    assert!(HookBindings::from_config(&[], Some(&dir.path().join("missing.json"))).is_err());
}
