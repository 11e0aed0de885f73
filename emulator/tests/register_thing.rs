//! Control-plane RegisterThing (single-thing provisioning) through the aws CLI and boto3:
//! a certificate from a CSR, by id and by PEM, all-or-nothing, AWS's exceptions, and a
//! template without OverrideSettings meeting a thing it disagrees with.

mod common;

use common::{file_arg, fixture, run_python, TestEmulator};
use serde_json::{json, Value};

const ACCOUNT: &str = "arn:aws:iot:us-east-1:123456789012";

/// A P-256 CSR with subject `CN=<cn>`.
fn csr_pem(cn: &str) -> String {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let request = params.serialize_request(&key).expect("csr");
    request.pem().expect("pem")
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_register_thing_issues_a_certificate_for_the_csr() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let parameters = json!({"ThingName": "MyProvisionedThing", "CSR": csr_pem("dev-1")});
    let params = file_arg(&dir, "params.json", &parameters.to_string());
    let got = emu
        .aws_ok(&[
            "register-thing",
            "--template-body",
            &fixture("templates/single-csr.json"),
            "--parameters",
            &params,
        ])
        .await;
    let arns = &got["resourceArns"];
    assert_eq!(arns["thing"], format!("{ACCOUNT}:thing/MyProvisionedThing"));
    let cert_arn = arns["certificate"].as_str().expect("certificate arn");
    let id = cert_arn.rsplit('/').next().unwrap();
    let policy = arns["PolicyLogicalName"].as_str().expect("policy arn");
    assert!(policy.starts_with(&format!("{ACCOUNT}:policy/")), "{got}");
    assert!(got["certificatePem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let cert = emu
        .aws_ok(&["describe-certificate", "--certificate-id", id])
        .await;
    assert_eq!(cert["certificateDescription"]["status"], "ACTIVE");
    let thing = emu
        .aws_ok(&["describe-thing", "--thing-name", "MyProvisionedThing"])
        .await;
    assert_eq!(
        thing["attributes"],
        json!({"version": "v1", "serialNumber": "serialnumber"})
    );
    let principals = emu
        .aws_ok(&[
            "list-thing-principals",
            "--thing-name",
            "MyProvisionedThing",
        ])
        .await;
    assert_eq!(principals["principals"], json!([cert_arn]));
    let policies = emu
        .aws_ok(&["list-attached-policies", "--target", cert_arn])
        .await;
    assert_eq!(policies["policies"][0]["policyArn"], policy);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_register_thing_failures_leave_nothing_behind() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let body: Value = serde_json::from_str(
        &std::fs::read_to_string(
            fixture("templates/single-csr.json").trim_start_matches("file://"),
        )
        .expect("fixture"),
    )
    .expect("json");
    let mut typed = body.clone();
    typed["Resources"]["thing"]["Properties"]["ThingTypeName"] = json!("NoSuchType");
    let typed = file_arg(&dir, "typed.json", &typed.to_string());
    let parameters = json!({"ThingName": "Never", "CSR": csr_pem("dev-2")});
    let params = file_arg(&dir, "params.json", &parameters.to_string());
    let cases = [
        (
            typed.as_str(),
            params.as_str(),
            "ResourceRegistrationFailureException",
        ),
        (
            "{\"Resources\": 3}",
            params.as_str(),
            "InvalidRequestException",
        ),
        (
            &fixture("templates/single-csr.json"),
            "ThingName=Never",
            "InvalidRequestException",
        ),
    ];
    for (template, parameters, exception) in cases {
        let err = emu
            .aws_err(&[
                "register-thing",
                "--template-body",
                template,
                "--parameters",
                parameters,
            ])
            .await;
        assert_eq!(err, exception, "{template}");
    }
    let bad_csr = file_arg(
        &dir,
        "bad.json",
        &json!({"ThingName": "Never", "CSR": "nope"}).to_string(),
    );
    let err = emu
        .aws_err(&[
            "register-thing",
            "--template-body",
            &fixture("templates/single-csr.json"),
            "--parameters",
            &bad_csr,
        ])
        .await;
    assert_eq!(err, "InvalidRequestException");
    assert_eq!(emu.aws_ok(&["list-things"]).await["things"], json!([]));
    assert_eq!(
        emu.aws_ok(&["list-certificates"]).await["certificates"],
        json!([])
    );
    assert_eq!(emu.aws_ok(&["list-policies"]).await["policies"], json!([]));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_register_thing_by_id_and_pem_and_its_exceptions() {
    let emu = TestEmulator::start().await;
    let url = emu.api_url().to_string();
    let out = tokio::task::spawn_blocking(move || run_python("register_thing.py", &[&url]))
        .await
        .expect("python task");
    assert!(out.success, "register_thing.py failed: {}", out.stderr);
    let got = out.json();
    assert_eq!(got["by_id"]["samePem"], true, "{got}");
    assert_eq!(got["by_id"]["status"], "ACTIVE", "{got}");
    assert_eq!(
        got["by_id"]["resourceArns"]["thing"],
        format!("{ACCOUNT}:thing/by-id")
    );
    let pem_arns = &got["by_pem"]["resourceArns"];
    assert_eq!(
        got["by_pem"]["principals"],
        json!([pem_arns["cert"]]),
        "{got}"
    );
    let failure = json!({"code": "ResourceRegistrationFailureException",
                         "modeled": "ResourceRegistrationFailureException", "status": 400});
    assert_eq!(got["missing_type"], failure, "{got}");
    assert_eq!(got["unknown_cert"], failure, "{got}");
    let invalid = json!({"code": "InvalidRequestException",
                         "modeled": "InvalidRequestException", "status": 400});
    assert_eq!(got["missing_parameter"], invalid, "{got}");
    assert_eq!(got["bad_template"], invalid, "{got}");
    assert_eq!(got["things"], json!(["by-id", "by-pem"]), "{got}");
    assert_eq!(got["fresh_status"], "INACTIVE", "{got}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_register_thing_without_override_settings_refuses_a_conflicting_thing() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let attributes = r#"{"attributes": {"version": "v0"}}"#;
    emu.aws_ok(&["create-thing", "--thing-name", "Existing"])
        .await;
    emu.aws_ok(&[
        "update-thing",
        "--thing-name",
        "Existing",
        "--attribute-payload",
        attributes,
    ])
    .await;
    let parameters = json!({"ThingName": "Existing", "CSR": csr_pem("dev-3")});
    let params = file_arg(&dir, "params.json", &parameters.to_string());
    let template = fixture("templates/single-csr.json");
    let args = [
        "register-thing",
        "--template-body",
        &template,
        "--parameters",
        &params,
    ];
    let out = emu.aws(&args).await;
    assert_eq!(
        out.exception().as_deref(),
        Some("ResourceRegistrationFailureException"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("AttributePayload conflicts with AttributePayload in Template"),
        "{}",
        out.stderr
    );
    let thing = emu
        .aws_ok(&["describe-thing", "--thing-name", "Existing"])
        .await;
    assert_eq!(thing["attributes"], json!({"version": "v0"}));
    assert_eq!(thing["version"], 2);
    assert_eq!(
        emu.aws_ok(&["list-certificates"]).await["certificates"],
        json!([])
    );
    assert_eq!(emu.aws_ok(&["list-policies"]).await["policies"], json!([]));
    // With OverrideSettings the template's choice applies, as before.
    let mut body: Value = serde_json::from_str(
        &std::fs::read_to_string(template.trim_start_matches("file://")).unwrap(),
    )
    .unwrap();
    body["Resources"]["thing"]["OverrideSettings"] = json!({"AttributePayload": "REPLACE"});
    let replacing = file_arg(&dir, "replacing.json", &body.to_string());
    emu.aws_ok(&[
        "register-thing",
        "--template-body",
        &replacing,
        "--parameters",
        &params,
    ])
    .await;
    let thing = emu
        .aws_ok(&["describe-thing", "--thing-name", "Existing"])
        .await;
    assert_eq!(
        thing["attributes"],
        json!({"version": "v1", "serialNumber": "serialnumber"})
    );
    emu.shutdown().await;
}
