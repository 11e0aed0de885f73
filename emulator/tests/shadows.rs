//! Device shadows, classic and named, driven by real clients against one shared seeded
//! emulator (frozen clock, so every timestamp is known): the AWS IoT Device SDK v2's
//! `IotShadowClientV2` over its MQTT 5 client and its MQTT 3.1.1 connection, on devices
//! provisioned with the aws CLI as the seeds do (thing, active certificate, a policy on
//! `$aws/things/${iot:Connection.Thing.ThingName}/shadow/*`, both attached); boto3 and the
//! aws CLI `iot-data` shadow operations, with an HTTP update reaching a device's delta.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use iot_emulator::{Config, ReadyInfo, Running};
use serde_json::{json, Value};

/// The seeded emulator's frozen clock, 2026-01-01T00:00:00Z, in epoch seconds.
const T: i64 = 1_767_225_600;

/// One emulator for the whole binary, seeded.
fn shared() -> &'static Running {
    common::shared_emulator(|| {
        let mut config = Config::for_tests();
        config.seed = Some(14);
        config
    })
}

const POLICY: &str = "shadow-device";

/// The seeds' device policy, narrowed to the thing's shadows.
fn policy_document(ready: &ReadyInfo) -> String {
    let arn = format!("arn:aws:iot:{}:{}", ready.region, ready.account_id);
    let thing = "${iot:Connection.Thing.ThingName}";
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": format!("{arn}:client/{thing}")},
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
         "Resource": format!("{arn}:topic/$aws/things/{thing}/shadow/*")},
        {"Effect": "Allow", "Action": "iot:Subscribe",
         "Resource": format!("{arn}:topicfilter/$aws/things/{thing}/shadow/*")}
    ]})
    .to_string()
}

/// A device's files.
struct Device {
    dir: tempfile::TempDir,
}

impl Device {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// Provisions `thing` with the aws CLI, as the seeds do.
fn provision(ready: &ReadyInfo, thing: &str) -> Device {
    static POLICY_MADE: OnceLock<()> = OnceLock::new();
    POLICY_MADE.get_or_init(|| {
        let doc = policy_document(ready);
        common::aws_blocking(
            ready,
            &[
                "create-policy",
                "--policy-name",
                POLICY,
                "--policy-document",
                &doc,
            ],
        );
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Device { dir };
    common::aws_blocking(ready, &["create-thing", "--thing-name", thing]);
    let (cert, key) = (device.path("cert.pem"), device.path("key.pem"));
    let created = common::aws_blocking(
        ready,
        &[
            "create-keys-and-certificate",
            "--set-as-active",
            "--certificate-pem-outfile",
            &cert,
            "--private-key-outfile",
            &key,
        ],
    );
    let arn = created["certificateArn"].as_str().expect("certificate ARN");
    common::aws_blocking(
        ready,
        &["attach-policy", "--policy-name", POLICY, "--target", arn],
    );
    common::aws_blocking(
        ready,
        &[
            "attach-thing-principal",
            "--thing-name",
            thing,
            "--principal",
            arn,
        ],
    );
    device
}

fn device_args(ready: &ReadyInfo, device: &Device, thing: &str) -> Vec<String> {
    vec![
        ready.mqtt_host.clone(),
        ready.mqtt_port.to_string(),
        PathBuf::from(&ready.root_ca_path).display().to_string(),
        device.path("cert.pem"),
        device.path("key.pem"),
        thing.to_string(),
    ]
}

fn python(script: &str, args: &[String]) -> Value {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::run_python(script, &refs);
    assert!(
        out.success,
        "{script} failed:\n{}{}",
        out.stdout, out.stderr
    );
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {}", out.stdout))
}

/// The payloads received on `topic`, in arrival order.
fn on(received: &Value, topic: &str) -> Vec<Value> {
    let all = received.as_array().expect("received list");
    all.iter()
        .filter(|r| r["topic"] == topic)
        .map(|r| r["payload"].clone())
        .collect()
}

fn stamped(value: &Value) -> Value {
    match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), stamped(v))).collect(),
        _ => json!({ "timestamp": T }),
    }
}

#[path = "shadows/http.rs"]
mod http;
#[path = "shadows/sdk.rs"]
mod sdk;

/// What `shadow_device.py` must receive on each topic (tokens shown as `<token>`).
fn shadow_scenario_expectations(thing: &str) -> Vec<(String, Vec<Value>)> {
    let p = format!("$aws/things/{thing}/shadow");
    let n = format!("{p}/name/lamp");
    let tok = "<token>";
    let d = json!({"color": "red", "lights": {"on": true, "level": 3}});
    let green = json!({"color": "green"});
    let accepted = |section: &str, value: &Value, version: u64| {
        json!({"state": {section: value}, "metadata": {section: stamped(value)},
               "version": version, "timestamp": T, "clientToken": tok})
    };
    let snapshot = |desired: Option<&Value>, reported: Option<&Value>, version: u64| {
        let (mut state, mut meta) = (json!({}), json!({}));
        for (k, v) in [("desired", desired), ("reported", reported)] {
            if let Some(v) = v {
                state[k] = v.clone();
                meta[k] = stamped(v);
            }
        }
        json!({"state": state, "metadata": meta, "version": version})
    };
    let documents = |previous: Value, current: Value| json!({"previous": previous, "current": current, "timestamp": T, "clientToken": tok});
    let not_found = |name: &str| json!({"code": 404, "message": format!("No shadow exists with name: '{name}'"), "clientToken": tok});
    let on_ = json!({"on": true});
    vec![
        (
            format!("{p}/get/rejected"),
            vec![not_found(thing), not_found(thing)],
        ),
        (
            format!("{p}/update/accepted"),
            vec![
                accepted("desired", &d, 1),
                accepted("reported", &d, 2),
                json!({"state": {"desired": null}, "metadata": {"desired": {"timestamp": T}},
                       "version": 3, "timestamp": T, "clientToken": tok}),
                accepted("reported", &green, 4),
            ],
        ),
        (
            format!("{p}/update/rejected"),
            vec![
                json!({"code": 409, "message": "Version conflict", "timestamp": T, "clientToken": tok}),
            ],
        ),
        (
            format!("{p}/update/delta"),
            vec![
                json!({"version": 1, "timestamp": T, "state": d, "metadata": stamped(&d), "clientToken": tok}),
            ],
        ),
        (
            format!("{p}/update/documents"),
            vec![
                documents(Value::Null, snapshot(Some(&d), None, 1)),
                documents(snapshot(Some(&d), None, 1), snapshot(Some(&d), Some(&d), 2)),
                documents(snapshot(Some(&d), Some(&d), 2), snapshot(None, Some(&d), 3)),
                documents(Value::Null, snapshot(None, Some(&green), 4)),
            ],
        ),
        (
            format!("{p}/get/accepted"),
            vec![json!({"state": {"desired": d, "reported": d},
                        "metadata": {"desired": stamped(&d), "reported": stamped(&d)},
                        "version": 2, "timestamp": T, "clientToken": tok})],
        ),
        (
            format!("{p}/delete/accepted"),
            vec![json!({"version": 3, "timestamp": T, "clientToken": tok})],
        ),
        (
            format!("{n}/update/accepted"),
            vec![accepted("desired", &on_, 1), accepted("reported", &on_, 2)],
        ),
        (
            format!("{n}/update/delta"),
            vec![
                json!({"version": 1, "timestamp": T, "state": on_, "metadata": stamped(&on_), "clientToken": tok}),
            ],
        ),
        (
            format!("{n}/get/accepted"),
            vec![json!({"state": {"desired": on_, "reported": on_},
                        "metadata": {"desired": stamped(&on_), "reported": stamped(&on_)},
                        "version": 2, "timestamp": T, "clientToken": tok})],
        ),
        (
            format!("{n}/delete/accepted"),
            vec![json!({"version": 2, "timestamp": T, "clientToken": tok})],
        ),
        (format!("{n}/get/rejected"), vec![not_found("lamp")]),
    ]
}
