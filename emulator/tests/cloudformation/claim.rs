//! The users' claim stack (field note 000): a device provisioned through the stack's
//! hook function.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{self, TestEmulator};
use crate::{started_with_lambda, Cli};

/// Runs `py/fleet.py provision` for one serial number with the claim certificate in `dir`.
async fn provision_by_claim(emu: &TestEmulator, dir: &std::path::Path, o: &ClaimRun) -> Value {
    let ready = &emu.running.ready;
    let out_dir = dir.join(&o.serial);
    std::fs::create_dir_all(&out_dir).unwrap();
    let options = serde_json::json!({
        "proto": "mqtt5", "host": ready.mqtt_host, "port": ready.mqtt_port,
        "ca": ready.root_ca_path, "cert": dir.join("claim.pem.crt"),
        "key": dir.join("claim.private.key"), "out_dir": out_dir,
        "client_id": format!("{}{}", o.prefix, o.serial), "template": o.template,
        "parameters": {"SerialNumber": o.serial}, "reconnect": o.reconnect,
    });
    let args = vec!["provision".to_string(), options.to_string()];
    let out = common::run_python_async("fleet.py", args).await;
    assert!(out.success, "fleet.py failed: {}", out.stderr);
    out.json()
}

struct ClaimRun {
    prefix: String,
    template: String,
    serial: String,
    reconnect: bool,
}

/// The claim stack of field note 000: package, deploy with the claim certificate's id.
async fn deploy_claim_stack(cli: &Cli, work: &std::path::Path) -> String {
    let cfn = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cfn");
    for file in ["claim.yml", "hook/app.py"] {
        let to = work.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(cfn.join(file), to).unwrap();
    }
    let created = cli
        .json(&[
            "iot",
            "create-keys-and-certificate",
            "--set-as-active",
            "--certificate-pem-outfile",
            "claim.pem.crt",
            "--public-key-outfile",
            "claim.public.key",
            "--private-key-outfile",
            "claim.private.key",
        ])
        .await;
    let claim_id = created["certificateId"].as_str().unwrap().to_string();
    let package = [
        "cloudformation",
        "package",
        "--template-file",
        "claim.yml",
        "--s3-bucket",
        "artifacts",
        "--output-template-file",
        "claim.packaged.yml",
    ];
    cli.ok(&package).await;
    let parameter = format!("ClaimCertId={claim_id}");
    let deploy = [
        "cloudformation",
        "deploy",
        "--template-file",
        "claim.packaged.yml",
        "--stack-name",
        "otameshi-claim",
        "--parameter-overrides",
        &parameter,
        "--capabilities",
        "CAPABILITY_IAM",
    ];
    let started = std::time::Instant::now();
    cli.ok(&deploy).await;
    // Printed, never asserted: speed is measured, not tested.
    println!(
        "aws cloudformation deploy (claim stack): {:?}",
        started.elapsed()
    );
    claim_id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_stack_provisions_through_its_hook_function_and_deletes_cleanly() {
    let (emu, cli, work) = started_with_lambda().await;
    let claim_id = deploy_claim_stack(&cli, work.path()).await;
    let stack = "otameshi-claim";
    let prefix = cli.output(stack, "ClaimClientIdPrefix").await;
    let template = cli.output(stack, "TemplateName").await;
    let device_policy = cli.output(stack, "IoTPolicyNameProvisioned").await;
    let hook = cli.output(stack, "HookFunctionName").await;

    // The `${!…}` escapes reached the policy as IoT policy variables.
    let got = cli
        .json(&["iot", "get-policy", "--policy-name", &device_policy])
        .await;
    let document = got["policyDocument"].as_str().unwrap();
    assert!(
        document.contains("client/${iot:Connection.Thing.ThingName}") && !document.contains("${!"),
        "{document}"
    );
    let described = cli
        .json(&[
            "iot",
            "describe-provisioning-template",
            "--template-name",
            &template,
        ])
        .await;
    let function = cli
        .json(&["lambda", "get-function", "--function-name", &hook])
        .await;
    let hook_arn = &function["Configuration"]["FunctionArn"];
    assert_eq!(described["preProvisioningHook"]["targetArn"], *hook_arn);
    assert!(
        described["templateBody"]
            .as_str()
            .unwrap()
            .contains(&device_policy),
        "{described}"
    );
    let attached = cli
        .json(&[
            "iot",
            "list-attached-policies",
            "--target",
            &format!("arn:aws:iot:us-east-1:123456789012:cert/{claim_id}"),
        ])
        .await;
    assert_eq!(
        attached["policies"].as_array().unwrap().len(),
        1,
        "{attached}"
    );

    let run = |serial: &str, reconnect: bool| ClaimRun {
        prefix: prefix.clone(),
        template: template.clone(),
        serial: serial.to_string(),
        reconnect,
    };
    let allowed = provision_by_claim(&emu, work.path(), &run("TestThingClaim", true)).await;
    assert_eq!(
        allowed["registered"]["thingName"], "Fleet_Provisioned_TestThingClaim",
        "{allowed}"
    );
    assert_eq!(allowed["reconnected"], true, "{allowed}");
    let denied = provision_by_claim(&emu, work.path(), &run("deny-me", false)).await;
    assert_eq!(denied["rejected"]["op"], "register", "{denied}");
    assert_eq!(denied["rejected"]["statusCode"], 403, "{denied}");
    assert_eq!(denied["rejected"]["errorCode"], "AccessDenied", "{denied}");

    // The hook function ran for both, and printed each event to its log group.
    let group = format!("/aws/lambda/{hook}");
    let events = cli
        .json(&[
            "logs",
            "filter-log-events",
            "--log-group-name",
            &group,
            "--filter-pattern",
            "hook",
        ])
        .await;
    let printed = events["events"].to_string();
    assert!(
        printed.contains("TestThingClaim") && printed.contains("deny-me"),
        "{printed}"
    );

    teardown_claim_stack(&cli, &allowed, &device_policy).await;
    for (args, error) in [
        (
            vec!["iot", "get-policy", "--policy-name", &device_policy],
            "ResourceNotFoundException",
        ),
        (
            vec![
                "iot",
                "describe-provisioning-template",
                "--template-name",
                &template,
            ],
            "ResourceNotFoundException",
        ),
        (
            vec!["lambda", "get-function", "--function-name", &hook],
            "ResourceNotFoundException",
        ),
    ] {
        let gone = cli.fails(&args).await;
        assert!(gone.contains(error), "{args:?}: {gone}");
    }
    let policies = cli.json(&["iot", "list-policies"]).await;
    assert_eq!(policies["policies"], serde_json::json!([]), "{policies}");
    let attached = cli
        .json(&[
            "iot",
            "list-attached-policies",
            "--target",
            &format!("arn:aws:iot:us-east-1:123456789012:cert/{claim_id}"),
        ])
        .await;
    assert_eq!(attached["policies"], serde_json::json!([]), "{attached}");
    // The denied device left no thing behind (the allowed one was deleted above).
    let things = cli.json(&["iot", "list-things"]).await;
    assert_eq!(things["things"], serde_json::json!([]), "{things}");
    let templates = cli.json(&["iot", "list-provisioning-templates"]).await;
    assert_eq!(templates["templates"], serde_json::json!([]), "{templates}");
    let functions = cli.json(&["lambda", "list-functions"]).await;
    assert_eq!(functions["Functions"], serde_json::json!([]), "{functions}");
    emu.shutdown().await;
}

/// Field note 000's deletion: the thing and its certificate, then the stack.
async fn teardown_claim_stack(cli: &Cli, allowed: &Value, device_policy: &str) {
    let thing = allowed["registered"]["thingName"].as_str().unwrap();
    let cert_id = allowed["created"]["certificateId"].as_str().unwrap();
    let cert_arn = format!("arn:aws:iot:us-east-1:123456789012:cert/{cert_id}");
    cli.ok(&[
        "iot",
        "detach-thing-principal",
        "--thing-name",
        thing,
        "--principal",
        &cert_arn,
    ])
    .await;
    cli.ok(&["iot", "delete-thing", "--thing-name", thing])
        .await;
    cli.ok(&[
        "iot",
        "detach-policy",
        "--policy-name",
        device_policy,
        "--target",
        &cert_arn,
    ])
    .await;
    cli.ok(&[
        "iot",
        "update-certificate",
        "--certificate-id",
        cert_id,
        "--new-status",
        "INACTIVE",
    ])
    .await;
    cli.ok(&["iot", "delete-certificate", "--certificate-id", cert_id])
        .await;
    cli.ok(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "otameshi-claim",
    ])
    .await;
    cli.ok(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        "otameshi-claim",
    ])
    .await;
}
