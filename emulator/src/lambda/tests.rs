//! Unit tests of the Lambda engine: packages, records, permissions and the runtime.

use std::io::Write;

use serde_json::json;

use super::*;
use crate::logs::FilterQuery;

fn zip_of(files: &[(&str, &str)]) -> String {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
}

fn lambda(data_dir: Option<&Path>) -> (Lambda, Logs) {
    let account = Account {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
    };
    let clock = Clock::system();
    let logs = Logs::new(account.clone(), clock.clone());
    let lambda = Lambda::open(Setup {
        data_dir: data_dir.map(Path::to_path_buf),
        runtimes: RuntimeConfig::from_flags(&[], &[], 2).unwrap(),
        logs: logs.clone(),
        account,
        clock,
        entropy: Arc::new(Entropy::new(7)),
    })
    .unwrap();
    lambda.set_endpoint("http://127.0.0.1:9".into());
    (lambda, logs)
}

const APP: &str = r#"import os
def handler(event, context):
    print('got', event['n'], context.function_name)
    if event['n'] < 0:
        raise ValueError('negative')
    if event['n'] == 99:
        import time; time.sleep(30)
    return {'double': event['n'] * 2, 'endpoint': os.environ['AWS_ENDPOINT_URL'],
            'left': context.get_remaining_time_in_millis() > 0}
"#;

fn create(lambda: &Lambda, name: &str, timeout: u32) -> serde_json::Value {
    let input: function::CreateFunction = serde_json::from_value(json!({
        "FunctionName": name, "Runtime": "python3.12", "Handler": "app.handler",
        "Role": "arn:aws:iam::123456789012:role/r", "Timeout": timeout,
        "Code": {"ZipFile": zip_of(&[("app.py", APP)])},
    }))
    .unwrap();
    lambda.create_function(input).unwrap()
}

#[tokio::test]
async fn create_invoke_log_fail_and_time_out() {
    let (lambda, logs) = lambda(None);
    let config = create(&lambda, "f", 1);
    assert_eq!(config["State"], "Active");
    assert_eq!(
        config["FunctionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:f"
    );
    let ok = lambda.invoke("f", None, br#"{"n": 21}"#).await.unwrap();
    assert_eq!(ok.function_error, None, "{}", ok.log);
    let body: serde_json::Value = serde_json::from_slice(&ok.payload).unwrap();
    assert_eq!(
        body,
        json!({"double": 42, "endpoint": "http://127.0.0.1:9", "left": true})
    );
    assert!(ok.log.contains("got 21 f\n"), "{}", ok.log);
    assert!(ok.log.starts_with("START RequestId: "), "{}", ok.log);
    let failed = lambda.invoke("f", None, br#"{"n": -1}"#).await.unwrap();
    assert_eq!(failed.function_error, Some("Unhandled"));
    let err: serde_json::Value = serde_json::from_slice(&failed.payload).unwrap();
    assert_eq!(err["errorType"], "ValueError");
    assert_eq!(err["errorMessage"], "negative");
    let slow = lambda.invoke("f", None, br#"{"n": 99}"#).await.unwrap();
    let err: serde_json::Value = serde_json::from_slice(&slow.payload).unwrap();
    assert_eq!(err["errorType"], "Sandbox.Timedout", "{}", slow.log);
    let q = FilterQuery {
        log_group_name: Some("/aws/lambda/f".into()),
        filter_pattern: Some("got".into()),
        ..Default::default()
    };
    assert_eq!(logs.filter_log_events(&q).unwrap().events.len(), 3);
    let bad = lambda.invoke("f", None, b"not json").await.unwrap_err();
    assert_eq!(bad.exception_name(), "InvalidRequestContentException");
    let missing = lambda.invoke("g", None, b"{}").await.unwrap_err();
    assert_eq!(missing.exception_name(), "ResourceNotFoundException");
}

#[test]
fn functions_survive_a_restart_over_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = lambda(Some(dir.path()));
    create(&first, "kept", 3);
    drop(first);
    let (second, _) = lambda(Some(dir.path()));
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:kept";
    assert!(second.exists(arn));
    assert!(second.exists("kept:$LATEST"));
    assert!(!second.exists("kept:1"));
    second.delete_function("kept", None).unwrap();
    assert!(!dir.path().join("lambda/functions/kept").exists());
}

const NODE_APP: &str = r#"export const handler = async (event, context) => {
  console.log("node got", event.n, context.functionName);
  if (event.n < 0) throw new TypeError("negative");
  return { double: event.n * 2, left: context.getRemainingTimeInMillis() > 0 };
};
"#;

#[tokio::test]
async fn a_nodejs_function_runs_too() {
    let (lambda, _) = lambda(None);
    let input: function::CreateFunction = serde_json::from_value(json!({
        "FunctionName": "n", "Runtime": "nodejs20.x", "Handler": "index.handler",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"ZipFile": zip_of(&[("index.mjs", NODE_APP)])},
    }))
    .unwrap();
    lambda.create_function(input).unwrap();
    let ok = lambda.invoke("n", None, br#"{"n": 4}"#).await.unwrap();
    assert_eq!(ok.function_error, None, "{}", ok.log);
    let body: serde_json::Value = serde_json::from_slice(&ok.payload).unwrap();
    assert_eq!(body, json!({"double": 8, "left": true}));
    assert!(ok.log.contains("\tINFO\tnode got 4 n\n"), "{}", ok.log);
    let failed = lambda.invoke("n", None, br#"{"n": -1}"#).await.unwrap();
    assert_eq!(failed.function_error, Some("Unhandled"), "{}", failed.log);
    let err: serde_json::Value = serde_json::from_slice(&failed.payload).unwrap();
    assert_eq!(err["errorType"], "TypeError");
    assert_eq!(err["errorMessage"], "negative");
    assert!(err["trace"].as_array().is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn a_layer_directory_is_on_the_path() {
    let layer = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(layer.path().join("python")).unwrap();
    std::fs::write(
        layer.path().join("python/helper.py"),
        "VALUE = 'from the layer'\n",
    )
    .unwrap();
    let arn = "arn:aws:lambda:us-east-1:123456789012:layer:helpers";
    let flag = format!("{arn}={}", layer.path().display());
    let account = Account {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
    };
    let logs = Logs::new(account.clone(), Clock::system());
    let lambda = Lambda::open(Setup {
        data_dir: None,
        runtimes: RuntimeConfig::from_flags(&[], &[flag], 1).unwrap(),
        logs,
        account,
        clock: Clock::system(),
        entropy: Arc::new(Entropy::new(8)),
    })
    .unwrap();
    lambda.set_endpoint("http://127.0.0.1:9".into());
    let app = "import helper\ndef handler(event, context):\n    return helper.VALUE\n";
    let input: function::CreateFunction = serde_json::from_value(json!({
        "FunctionName": "layered", "Runtime": "python3.12", "Handler": "app.handler",
        "Role": "arn:aws:iam::123456789012:role/r", "Layers": [format!("{arn}:3")],
        "Code": {"ZipFile": zip_of(&[("app.py", app)])},
    }))
    .unwrap();
    let config = lambda.create_function(input).unwrap();
    assert_eq!(config["Layers"][0]["Arn"], format!("{arn}:3"));
    let done = lambda.invoke("layered", None, b"{}").await.unwrap();
    assert_eq!(done.payload, b"\"from the layer\"", "{}", done.log);
}

const COUNTER: &str = r#"import os, sys
INITS = 0
CALLS = 0
INITS += 1
def handler(event, context):
    global CALLS
    CALLS += 1
    if event.get('crash'):
        os._exit(3)
    return {'inits': INITS, 'calls': CALLS, 'pid': os.getpid(),
            'stream': context.log_stream_name}
"#;

fn create_counter(lambda: &Lambda, name: &str) {
    let input: function::CreateFunction = serde_json::from_value(json!({
        "FunctionName": name, "Runtime": "python3.12", "Handler": "app.handler",
        "Role": "arn:aws:iam::123456789012:role/r", "Timeout": 60,
        "Code": {"ZipFile": zip_of(&[("app.py", COUNTER)])},
    }))
    .unwrap();
    lambda.create_function(input).unwrap();
}

async fn counted(lambda: &Lambda, name: &str, payload: &[u8]) -> serde_json::Value {
    let done = lambda.invoke(name, None, payload).await.unwrap();
    serde_json::from_slice(&done.payload).unwrap()
}

#[tokio::test]
async fn warm_environments_are_reused_and_retired() {
    let (lambda, _) = lambda(None);
    create_counter(&lambda, "w");
    let first = counted(&lambda, "w", b"{}").await;
    let second = counted(&lambda, "w", b"{}").await;
    assert_eq!(
        second["pid"], first["pid"],
        "a warm invoke reuses the process"
    );
    assert_eq!(
        (second["inits"].as_i64(), second["calls"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(second["stream"], first["stream"]);
    assert_eq!(lambda.warm_environments("w"), 1);
    let crashed = lambda
        .invoke("w", None, br#"{"crash": true}"#)
        .await
        .unwrap();
    assert_eq!(crashed.function_error, Some("Unhandled"), "{}", crashed.log);
    assert_eq!(lambda.warm_environments("w"), 0);
    let after_crash = counted(&lambda, "w", b"{}").await;
    assert_ne!(after_crash["pid"], first["pid"]);
    assert_eq!(after_crash["calls"], 1);
    let settings = function::Settings {
        description: Some("changed".into()),
        ..Default::default()
    };
    lambda.update_function_configuration("w", settings).unwrap();
    assert_eq!(lambda.warm_environments("w"), 0);
    let after_update = counted(&lambda, "w", b"{}").await;
    assert_ne!(after_update["pid"], after_crash["pid"]);
    assert_eq!(after_update["calls"], 1);
    let together = tokio::join!(
        lambda.invoke("w", None, b"{}"),
        lambda.invoke("w", None, b"{}")
    );
    for done in [together.0.unwrap(), together.1.unwrap()] {
        assert_eq!(done.function_error, None, "{}", done.log);
    }
    assert_eq!(
        lambda.warm_environments("w"),
        2,
        "two at once need two environments"
    );
    lambda.delete_function("w", None).unwrap();
    assert_eq!(lambda.warm_environments("w"), 0);
}
