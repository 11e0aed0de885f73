//! Support for the topic-rule tests: the one emulator they share, the aws CLI against it,
//! device and HTTP publishes, mosquitto_sub subscribers, a local HTTP listener for http
//! actions, and a recording stand-in for the Lambda engine.
#![allow(dead_code, unreachable_pub)]

use std::sync::OnceLock;

use iot_emulator::{Config, Running};
use serde_json::Value;

use crate::broker_support::{run, spawn, text, wait, wait_subscribed, Device};
use crate::common::{self, CliResult};

/// The emulator every test here shares, on a runtime of its own so it outlives each
/// test's runtime.
pub fn shared() -> &'static Running {
    static SHARED: OnceLock<(tokio::runtime::Runtime, Running)> = OnceLock::new();
    let (_, running) = SHARED.get_or_init(|| {
        // Started from a plain thread: the caller is inside its test's runtime.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            let running = runtime
                .block_on(iot_emulator::start(Config::for_tests()))
                .expect("emulator starts");
            (runtime, running)
        })
        .join()
        .expect("emulator thread")
    });
    running
}

/// `aws iot <args>` against the shared emulator.
pub async fn aws(args: &[&str]) -> CliResult {
    aws_service("iot", args).await
}

/// `aws <service> <args>` against the shared emulator.
pub async fn aws_service(service: &str, args: &[&str]) -> CliResult {
    let url = shared().ready.api_url.clone();
    let mut all: Vec<String> = vec![service.to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    all.extend(["--endpoint-url".to_string(), url]);
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(common::venv().join("bin/aws"));
        common::aws_env(&mut cmd);
        let out = cmd.args(&all).output().expect("aws CLI");
        CliResult {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .expect("aws task")
}

/// Creates `name` with the aws CLI from a `TopicRulePayload`.
pub async fn create_rule(name: &str, payload: Value) {
    let body = payload.to_string();
    let out = aws(&[
        "create-topic-rule",
        "--rule-name",
        name,
        "--topic-rule-payload",
        &body,
    ])
    .await;
    assert!(out.success, "create-topic-rule {name}: {}", out.stderr);
}

pub const ROLE: &str = "arn:aws:iam::123456789012:role/rules";

/// An HTTP publish through `aws iot-data publish`.
pub async fn http_publish(topic: &str, payload: &str) {
    let out = aws_service(
        "iot-data",
        &[
            "publish",
            "--topic",
            topic,
            "--qos",
            "1",
            "--payload",
            payload,
        ],
    )
    .await;
    assert!(out.success, "iot-data publish {topic}: {}", out.stderr);
}

/// A device publish with mosquitto_pub (`version`: `mqttv311` or `5`).
pub async fn device_publish(dev: &Device, version: &str, topic: &str, payload: &str) {
    let client_id = format!("pub-{}", topic.replace('/', "-"));
    let args = [
        "-V", version, "-i", &client_id, "-q", "1", "-t", topic, "-m", payload,
    ];
    let out = run("mosquitto_pub", shared(), dev, &args).await;
    assert!(out.status.success(), "publish {topic}: {}", text(&out));
}

/// A mosquitto_sub client on `filters` that exits after `count` messages; returns it once
/// the broker holds its subscriptions.
pub async fn subscriber(
    dev: &Device,
    id: &str,
    filters: &[&str],
    count: usize,
) -> std::process::Child {
    let count = count.to_string();
    let mut args = vec![
        "-V", "5", "-i", id, "-q", "1", "-C", &count, "-W", "30", "-v",
    ];
    for f in filters {
        args.extend(["-t", f]);
    }
    let child = spawn("mosquitto_sub", shared(), dev, &args);
    for f in filters {
        wait_subscribed(shared(), id, f).await;
    }
    child
}

/// The `topic payload` lines a subscriber printed.
pub async fn received(child: std::process::Child) -> Vec<String> {
    let out = wait(child).await;
    assert!(out.status.success(), "subscriber: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// One request a [`listener`] received.
#[derive(Debug)]
pub struct Received {
    pub head: String,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// A local HTTP server answering every request with `status`; returns its address and
/// the requests it receives.
pub async fn listener(status: u16) -> (String, tokio::sync::mpsc::UnboundedReceiver<Received>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = socket.local_addr().expect("address").to_string();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = socket.accept().await {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let received = loop {
                let Ok(n) = stream.read(&mut buf).await else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                raw.extend_from_slice(&buf[..n]);
                let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..end]).into_owned();
                let request = Received {
                    head,
                    body: Vec::new(),
                };
                let length: usize = request
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if raw.len() >= end + 4 + length {
                    let body = raw[end + 4..end + 4 + length].to_vec();
                    break Some(Received { body, ..request });
                }
            };
            let reply =
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes()).await;
            if let Some(r) = received {
                let _ = tx.send(r);
            }
        }
    });
    (addr, rx)
}

/// A stand-in for the Lambda engine: records each invocation; functions whose ARN ends
/// in `missing` do not exist.
#[derive(Debug)]
pub struct RecordingInvoker(pub tokio::sync::mpsc::UnboundedSender<(String, Vec<u8>)>);

impl iot_emulator::rules::FunctionInvoker for RecordingInvoker {
    fn invoke_event<'a>(
        &'a self,
        function_arn: &'a str,
        payload: Vec<u8>,
    ) -> iot_emulator::rules::Pending<'a> {
        Box::pin(async move {
            if function_arn.ends_with("missing") {
                return Err(format!("Function not found: {function_arn}"));
            }
            let _ = self.0.send((function_arn.to_string(), payload));
            Ok(())
        })
    }
}

/// Takes the destination confirmation a [`listener`] received next and confirms it with
/// `aws iot confirm-topic-rule-destination`, as the owner of the endpoint does.
pub async fn confirm(requests: &mut tokio::sync::mpsc::UnboundedReceiver<Received>) {
    let request = requests.recv().await.expect("a confirmation POST");
    let message: Value = serde_json::from_slice(&request.body).expect("JSON confirmation");
    assert_eq!(
        message["messageType"], "DestinationConfirmation",
        "{message}"
    );
    let token = message["confirmationToken"].as_str().expect("token");
    let out = aws(&[
        "confirm-topic-rule-destination",
        "--confirmation-token",
        token,
    ])
    .await;
    assert!(
        out.success,
        "confirm-topic-rule-destination: {}",
        out.stderr
    );
}
