//! Stacks of IoT resources: a JITP-shaped stack end to end, and every failure path.

use serde_json::Value;

use crate::{started, template};

#[tokio::test(flavor = "multi_thread")]
async fn a_jitp_stack_deploys_updates_and_deletes_with_the_aws_cli() {
    let (emu, cli, _work) = started().await;
    let jitp = template("jitp.yml");
    let deploy = [
        "cloudformation",
        "deploy",
        "--template-file",
        &jitp,
        "--stack-name",
        "otameshi-jitp",
        "--capabilities",
        "CAPABILITY_IAM",
    ];
    let out = cli.ok(&deploy).await;
    assert!(
        out.stdout
            .contains("Successfully created/updated stack - otameshi-jitp"),
        "{}",
        out.stdout
    );

    let stacks = cli
        .json(&[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            "otameshi-jitp",
        ])
        .await;
    assert_eq!(
        stacks["Stacks"][0]["StackStatus"], "CREATE_COMPLETE",
        "{stacks}"
    );
    let policy = cli
        .output("otameshi-jitp", "IoTPolicyNameProvisioned")
        .await;
    assert!(
        policy.starts_with("otameshi-jitp-DevicePolicy-"),
        "{policy}"
    );
    let doc = cli
        .json(&["iot", "get-policy", "--policy-name", &policy])
        .await;
    let text = doc["policyDocument"].as_str().unwrap();
    assert!(
        text.contains(
            "arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"
        ),
        "{text}"
    );
    let group_id = cli
        .output("otameshi-jitp", "IoTThingGroupIdProvisioned")
        .await;
    let groups = cli.json(&["iot", "list-thing-groups"]).await;
    let group_name = groups["thingGroups"][0]["groupName"]
        .as_str()
        .unwrap()
        .to_string();
    let group = cli
        .json(&[
            "iot",
            "describe-thing-group",
            "--thing-group-name",
            &group_name,
        ])
        .await;
    assert_eq!(group["thingGroupId"], group_id.as_str());
    // The resource's Tags reach the thing group, as ListTagsForResource shows them.
    let arn = group["thingGroupArn"].as_str().unwrap();
    let tags = cli
        .json(&["iot", "list-tags-for-resource", "--resource-arn", arn])
        .await;
    assert_eq!(
        tags["tags"],
        serde_json::json!([{"Key": "stack", "Value": "otameshi-jitp"}])
    );
    let template_name = cli.output("otameshi-jitp", "TemplateName").await;
    let t = cli
        .json(&[
            "iot",
            "describe-provisioning-template",
            "--template-name",
            &template_name,
        ])
        .await;
    assert_eq!(t["type"], "JITP");
    assert!(
        t["templateBody"]
            .as_str()
            .unwrap()
            .contains("\"ThingTypeName\": \"Bulb\""),
        "{t}"
    );
    assert!(
        t["provisioningRoleArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:iam::123456789012:role/otameshi-jitp-ProvisioningRole-"),
        "{t}"
    );

    // The same deploy again: nothing to change, as the CLI reports it.
    let again = cli.fails(&deploy).await;
    assert!(
        again.contains("No changes to deploy. Stack otameshi-jitp is up to date"),
        "{again}"
    );

    // A new parameter value replaces the thing type and the template that names it.
    let mut update = deploy.to_vec();
    update.extend(["--parameter-overrides", "ThingTypeName=Lamp"]);
    cli.ok(&update).await;
    let t = cli
        .json(&[
            "iot",
            "describe-provisioning-template",
            "--template-name",
            &cli.output("otameshi-jitp", "TemplateName").await,
        ])
        .await;
    assert!(
        t["templateBody"]
            .as_str()
            .unwrap()
            .contains("\"ThingTypeName\": \"Lamp\""),
        "{t}"
    );
    let types = cli.json(&["iot", "list-thing-types"]).await;
    let names: Vec<&str> = types["thingTypes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["thingTypeName"].as_str())
        .collect();
    assert_eq!(names, ["Lamp"]);
    let events = cli
        .json(&[
            "cloudformation",
            "describe-stack-events",
            "--stack-name",
            "otameshi-jitp",
        ])
        .await;
    assert_eq!(
        events["StackEvents"][0]["ResourceStatus"], "UPDATE_COMPLETE",
        "{events}"
    );

    cli.ok(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "otameshi-jitp",
    ])
    .await;
    cli.ok(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        "otameshi-jitp",
    ])
    .await;
    let gone = cli
        .fails(&["iot", "get-policy", "--policy-name", &policy])
        .await;
    assert!(gone.contains("ResourceNotFoundException"), "{gone}");
    for (list, key) in [
        ("list-thing-groups", "thingGroups"),
        ("list-thing-types", "thingTypes"),
        ("list-provisioning-templates", "templates"),
    ] {
        let left = cli.json(&["iot", list]).await;
        assert_eq!(
            left[key].as_array().map(Vec::len).unwrap_or(0),
            0,
            "{list}: {left}"
        );
    }
    let missing = cli
        .fails(&[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            "otameshi-jitp",
        ])
        .await;
    assert!(
        missing.contains("Stack with id otameshi-jitp does not exist"),
        "{missing}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_come_back_as_the_cli_shows_them_on_aws() {
    let (emu, cli, _work) = started().await;
    let jitp = template("jitp.yml");
    let bad = cli
        .fails(&[
            "cloudformation",
            "deploy",
            "--template-file",
            &jitp,
            "--stack-name",
            "bad-param",
            "--capabilities",
            "CAPABILITY_IAM",
            "--parameter-overrides",
            "ClaimCertId=xyz",
        ])
        .await;
    assert!(
        bad.contains("Parameter 'ClaimCertId' must match pattern ^[a-f0-9]{64}$"),
        "{bad}"
    );
    let no_caps = cli
        .fails(&[
            "cloudformation",
            "deploy",
            "--template-file",
            &jitp,
            "--stack-name",
            "no-caps",
        ])
        .await;
    assert!(
        no_caps.contains("InsufficientCapabilities") && no_caps.contains("CAPABILITY_IAM"),
        "{no_caps}"
    );

    let unsupported = template("unsupported.yml");
    let out = cli
        .fails(&[
            "cloudformation",
            "deploy",
            "--template-file",
            &unsupported,
            "--stack-name",
            "sns",
        ])
        .await;
    assert!(
        out.contains("FAILED") && out.contains("AWS::SNS::Topic"),
        "{out}"
    );

    // A resource that fails rolls the stack back; what was made before it is deleted.
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#;
    cli.ok(&[
        "iot",
        "create-policy",
        "--policy-name",
        "taken-by-hand",
        "--policy-document",
        doc,
    ])
    .await;
    let failing = template("failing.yml");
    let out = cli
        .fails(&[
            "cloudformation",
            "deploy",
            "--template-file",
            &failing,
            "--stack-name",
            "clash",
        ])
        .await;
    assert!(out.contains("Failed to create/update the stack"), "{out}");
    let events = cli
        .json(&[
            "cloudformation",
            "describe-stack-events",
            "--stack-name",
            "clash",
        ])
        .await;
    let failed: Vec<&Value> = events["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ResourceStatus"] == "CREATE_FAILED")
        .collect();
    assert_eq!(failed.len(), 1, "{events}");
    assert_eq!(failed[0]["LogicalResourceId"], "Clash");
    assert!(
        failed[0]["ResourceStatusReason"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{events}"
    );
    let thing = cli
        .fails(&[
            "iot",
            "describe-thing",
            "--thing-name",
            "made-then-rolled-back",
        ])
        .await;
    assert!(thing.contains("ResourceNotFoundException"), "{thing}");
    let stacks = cli
        .json(&["cloudformation", "describe-stacks", "--stack-name", "clash"])
        .await;
    assert_eq!(stacks["Stacks"][0]["StackStatus"], "ROLLBACK_COMPLETE");

    // Deleting a stack that does not exist succeeds, and so does waiting for it.
    cli.ok(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "never-was",
    ])
    .await;
    cli.ok(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        "never-was",
    ])
    .await;
    let summary = cli
        .json(&[
            "cloudformation",
            "validate-template",
            "--template-body",
            &format!("file://{jitp}"),
        ])
        .await;
    assert_eq!(
        summary["Parameters"].as_array().unwrap().len(),
        2,
        "{summary}"
    );
    assert_eq!(summary["Capabilities"][0], "CAPABILITY_IAM");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn update_replace_policy_retain_keeps_the_replaced_resource() {
    let (emu, cli, _work) = started().await;
    let retain = template("retain.yml");
    let deploy = |name: &'static str| {
        [
            "cloudformation",
            "deploy",
            "--template-file",
            retain.as_str(),
            "--stack-name",
            "retain",
            "--parameter-overrides",
            name,
        ]
    };
    cli.ok(&deploy("Name=first")).await;
    cli.ok(&deploy("Name=second")).await;
    for kept in ["first", "second", "second-replaced"] {
        cli.ok(&["iot", "describe-thing", "--thing-name", kept])
            .await;
    }
    let gone = cli
        .fails(&["iot", "describe-thing", "--thing-name", "first-replaced"])
        .await;
    assert!(gone.contains("ResourceNotFoundException"), "{gone}");
    let events = cli
        .json(&[
            "cloudformation",
            "describe-stack-events",
            "--stack-name",
            "retain",
        ])
        .await;
    let skipped = events["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["LogicalResourceId"] == "Kept" && e["ResourceStatus"] == "DELETE_SKIPPED");
    assert!(skipped, "{events}");
    emu.shutdown().await;
}
