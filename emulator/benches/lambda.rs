//! Lambda invoke latency: a cold start (a new runtime process loading the handler) against
//! a warm invoke (the same execution environment again), for a bare Python handler and for
//! one that imports boto3 at init as the users' functions do. The engine runs in-process;
//! the function's SDK is never called. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench lambda` (the boto3 rows need
//! `IOT_EMULATOR_VENV`, a venv with boto3; without it they are skipped).

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use iot_emulator::basis::{Clock, Entropy};
use iot_emulator::lambda::function::{CreateFunction, Settings};
use iot_emulator::lambda::{Lambda, RuntimeConfig, Setup};
use iot_emulator::logs::Logs;
use iot_emulator::registry::Account;

/// Invokes per row.
const COLD: usize = 8;
const WARM: usize = 200;

const BARE: &str = "def handler(event, context):\n    return {'n': event.get('n')}\n";
const WITH_BOTO3: &str =
    "import boto3\niot = boto3.client('iot')\ndef handler(event, context):\n    return {'n': event.get('n')}\n";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    println!(
        "lambda benchmark: RequestResponse invokes of a python3.12 handler, in-process engine"
    );
    println!("{:<36} {:>12} {:>12}", "row", "median", "p90");
    row("bare handler", "python3", BARE).await;
    match std::env::var("IOT_EMULATOR_VENV") {
        Ok(venv) => {
            row(
                "boto3 client made at init",
                &format!("{venv}/bin/python"),
                WITH_BOTO3,
            )
            .await
        }
        Err(_) => println!("(boto3 rows skipped: set IOT_EMULATOR_VENV to a venv with boto3)"),
    }
}

async fn row(label: &str, interpreter: &str, code: &str) {
    let lambda = engine(interpreter);
    create(&lambda, code);
    let mut cold = Vec::new();
    for n in 0..COLD {
        // An update retires the warm environment: the next invoke is a cold start.
        let settings = Settings {
            description: Some(format!("cold {n}")),
            ..Default::default()
        };
        lambda
            .update_function_configuration("bench", settings)
            .expect("update");
        cold.push(timed(&lambda).await);
    }
    let mut warm = Vec::new();
    for _ in 0..WARM {
        warm.push(timed(&lambda).await);
    }
    print_row(&format!("{label}: cold start"), &mut cold);
    print_row(&format!("{label}: warm invoke"), &mut warm);
}

fn engine(interpreter: &str) -> Lambda {
    let account = Account {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
    };
    let clock = Clock::system();
    let flag = format!("python3.12={interpreter}");
    let lambda = Lambda::open(Setup {
        data_dir: None,
        runtimes: RuntimeConfig::from_flags(&[flag], &[], 2).expect("runtime flag"),
        logs: Logs::new(account.clone(), clock.clone()),
        account,
        clock,
        entropy: Arc::new(Entropy::new(1)),
    })
    .expect("lambda engine");
    // Never reached: the handlers make no calls.
    lambda.set_endpoint("http://127.0.0.1:9".into());
    lambda
}

fn create(lambda: &Lambda, code: &str) {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("app.py", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(code.as_bytes()).expect("zip write");
    let bytes = zip.finish().expect("zip").into_inner();
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes);
    let input: CreateFunction = serde_json::from_value(serde_json::json!({
        "FunctionName": "bench", "Runtime": "python3.12", "Handler": "app.handler",
        "Role": "arn:aws:iam::123456789012:role/bench", "Timeout": 30,
        "Code": {"ZipFile": b64},
    }))
    .expect("input");
    lambda.create_function(input).expect("create");
}

async fn timed(lambda: &Lambda) -> Duration {
    let start = Instant::now();
    let done = lambda
        .invoke("bench", None, br#"{"n": 1}"#)
        .await
        .expect("invoke");
    assert!(done.function_error.is_none(), "{}", done.log);
    start.elapsed()
}

fn print_row(label: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<36} {:>9.2} ms {:>9.2} ms",
        ms(at(0.5)),
        ms(at(0.9))
    );
}
