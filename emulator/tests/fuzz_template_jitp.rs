//! `iot-emulator fuzz-template` on JITP templates, the real binary: the cases are
//! certificate subjects (the `AWS::IoT::Certificate::*` fields JITP injects), and the
//! classes are JITP's (`ProvisionThing.ClientError:...`). Scenario S2's template (the thing
//! named by the CommonName, the serial number an attribute) fails on CommonNames AWS
//! rejects as thing names and on subjects without the fields it references; a template
//! reading `AWS::IoT::Certificate::Locality`, which JITP never injects, fails every case.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

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
        let stderr = String::from_utf8_lossy(&out.stderr);
        panic!("not JSON ({e}): {stderr}")
    })
}

fn class<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["classes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no class {id} in {report:#}"))
}

fn fixture(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel);
    format!("file://{}", path.display())
}

const CN: &str = "AWS::IoT::Certificate::CommonName";
const SERIAL: &str = "AWS::IoT::Certificate::SerialNumber";

#[test]
fn scenario_s2_jitp_template_fuzzed_as_certificate_subjects() {
    let t = fixture("templates/s2-jitp.json");
    let args = ["--template-body", &t, "--format", "json", "--seed", "3"];
    let out = fuzz(&[&args[..], &["--cases", "2000"]].concat());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    assert_eq!(r["provisioning"], "jitp", "{r:#}");
    let pattern = class(&r, "ProvisionThing.ClientError:thingName:pattern");
    assert_eq!(pattern["errorCode"], "ProvisionThing.ClientError");
    assert_eq!(
        pattern["example"][CN].as_str().map(|s| s.chars().count()),
        Some(1)
    );
    let length = class(&r, "ProvisionThing.ClientError:thingName:length");
    // Shrunk to the lower bound: a subject whose CommonName is empty.
    assert_eq!(length["example"][CN], "", "{length:#}");
    for field in [CN, SERIAL] {
        let id = format!("ProvisionThing.ClientError:Parameters.{field}:unresolved");
        let missing = class(&r, &id);
        assert!(missing["example"].get(field).is_none(), "{missing:#}");
    }
    // The rest fail on the thing type the offline registry lacks (--registry-from
    // would copy it); no case is ever given a parameter outside the subject.
    class(&r, "ProvisionThing.ClientError:thingTypeName:not-found");
    for c in r["classes"].as_array().into_iter().flatten() {
        let keys = c["example"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k);
        assert!(
            keys.into_iter()
                .all(|k| k.starts_with("AWS::IoT::Certificate::")),
            "{c:#}"
        );
    }
    let again = fuzz(&[&args[..], &["--cases", "2000"]].concat());
    assert_eq!(
        out.stdout, again.stdout,
        "the same seed gives the same JSON"
    );
    // A live JITP run is refused loudly: it would need a CA-signed certificate per case.
    let live = fuzz(&[&args[..], &["--live"]].concat());
    assert_eq!(live.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&live.stderr).contains("JITP"));
}

fn write(dir: &Path, body: &Value) -> String {
    let path = dir.join("jitp.json");
    std::fs::write(&path, body.to_string()).expect("write template");
    format!("file://{}", path.display())
}

#[test]
fn a_field_jitp_never_injects_fails_every_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = json!({
        "Parameters": {
            "AWS::IoT::Certificate::CommonName": {"Type": "String"},
            "AWS::IoT::Certificate::Country": {"Type": "String"},
            "AWS::IoT::Certificate::Locality": {"Type": "String"},
            "AWS::IoT::Certificate::Id": {"Type": "String"}},
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing", "Properties": {
                "ThingName": {"Ref": "AWS::IoT::Certificate::CommonName"},
                "AttributePayload": {"country": {"Ref": "AWS::IoT::Certificate::Country"},
                    "locality": {"Ref": "AWS::IoT::Certificate::Locality"}}}},
            "certificate": {"Type": "AWS::IoT::Certificate", "Properties": {
                "CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "ACTIVE"}}}
    });
    let t = write(dir.path(), &body);
    let r = report(&fuzz(&[
        "--template-body",
        &t,
        "--format",
        "json",
        "--cases",
        "300",
    ]));
    assert_eq!(r["passed"], 0, "{r:#}");
    let id = "ProvisionThing.ClientError:Parameters.AWS::IoT::Certificate::Locality:unresolved";
    let locality = class(&r, id);
    assert!(locality["example"]
        .get("AWS::IoT::Certificate::Locality")
        .is_none());
    let examples = fuzz(&[
        "--template-body",
        &t,
        "--example",
        r#"{"SerialNumber":"1"}"#,
    ]);
    assert_eq!(
        examples.status.code(),
        Some(2),
        "a non-subject --example is refused"
    );
}
