//! CloudFormation: the claim-shaped stack (`fixtures/stacks/claim-hook.yml`: a Python
//! pre-provisioning hook function, policies with `${!iot:…}` escapes, the claim policy
//! attached to the claim certificate, a provisioning template calling the hook) deployed
//! with the aws CLI as the users' walkthroughs do; a device provisioned through it over
//! MQTT (the hook allows, overrides a parameter, and refuses a serial outside the case's
//! prefix); then the stack deleted and nothing of it left. Against AWS it needs
//! `CONFORMANCE_LAMBDA_ROLE_ARN` and the provisioning role, and skips without them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use conformance::cli::AwsCli;
use conformance::{expect, Case};
use iot_device_client::mqtt::{Connection, Qos};
use iot_device_client::provision::Provisioner;
use iot_device_client::tls::Identity;
use iot_device_client::wire::{Format, RegisterThingResponse};
use iot_device_client::ClientError;
use serde_json::json;

fn stack_template() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/stacks/claim-hook.yml")
        .display()
        .to_string()
}

/// Deploys the stack `stack` for the claim certificate `claim_arn`; its outputs.
async fn deploy(
    case: &Case,
    cli: &AwsCli,
    stack: &str,
    claim_arn: &str,
) -> Option<BTreeMap<String, String>> {
    let lambda_role = case.lambda_role_arn()?;
    let template = stack_template();
    let parameters = [
        format!("NamePrefix={}", case.target.prefix),
        format!("ClaimCertificateArn={claim_arn}"),
        format!("LambdaRoleArn={lambda_role}"),
        format!("ProvisioningRoleArn={}", case.target.provisioning_role_arn),
    ];
    let mut args = vec![
        "cloudformation",
        "deploy",
        "--template-file",
        &template,
        "--stack-name",
        stack,
        "--parameter-overrides",
    ];
    args.extend(parameters.iter().map(String::as_str));
    let out = cli.ok(&args).await;
    assert!(
        out.stdout
            .contains(&format!("Successfully created/updated stack - {stack}")),
        "{}",
        out.stdout
    );
    Some(cli.stack_outputs(stack).await)
}

/// CreateKeysAndCertificate then RegisterThing `{"SerialNumber": serial}` over MQTT as
/// `<prefix>Claim_<n>`; the new identity and RegisterThing's outcome.
async fn provision(
    case: &mut Case,
    claim: Identity,
    template: &str,
    serial: &str,
) -> (Identity, iot_device_client::Result<RegisterThingResponse>) {
    let client_id = format!("{}Claim_{}", case.target.prefix, serial.len());
    let mut connection = Connection::connect(&case.mqtt(&client_id, claim))
        .await
        .expect("the claim connects as <prefix>Claim_*");
    // The hook's first run starts an interpreter: allow it time.
    connection.set_timeout(std::time::Duration::from_secs(30));
    let mut api = Provisioner::new(&mut connection, Format::Json);
    let created = api.create_keys_and_certificate().await.expect("accepted");
    case.track_certificate(&created.certificate_id);
    let parameters = BTreeMap::from([("SerialNumber".to_string(), serial.to_string())]);
    let registered = api
        .register_thing(
            template,
            &created.certificate_ownership_token,
            Some(parameters),
        )
        .await;
    connection.disconnect().await;
    let identity = Identity {
        cert_pem: created.certificate_pem,
        key_pem: created.private_key,
    };
    (identity, registered)
}

/// The provisioned device connects as its thing and talks on its own topics.
async fn device_talks(case: &Case, thing: &str, device: Identity) {
    let mut connection = Connection::connect(&case.mqtt(thing, device))
        .await
        .expect("the device connects as its thing");
    let topic = format!("{}things/{thing}/hello", case.target.prefix);
    connection
        .subscribe(&topic, Qos::AtLeastOnce)
        .await
        .expect("subscribes to its own topic");
    connection
        .publish(&topic, br#"{"hello":true}"#.to_vec(), Qos::AtLeastOnce)
        .await
        .expect("publishes on its own topic");
    let message = connection.recv_on(&[&topic]).await.expect("its message");
    assert_eq!(message.payload, br#"{"hello":true}"#.to_vec());
    connection.disconnect().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_stack_provisions_a_device_through_its_hook_and_deletes_cleanly() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let Some(cli) = AwsCli::for_target(&case.target, case.dir()) else {
        return case.finish().await;
    };
    let stack = case.name("claim-stack").replace('_', "-");
    let claim = case.create_certificate().await;
    let Some(outputs) = deploy(&case, &cli, &stack, &claim.certificate_arn).await else {
        return case.finish().await;
    };
    let output = |key: &str| {
        outputs
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("no output {key}: {outputs:?}"))
    };
    let (template, device_policy) = (output("TemplateName"), output("DevicePolicyName"));

    // The `${!…}` escapes reached the device policy as IoT policy variables.
    let policy = case
        .iot
        .get_policy()
        .policy_name(&device_policy)
        .send()
        .await
        .expect("GetPolicy");
    let document: serde_json::Value =
        serde_json::from_str(policy.policy_document().unwrap_or_default()).expect("JSON");
    expect::equals(
        &document,
        "$.Statement[0].Resource",
        json!(case
            .target
            .iot_arn("client/${iot:Connection.Thing.ThingName}")),
    );

    let serial = case.name("dev1");
    let (device, registered) =
        provision(&mut case, claim.identity.clone(), &template, &serial).await;
    let doc = serde_json::to_value(registered.expect("the hook allows")).unwrap();
    expect::equals(&doc, "$.thingName", json!(serial));
    let thing = case
        .iot
        .describe_thing()
        .thing_name(&serial)
        .send()
        .await
        .expect("DescribeThing");
    let hooked = thing.attributes().and_then(|a| a.get("hooked")).cloned();
    assert_eq!(
        hooked.as_deref(),
        Some("yes"),
        "the hook's parameterOverrides"
    );
    device_talks(&case, &serial, device).await;
    if !case.target.prefix.is_empty() {
        refused_outside_the_prefix(&mut case, claim.identity.clone(), &template).await;
    }

    // The device's thing and certificate first (the device policy is attached to it),
    // then the stack.
    case.remove_thing_now(&serial).await;
    cli.ok(&["cloudformation", "delete-stack", "--stack-name", &stack])
        .await;
    cli.ok(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        &stack,
    ])
    .await;
    nothing_left(&case, &cli, &stack, &outputs, &claim.certificate_arn).await;
    case.finish().await;
}

/// A serial outside the case's prefix: the hook refuses, and no thing is made.
async fn refused_outside_the_prefix(case: &mut Case, claim: Identity, template: &str) {
    let serial = format!("x{}", case.name("refused"));
    let (_, registered) = provision(case, claim, template, &serial).await;
    assert!(
        matches!(registered, Err(ClientError::Rejected { .. })),
        "expected /rejected, got {registered:?}"
    );
    let described = case.iot.describe_thing().thing_name(&serial).send().await;
    assert!(described.is_err(), "no thing when the hook refuses");
}

/// The stack is gone and so is everything it made: policies, template, function, the
/// claim certificate's attachment.
async fn nothing_left(
    case: &Case,
    cli: &AwsCli,
    stack: &str,
    outputs: &BTreeMap<String, String>,
    claim_arn: &str,
) {
    let missing = cli
        .fails(&["cloudformation", "describe-stacks", "--stack-name", stack])
        .await;
    assert!(
        missing.contains(&format!("Stack with id {stack} does not exist")),
        "{missing}"
    );
    for key in ["ClaimPolicyName", "DevicePolicyName"] {
        let got = case
            .iot
            .get_policy()
            .policy_name(&outputs[key])
            .send()
            .await;
        let code = got.err().and_then(|e| conformance::control::error_code(&e));
        assert_eq!(code.as_deref(), Some("ResourceNotFoundException"), "{key}");
    }
    let got = case
        .iot
        .describe_provisioning_template()
        .template_name(&outputs["TemplateName"])
        .send()
        .await;
    let code = got.err().and_then(|e| conformance::control::error_code(&e));
    assert_eq!(code.as_deref(), Some("ResourceNotFoundException"));
    let got = case
        .lambda
        .get_function()
        .function_name(&outputs["HookFunctionName"])
        .send()
        .await;
    let code = got.err().and_then(|e| conformance::control::error_code(&e));
    assert_eq!(code.as_deref(), Some("ResourceNotFoundException"));
    let attached = case
        .iot
        .list_attached_policies()
        .target(claim_arn)
        .send()
        .await
        .expect("ListAttachedPolicies");
    assert!(attached.policies().is_empty(), "{attached:?}");
}
