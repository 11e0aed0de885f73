//! `iot-emulator fuzz-template`, the real binary: the templates of field notes 003 (Join on
//! SerialNumber) and 004 (FindInMap on DeviceLocation) fuzzed offline name the thing-name
//! character and length classes, the missing mapping key and missing parameters, with the
//! same JSON for the same seed; `--allow` pins classes; a `--live` run through a running
//! emulator finds the same classes, confirmed by real RegisterThing rejections, and leaves
//! the registry as it found it (checked with the aws CLI); a hook bound to a local command
//! that denies some serials shows up as the hook denial class, offline and live.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{aws_blocking, spawn_binary_with, Binary};
use serde_json::{json, Value};

const HOOK_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:deny-nines";
/// Denies every serial number with a 9 in it.
const DENY_NINES: &str = r#"if grep -q '"SerialNumber":"[^"]*9'; then echo '{"allowProvisioning":false}'; else echo '{"allowProvisioning":true}'; fi"#;

/// Field note 003: the thing name joins a prefix and SerialNumber.
fn template_003() -> Value {
    json!({
        "Parameters": {"SerialNumber": {"Type": "String"}, "AWS::IoT::Certificate::Id": {"Type": "String"}},
        "Resources": {
            "certificate": {"Type": "AWS::IoT::Certificate", "Properties": {
                "CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "Active"}},
            "thing": {"Type": "AWS::IoT::Thing",
                "OverrideSettings": {"AttributePayload": "MERGE", "ThingGroups": "DO_NOTHING", "ThingTypeName": "REPLACE"},
                "Properties": {"AttributePayload": {"Make": "Sony"}, "ThingGroups": [],
                    "ThingName": {"Fn::Join": ["", ["MyThing_", {"Ref": "SerialNumber"}]]}}}
        },
        "DeviceConfiguration": {"MyDeviceOption": "Normal"}
    })
}

/// Field note 004: as 003, plus DeviceLocation through Fn::FindInMap and an inline policy.
fn template_004() -> Value {
    json!({
        "Parameters": {"DeviceLocation": {"Type": "String"}, "AWS::IoT::Certificate::Id": {"Type": "String"},
            "SerialNumber": {"Type": "String"}},
        "Mappings": {"LocationTable": {"Seattle": {"LocationUrl": "https://example.aws"}}},
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing",
                "Properties": {"ThingName": {"Fn::Join": ["", ["ThingPrefix_", {"Ref": "SerialNumber"}]]},
                    "AttributePayload": {"version": "v1", "serialNumber": "serialNumber"}},
                "OverrideSettings": {"AttributePayload": "MERGE", "ThingTypeName": "REPLACE", "ThingGroups": "DO_NOTHING"}},
            "certificate": {"Type": "AWS::IoT::Certificate",
                "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "Active"},
                "OverrideSettings": {"Status": "REPLACE"}},
            "policy": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyDocument": {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["iot:Connect", "iot:Subscribe", "iot:Publish", "iot:Receive"], "Resource": "*"}]}}}
        },
        "DeviceConfiguration": {"FallbackUrl": "https://www.example.com/test-site",
            "LocationUrl": {"Fn::FindInMap": ["LocationTable", {"Ref": "DeviceLocation"}, "LocationUrl"]}}
    })
}

fn write(dir: &Path, name: &str, body: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body.to_string()).expect("write template");
    format!("file://{}", path.display())
}

fn fuzz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iot-emulator"))
        .arg("fuzz-template")
        .args(args)
        .env_remove("AWS_ENDPOINT_URL_IOT")
        .output()
        .expect("run fuzz-template")
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn class<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["classes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no class {id} in {report:#}"))
}

fn ids(report: &Value) -> Vec<String> {
    let classes = report["classes"].as_array().cloned().unwrap_or_default();
    classes
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn serial(c: &Value) -> String {
    c["example"]["SerialNumber"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn field_notes_003_and_004_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t003 = write(dir.path(), "003.json", &template_003());
    let t004 = write(dir.path(), "004.json", &template_004());
    let args = ["--format", "json", "--seed", "7", "--cases", "3000"];
    let first = fuzz(&[&["--template-body", t004.as_str()][..], &args].concat());
    assert_eq!(
        first.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let r = report(&first);
    let pattern = class(&r, "InvalidParameters:thingName:pattern");
    assert_eq!(serial(pattern).chars().count(), 1, "{pattern:#}");
    let length = class(&r, "InvalidParameters:thingName:length");
    assert_eq!(
        serial(length).len(),
        128 - "ThingPrefix_".len() + 1,
        "{length:#}"
    );
    let location = class(&r, "InvalidParameters:Mappings.LocationTable:missing-key");
    assert_eq!(location["property"], "DeviceConfiguration.LocationUrl");
    assert!(
        location["example"]["DeviceLocation"] != "Seattle",
        "{location:#}"
    );
    for p in ["SerialNumber", "DeviceLocation"] {
        let missing = class(&r, &format!("InvalidParameters:Parameters.{p}:unresolved"));
        assert!(missing["example"].get(p).is_none(), "{missing:#}");
    }
    assert!(
        r["passRate"].as_f64().is_some_and(|p| p > 0.0 && p < 1.0),
        "{r:#}"
    );

    let again = fuzz(&[&["--template-body", t004.as_str()][..], &args].concat());
    assert_eq!(
        first.stdout, again.stdout,
        "the same seed gives the same JSON"
    );

    let r003 = report(&fuzz(
        &[&["--template-body", t003.as_str()][..], &args].concat(),
    ));
    assert_eq!(
        serial(class(&r003, "InvalidParameters:thingName:pattern"))
            .chars()
            .count(),
        1
    );
    let length = class(&r003, "InvalidParameters:thingName:length");
    assert_eq!(serial(length).len(), 128 - "MyThing_".len() + 1);
    class(
        &r003,
        "InvalidParameters:Parameters.SerialNumber:unresolved",
    );

    // Every class pinned: exit 0; the table names them for people.
    let mut pinned: Vec<String> = vec![
        "--template-body".into(),
        t004.clone(),
        "--seed".into(),
        "7".into(),
        "--cases".into(),
        "3000".into(),
    ];
    for id in ids(&r) {
        pinned.extend(["--allow".into(), id]);
    }
    let refs: Vec<&str> = pinned.iter().map(String::as_str).collect();
    let table = fuzz(&refs);
    assert_eq!(
        table.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&table.stdout)
    );
    assert!(String::from_utf8_lossy(&table.stdout).contains("InvalidParameters:thingName:pattern"));

    let usage = fuzz(&["--cases", "10"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_hook_that_denies_some_serials_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t003 = write(dir.path(), "003.json", &template_003());
    let out = fuzz(&[
        "--template-body",
        &t003,
        "--hook",
        DENY_NINES,
        "--cases",
        "150",
        "--seed",
        "3",
        "--format",
        "json",
    ]);
    let r = report(&out);
    let denied = class(&r, "AccessDenied:preProvisioningHook:denied");
    assert!(serial(denied).contains('9'), "{denied:#}");
}

/// Things, certificates and policies as the aws CLI lists them.
fn registry_state(ready: &iot_emulator::ReadyInfo) -> Value {
    json!({
        "things": aws_blocking(ready, &["list-things"])["things"],
        "certificates": aws_blocking(ready, &["list-certificates"])["certificates"],
        "policies": aws_blocking(ready, &["list-policies"])["policies"],
    })
}

#[test]
fn live_runs_confirm_the_offline_classes_and_clean_up() {
    let data = tempfile::tempdir().expect("tempdir");
    let hook = format!("{HOOK_ARN}={DENY_NINES}");
    let (child, ready) = spawn_binary_with(data.path(), &["--hook", &hook]);
    let binary = Binary { child, ready };
    let ready = &binary.ready;
    let ready_file = data.path().join("ready.json");
    let ready_arg = ready_file.to_string_lossy().to_string();
    let t004 = write(data.path(), "004.json", &template_004());
    aws_blocking(ready, &["create-thing", "--thing-name", "existing-device"]);
    let before = registry_state(ready);

    let args = [
        "--template-body",
        t004.as_str(),
        "--cases",
        "80",
        "--seed",
        "5",
        "--format",
        "json",
    ];
    let offline = report(&fuzz(&args));
    let live_args = [
        &args[..],
        &[
            "--live",
            "--ready",
            ready_arg.as_str(),
            "--concurrency",
            "3",
        ],
    ]
    .concat();
    let live_out = fuzz(&live_args);
    let live = report(&live_out);
    assert_eq!(live["mode"], "live");
    assert_eq!(ids(&live), ids(&offline), "{live:#}");
    for c in live["classes"].as_array().into_iter().flatten() {
        assert_eq!(c["confirmed"], true, "{c:#}");
    }
    assert_eq!(
        registry_state(ready),
        before,
        "the live run left the registry as it was"
    );

    // A template with a hook the emulator runs: the denial class, live.
    let t003 = write(data.path(), "003.json", &template_003());
    let hook_config = format!("targetArn={HOOK_ARN},payloadVersion=2020-04-01");
    aws_blocking(
        ready,
        &[
            "create-provisioning-template",
            "--template-name",
            "Hooked",
            "--template-body",
            &t003,
            "--enabled",
            "--provisioning-role-arn",
            "arn:aws:iam::123456789012:role/Provisioning",
            "--pre-provisioning-hook",
            &hook_config,
        ],
    );
    let before = registry_state(ready);
    let hooked = report(&fuzz(&[
        "--template-name",
        "Hooked",
        "--live",
        "--ready",
        &ready_arg,
        "--cases",
        "60",
        "--seed",
        "3",
        "--format",
        "json",
    ]));
    let denied = class(&hooked, "AccessDenied:preProvisioningHook:denied");
    assert!(serial(denied).contains('9'), "{denied:#}");
    assert_eq!(registry_state(ready), before);

    // --registry-from: existence checks see the running emulator's thing groups.
    aws_blocking(
        ready,
        &["create-thing-group", "--thing-group-name", "fleet"],
    );
    let grouped = json!({"Parameters": {"Group": {"Type": "String"}},
        "Resources": {"thing": {"Type": "AWS::IoT::Thing", "Properties": {
            "ThingName": "fixed", "ThingGroups": [{"Ref": "Group"}]}}}});
    let grouped = write(data.path(), "grouped.json", &grouped);
    let args = [
        "--template-body",
        grouped.as_str(),
        "--example",
        r#"{"Group":"fleet"}"#,
        "--cases",
        "50",
        "--format",
        "json",
    ];
    let alone = report(&fuzz(&args));
    assert_eq!(alone["passed"], 0, "{alone:#}");
    class(&alone, "InvalidRequest:thingGroupName:not-found");
    let copied = report(&fuzz(
        &[&args[..], &["--registry-from", ready.api_url.as_str()]].concat(),
    ));
    assert!(
        copied["passed"].as_u64().is_some_and(|n| n > 0),
        "{copied:#}"
    );
}
