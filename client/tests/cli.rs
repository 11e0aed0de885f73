//! The `iot-device-client` binary offline: a re-run of `provision` reuses the saved
//! device without connecting, and missing or malformed arguments fail with exit code 1
//! (or clap's 2) and a message naming the flag. The online paths (provision with AWS
//! keys or a CSR, publish, subscribe, credentials) run in the README quick starts
//! (`emulator/tests/readme_quickstarts.rs`).

use std::collections::BTreeMap;
use std::process::{Command, Output};

use iot_device_client::store::{Device, DeviceStore};
use iot_device_client::tls::Identity;
use serde_json::{json, Value};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iot-device-client"))
        .args(args)
        .env_remove("IOT_ENDPOINT")
        .env_remove("IOT_DEVICE_DIR")
        .env_remove("IOT_CERT")
        .env_remove("IOT_KEY")
        .env_remove("IOT_ROOT_CA")
        .output()
        .expect("run iot-device-client")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn provision_again_reuses_the_saved_device_without_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device {
        certificate_id: "a".repeat(64),
        identity: Identity {
            cert_pem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".into(),
            key_pem: "key".into(),
        },
        thing_name: Some("MyThing_0002".into()),
        device_configuration: BTreeMap::from([("MyDeviceOption".into(), "Normal".into())]),
    };
    DeviceStore::new(dir.path()).save(&device).unwrap();
    // No endpoint, CA or claim certificate: nothing to connect with, and no need to.
    let dir_arg = dir.path().display().to_string();
    let out = cli(&["--dir", &dir_arg, "provision", "--template", "BulbTemplate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(
        printed,
        json!({"certificateId": "a".repeat(64), "thingName": "MyThing_0002",
               "deviceConfiguration": {"MyDeviceOption": "Normal"}, "reused": true})
    );
}

#[test]
fn missing_or_malformed_arguments_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().display().to_string();
    let cases: [(&[&str], i32, &str); 5] = [
        (&["provision", "--template", "T"], 1, "--dir is required"),
        (
            &["--dir", &dir_arg, "provision", "--template", "T"],
            1,
            "--cert is required",
        ),
        (&["publish", "--topic", "t"], 1, "--cert is required"),
        (
            &["provision", "--template", "T", "--param", "NoEquals"],
            2,
            "is not NAME=VALUE",
        ),
        (
            &["--mqtt", "4", "publish", "--topic", "t"],
            2,
            "unknown MQTT version",
        ),
    ];
    for (args, code, message) in cases {
        let out = cli(args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}
