//! boto3 raises the modeled exception class for each error the control plane returns.

mod common;

use common::{run_python, TestEmulator};

#[tokio::test(flavor = "multi_thread")]
async fn boto3_maps_errors_to_modeled_exceptions() {
    let emu = TestEmulator::start().await;
    let url = emu.api_url().to_string();
    let out = tokio::task::spawn_blocking(move || run_python("boto3_errors.py", &[&url]))
        .await
        .unwrap();
    assert!(
        out.success,
        "boto3 checks failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    emu.shutdown().await;
}
