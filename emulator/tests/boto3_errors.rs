//! boto3 raises the modeled exception class for each error the control plane returns, and
//! sees AWS's default page sizes and orders in the list operations.

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

#[tokio::test(flavor = "multi_thread")]
async fn boto3_lists_page_by_default_as_aws_does() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let csr = "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
               -keyout device.key -subj /CN=lister -out device.csr";
    common::sh(dir.path(), csr, &[]);
    let csr_path = dir.path().join("device.csr").display().to_string();
    let args = vec![emu.api_url().to_string(), csr_path];
    let out = common::run_python_async("list_operations.py", args).await;
    assert!(out.success, "{}", out.stderr);
    let got = out.json();
    let certs = &got["certificates"];
    assert_eq!(
        (certs["first"].as_u64(), certs["rest"].as_u64()),
        (Some(25), Some(5)),
        "{got}"
    );
    assert_eq!(certs["rest_has_marker"], false, "{got}");
    assert_eq!(certs["newest_first"], true, "{got}");
    assert_eq!(certs["ascending_reverses"], true, "{got}");
    let things = &got["things"];
    assert_eq!(
        (things["first"].as_u64(), things["rest"].as_u64()),
        (Some(250), Some(1)),
        "{got}"
    );
    assert_eq!(things["rest_has_token"], false, "{got}");
    assert_eq!(things["first_name"], "thing-000", "{got}");
    assert_eq!(
        got["principals"],
        "Failed to list principals for thing nothing-here because the thing does not exist in your account"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_tags_resources_and_the_creates_keep_their_tags() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = common::TestCa::new("Tagged CA");
    let tags = ["--tags", "Key=env,Value=beta", "Key=team,Value=iot"];
    let id = common::register_ca(&emu, &dir, &ca, &tags).await;
    let ca_arn = format!("arn:aws:iot:us-east-1:123456789012:cacert/{id}");
    let args = vec![emu.api_url().to_string(), ca_arn];
    let out = common::run_python_async("tagging.py", args).await;
    assert!(out.success, "{}", out.stderr);
    let got = out.json();
    let both = serde_json::json!({"env": "beta", "team": "iot"});
    for kind in [
        "thing_group",
        "thing_type",
        "policy",
        "role_alias",
        "template",
        "rule",
        "ca",
    ] {
        assert_eq!(got["created"][kind], both, "{kind}: {got}");
    }
    assert_eq!(
        got["after_tag"],
        serde_json::json!({"env": "prod", "team": "iot", "owner": "me"})
    );
    assert_eq!(
        got["after_untag"],
        serde_json::json!({"env": "prod", "owner": "me"})
    );
    assert_eq!(got["limit"], "LimitExceededException", "{got}");
    assert_eq!(got["count"], 42, "{got}");
    assert_eq!(got["missing"], "ResourceNotFoundException", "{got}");
    assert_eq!(got["untaggable"], "InvalidRequestException", "{got}");
    assert_eq!(got["reserved"], "InvalidRequestException", "{got}");
    assert_eq!(got["bad_create"], "InvalidRequestException", "{got}");
    assert_eq!(got["bad_create_made"], "ResourceNotFoundException", "{got}");
    assert_eq!(got["recreated"], serde_json::json!({}), "{got}");
    emu.shutdown().await;
}
