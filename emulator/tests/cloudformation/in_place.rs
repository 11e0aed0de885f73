//! Updates that AWS makes without replacement happen in place: the change set says
//! `Replacement: False`, the physical ids stay, and the new properties are there.

use crate::{started, template, Cli};

async fn describe(cli: &Cli, what: &str, flag: &str, name: &str) -> serde_json::Value {
    cli.json(&["iot", what, flag, name]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn property_changes_update_things_groups_and_policies_in_place() {
    let (emu, cli, _work) = started().await;
    let file = template("in_place.yml");
    let deploy = [
        "cloudformation",
        "deploy",
        "--template-file",
        &file,
        "--stack-name",
        "in-place",
    ];
    cli.ok(&deploy).await;
    let thing = cli.output("in-place", "Thing").await;
    let group = cli.output("in-place", "Group").await;
    let policy = cli.output("in-place", "Policy").await;
    let thing_id =
        describe(&cli, "describe-thing", "--thing-name", &thing).await["thingId"].clone();
    let group_id = describe(&cli, "describe-thing-group", "--thing-group-name", &group).await
        ["thingGroupId"]
        .clone();

    let change_set = [
        "cloudformation",
        "create-change-set",
        "--stack-name",
        "in-place",
        "--change-set-name",
        "lamps",
        "--use-previous-template",
        "--parameters",
        "ParameterKey=Model,ParameterValue=lamp",
    ];
    cli.ok(&change_set).await;
    let described = cli
        .json(&[
            "cloudformation",
            "describe-change-set",
            "--stack-name",
            "in-place",
            "--change-set-name",
            "lamps",
        ])
        .await;
    let changes = described["Changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 3, "{described}");
    for c in changes {
        let r = &c["ResourceChange"];
        assert_eq!(
            (&r["Action"], &r["Replacement"]),
            (&"Modify".into(), &"False".into()),
            "{c}"
        );
    }
    let execute = [
        "cloudformation",
        "execute-change-set",
        "--stack-name",
        "in-place",
        "--change-set-name",
        "lamps",
    ];
    cli.ok(&execute).await;

    assert_eq!(cli.output("in-place", "Thing").await, thing);
    let t = describe(&cli, "describe-thing", "--thing-name", &thing).await;
    assert_eq!(
        (&t["thingId"], &t["attributes"]["model"]),
        (&thing_id, &"lamp".into()),
        "{t}"
    );
    let g = describe(&cli, "describe-thing-group", "--thing-group-name", &group).await;
    assert_eq!(g["thingGroupId"], group_id, "{g}");
    assert_eq!(
        g["thingGroupProperties"]["thingGroupDescription"],
        "group of lamps"
    );
    let p = describe(&cli, "get-policy", "--policy-name", &policy).await;
    assert!(
        p["policyDocument"]
            .as_str()
            .unwrap()
            .contains("topic/lamp/*"),
        "{p}"
    );
    let versions = describe(&cli, "list-policy-versions", "--policy-name", &policy).await;
    assert_eq!(
        versions["policyVersions"].as_array().map(Vec::len),
        Some(1),
        "{versions}"
    );
    let events = cli
        .json(&[
            "cloudformation",
            "describe-stack-events",
            "--stack-name",
            "in-place",
        ])
        .await;
    let statuses: Vec<&str> = events["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["ResourceStatus"].as_str())
        .collect();
    assert!(!statuses.contains(&"DELETE_COMPLETE"), "{statuses:?}");
    assert_eq!(statuses[0], "UPDATE_COMPLETE", "{statuses:?}");
    emu.shutdown().await;
}
