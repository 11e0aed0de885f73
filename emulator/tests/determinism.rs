//! With the same `--seed` and the same requests, two fresh emulators answer identically.

mod common;

use common::TestEmulator;
use serde_json::Value;

async fn session(seed: u64) -> Vec<Value> {
    let emu = TestEmulator::seeded(seed).await;
    let mut out = Vec::new();
    out.push(
        emu.aws_ok(&["describe-endpoint", "--endpoint-type", "iot:Data-ATS"])
            .await,
    );
    out.push(
        emu.aws_ok(&[
            "describe-endpoint",
            "--endpoint-type",
            "iot:CredentialProvider",
        ])
        .await,
    );
    out.push(emu.aws_ok(&["create-thing", "--thing-name", "det"]).await);
    out.push(
        emu.aws_ok(&["create-keys-and-certificate", "--set-as-active"])
            .await,
    );
    out.push(emu.aws_ok(&["create-keys-and-certificate"]).await);
    out.push(emu.aws_ok(&["get-registration-code"]).await);
    out.push(emu.aws_ok(&["describe-thing", "--thing-name", "det"]).await);
    let root_ca = std::fs::read_to_string(&emu.running.ready.root_ca_path).unwrap();
    out.push(Value::String(root_ca));
    // A second region, opened by its first request, is deterministic too.
    let tokyo = |args: &[&'static str]| {
        let mut all = vec!["--region", "ap-northeast-1"];
        all.extend_from_slice(args);
        all
    };
    out.push(
        emu.aws_ok(&tokyo(&[
            "describe-endpoint",
            "--endpoint-type",
            "iot:Data-ATS",
        ]))
        .await,
    );
    out.push(
        emu.aws_ok(&tokyo(&["create-keys-and-certificate", "--set-as-active"]))
            .await,
    );
    out.push(emu.aws_ok(&tokyo(&["get-registration-code"])).await);
    emu.shutdown().await;
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn same_seed_same_answers() {
    let a = session(7).await;
    let b = session(7).await;
    assert_eq!(a, b);
    let c = session(8).await;
    assert_ne!(a[3]["certificateId"], c[3]["certificateId"]);
    // Each region has its own endpoint names, registration code and key sequence.
    assert_ne!(a[0], a[8]);
    assert_ne!(a[5], a[10]);
    assert_ne!(a[3]["certificateId"], a[9]["certificateId"]);
    // Deterministic mode snapshot of the thing as described (ids, version, ARN).
    insta::assert_json_snapshot!("seeded_thing", (&a[2], &a[6]));
}
