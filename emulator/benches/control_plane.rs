//! Control-plane throughput: CreateThing and CreateKeysAndCertificate operations per
//! second over keep-alive HTTP, against an emulator started here (durable data dir and
//! in memory) or the one at `IOT_EMULATOR_API_URL`. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench control_plane`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use iot_emulator::Config;

const WINDOW: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() {
    if let Ok(url) = std::env::var("IOT_EMULATOR_API_URL") {
        run_suite("external", &url).await;
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut durable = Config::for_tests();
    durable.in_memory = false;
    durable.data_dir = Some(dir.path().to_path_buf());
    for (label, config) in [
        ("data-dir (durable: replies after fsync)", durable),
        ("in-memory", Config::for_tests()),
    ] {
        let running = iot_emulator::start(config).await.expect("start");
        run_suite(label, &running.ready.api_url).await;
        running.shutdown().await;
    }
}

async fn run_suite(label: &str, url: &str) {
    println!("== {label}: {url}");
    for workers in [1, 16, 32] {
        let rate = measure(url, workers, move |i| {
            (format!("/things/bench-{workers}-{i}"), String::new())
        })
        .await;
        println!("CreateThing                {workers:>3} keep-alive clients: {rate:>9.0} ops/s");
    }
    for workers in [1, 4] {
        let rate = measure(url, workers, |_| {
            (
                "/keys-and-certificate?setAsActive=true".into(),
                String::new(),
            )
        })
        .await;
        println!("CreateKeysAndCertificate   {workers:>3} keep-alive clients: {rate:>9.1} ops/s");
    }
}

/// Runs `workers` clients, each with its own keep-alive connection, for [`WINDOW`].
async fn measure(
    url: &str,
    workers: usize,
    request: impl Fn(u64) -> (String, String) + Send + Sync + 'static,
) -> f64 {
    let request = Arc::new(request);
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        let (url, request, counter) = (url.to_string(), request.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < WINDOW {
                let (path, body) = request(counter.fetch_add(1, Ordering::Relaxed));
                let response = client.post(format!("{url}{path}")).body(body).send().await;
                let ok = matches!(response, Ok(r) if r.status().is_success());
                assert!(ok, "request to {path} failed");
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    counter.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}
