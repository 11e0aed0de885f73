//! Stack updates of functions and provisioning templates: new code (a changed directory
//! through `package`, or a changed inline `ZipFile`), environment and template body update
//! them in place (same ARN, change set `Modify`/`Replacement: False`); a failure later in
//! the update rolls them back; a new `FunctionName` replaces the function.

use std::path::Path;

use serde_json::Value;

use crate::{started_with_lambda, Cli};

const STACK: &str = "updates";

/// The hook function's code, version `n`.
fn write_code(work: &Path, n: u32) {
    let dir = work.join("updates_fn");
    std::fs::create_dir_all(&dir).unwrap();
    let source = format!(
        "import os\n\n\ndef handler(event, context):\n    return {{\"version\": {n}, \"greeting\": os.environ[\"GREETING\"]}}\n"
    );
    std::fs::write(dir.join("app.py"), source).unwrap();
}

async fn package(cli: &Cli) {
    cli.ok(&[
        "cloudformation",
        "package",
        "--template-file",
        "updates.yml",
        "--s3-bucket",
        "artifacts",
        "--output-template-file",
        "updates.packaged.yml",
    ])
    .await;
}

/// `aws cloudformation deploy` of the packaged template with `overrides`, with extra
/// arguments (`--no-execute-changeset`).
fn deploy_args<'a>(overrides: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "cloudformation",
        "deploy",
        "--template-file",
        "updates.packaged.yml",
        "--stack-name",
        STACK,
        "--capabilities",
        "CAPABILITY_IAM",
    ];
    args.extend_from_slice(extra);
    if !overrides.is_empty() {
        args.push("--parameter-overrides");
        args.extend_from_slice(overrides);
    }
    args
}

async fn invoke(cli: &Cli, function: &str) -> Value {
    let out = format!("{function}.json");
    cli.ok(&["lambda", "invoke", "--function-name", function, &out])
        .await;
    let path = cli.dir.join(&out);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

async fn function_arn(cli: &Cli, function: &str) -> Value {
    let got = cli
        .json(&["lambda", "get-function", "--function-name", function])
        .await;
    got["Configuration"]["FunctionArn"].clone()
}

async fn template(cli: &Cli, name: &str) -> Value {
    cli.json(&[
        "iot",
        "describe-provisioning-template",
        "--template-name",
        name,
    ])
    .await
}

/// The only change set of the stack: its name and `{logical id: (action, replacement)}`.
async fn pending_changes(cli: &Cli) -> (String, Vec<(String, String, String)>) {
    let listed = cli
        .json(&["cloudformation", "list-change-sets", "--stack-name", STACK])
        .await;
    let name = listed["Summaries"][0]["ChangeSetName"]
        .as_str()
        .unwrap_or_else(|| panic!("no change set: {listed}"))
        .to_string();
    let described = cli
        .json(&[
            "cloudformation",
            "describe-change-set",
            "--stack-name",
            STACK,
            "--change-set-name",
            &name,
        ])
        .await;
    let mut changes: Vec<(String, String, String)> = described["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let r = &c["ResourceChange"];
            let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (
                field("LogicalResourceId"),
                field("Action"),
                field("Replacement"),
            )
        })
        .collect();
    changes.sort();
    (name, changes)
}

fn modify(ids: &[&str], replacement: &str) -> Vec<(String, String, String)> {
    ids.iter()
        .map(|id| (id.to_string(), "Modify".into(), replacement.into()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn code_environment_and_template_body_update_in_place_and_roll_back() {
    let (emu, cli, work) = started_with_lambda().await;
    let fixture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cfn");
    std::fs::copy(fixture.join("updates.yml"), work.path().join("updates.yml")).unwrap();
    write_code(work.path(), 1);
    package(&cli).await;
    cli.ok(&deploy_args(&[], &[])).await;
    let hook = cli.output(STACK, "HookName").await;
    let inline = cli.output(STACK, "InlineName").await;
    let template_name = cli.output(STACK, "TemplateName").await;
    let hook_arn = function_arn(&cli, &hook).await;
    let inline_arn = function_arn(&cli, &inline).await;
    assert_eq!(invoke(&cli, &hook).await["greeting"], "first");
    assert_eq!(invoke(&cli, &inline).await["inline"], "first");

    // New code in the directory `package` zips, a new environment and template body.
    write_code(work.path(), 2);
    package(&cli).await;
    let second = ["Greeting=second", "Model=lamp"];
    cli.ok(&deploy_args(&second, &["--no-execute-changeset"]))
        .await;
    let (change_set, changes) = pending_changes(&cli).await;
    assert_eq!(changes, modify(&["Hook", "Inline", "Template"], "False"));
    cli.ok(&[
        "cloudformation",
        "execute-change-set",
        "--stack-name",
        STACK,
        "--change-set-name",
        &change_set,
    ])
    .await;
    let wait = ["cloudformation", "wait", "stack-update-complete"];
    cli.ok(&[&wait[..], &["--stack-name", STACK]].concat())
        .await;
    let reply = invoke(&cli, &hook).await;
    assert_eq!(
        (&reply["version"], &reply["greeting"]),
        (&2.into(), &"second".into())
    );
    assert_eq!(invoke(&cli, &inline).await["inline"], "second");
    assert_eq!(function_arn(&cli, &hook).await, hook_arn);
    assert_eq!(function_arn(&cli, &inline).await, inline_arn);
    let t = template(&cli, &template_name).await;
    assert_eq!(t["description"], "templates for lamps", "{t}");
    assert_eq!(t["defaultVersionId"], 2, "{t}");
    assert!(
        t["templateBody"]
            .as_str()
            .unwrap()
            .contains("\"model\": \"lamp\""),
        "{t}"
    );
    assert_eq!(t["preProvisioningHook"]["targetArn"], hook_arn, "{t}");

    rolled_back_update(&cli, &hook, &inline, &template_name).await;
    renamed_function_is_replaced(&cli, &inline).await;
    cli.ok(&["cloudformation", "delete-stack", "--stack-name", STACK])
        .await;
    for function in [&hook, &format!("{STACK}-inline-b")] {
        let gone = cli
            .fails(&["lambda", "get-function", "--function-name", function])
            .await;
        assert!(gone.contains("ResourceNotFoundException"), "{gone}");
    }
    let gone = cli
        .fails(&[
            "iot",
            "describe-provisioning-template",
            "--template-name",
            &template_name,
        ])
        .await;
    assert!(gone.contains("ResourceNotFoundException"), "{gone}");
    emu.shutdown().await;
}

/// A policy of the new name exists, so the update fails at `Blocker`, after the functions
/// and the template were updated: the rollback puts their old code, environment and body
/// back.
async fn rolled_back_update(cli: &Cli, hook: &str, inline: &str, template_name: &str) {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#;
    cli.ok(&[
        "iot",
        "create-policy",
        "--policy-name",
        "taken",
        "--policy-document",
        doc,
    ])
    .await;
    let third = ["Greeting=third", "Model=lamp3", "BlockerName=taken"];
    let failed = cli.fails(&deploy_args(&third, &[])).await;
    assert!(
        failed.contains("Failed to create/update the stack"),
        "{failed}"
    );
    let stacks = cli
        .json(&["cloudformation", "describe-stacks", "--stack-name", STACK])
        .await;
    assert_eq!(
        stacks["Stacks"][0]["StackStatus"],
        "UPDATE_ROLLBACK_COMPLETE"
    );
    let reply = invoke(cli, hook).await;
    assert_eq!(
        (&reply["version"], &reply["greeting"]),
        (&2.into(), &"second".into())
    );
    assert_eq!(invoke(cli, inline).await["inline"], "second");
    let t = template(cli, template_name).await;
    assert_eq!(t["description"], "templates for lamps", "{t}");
    let body = t["templateBody"].as_str().unwrap();
    assert!(
        body.contains("\"model\": \"lamp\"") && !body.contains("lamp3"),
        "{t}"
    );
    cli.ok(&["iot", "get-policy", "--policy-name", "updates-blocker"])
        .await;
}

/// A new `FunctionName` is a replacement: a new function, the old one deleted.
async fn renamed_function_is_replaced(cli: &Cli, inline: &str) {
    let renamed = ["Greeting=second", "Model=lamp", "InlineSuffix=b"];
    cli.ok(&deploy_args(&renamed, &["--no-execute-changeset"]))
        .await;
    let (change_set, changes) = pending_changes(cli).await;
    assert_eq!(changes, modify(&["Inline"], "True"));
    cli.ok(&[
        "cloudformation",
        "execute-change-set",
        "--stack-name",
        STACK,
        "--change-set-name",
        &change_set,
    ])
    .await;
    let name = cli.output(STACK, "InlineName").await;
    assert_eq!(name, format!("{STACK}-inline-b"));
    assert_eq!(invoke(cli, &name).await["inline"], "second");
    let gone = cli
        .fails(&["lambda", "get-function", "--function-name", inline])
        .await;
    assert!(gone.contains("ResourceNotFoundException"), "{gone}");
}
