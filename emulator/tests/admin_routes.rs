//! The emulator-only routes: reset keeps the instance's identity, the clock advances.

mod common;

use common::TestEmulator;
use serde_json::Value;

async fn post(url: String) -> Value {
    let response = reqwest::Client::new()
        .post(url)
        .send()
        .await
        .expect("request");
    assert!(response.status().is_success());
    response.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_clears_resources_but_keeps_identity() {
    let emu = TestEmulator::seeded(9).await;
    let endpoint = emu
        .aws_ok(&["describe-endpoint", "--endpoint-type", "iot:Data-ATS"])
        .await;
    emu.aws_ok(&["create-thing", "--thing-name", "gone"]).await;
    emu.aws_ok(&["create-keys-and-certificate", "--set-as-active"])
        .await;
    post(format!("{}/_emulator/reset", emu.api_url())).await;
    assert_eq!(
        emu.aws_ok(&["list-things"]).await["things"],
        serde_json::json!([])
    );
    assert_eq!(
        emu.aws_ok(&["list-certificates"]).await["certificates"],
        serde_json::json!([])
    );
    let after = emu
        .aws_ok(&["describe-endpoint", "--endpoint-type", "iot:Data-ATS"])
        .await;
    assert_eq!(after, endpoint);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn frozen_clock_advances_on_request() {
    let emu = TestEmulator::seeded(10).await;
    let before = reqwest::get(format!("{}/_emulator/clock", emu.api_url()))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(before["frozen"], true);
    assert_eq!(before["nowMs"], 1_767_225_600_000i64);
    let after = post(format!(
        "{}/_emulator/clock/advance?seconds=301",
        emu.api_url()
    ))
    .await;
    assert_eq!(after["nowMs"], 1_767_225_901_000i64);
    emu.shutdown().await;
}
