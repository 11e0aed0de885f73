//! Regions and partitions: ARNs, endpoint names and device connections follow the region.

mod common;

use common::TestEmulator;
use iot_emulator::Config;

#[tokio::test(flavor = "multi_thread")]
async fn cn_north_1_uses_the_aws_cn_partition_end_to_end() {
    let mut config = Config::for_tests();
    config.region = "cn-north-1".into();
    let emu = TestEmulator::start_with(config).await;
    let ready = &emu.running.ready;
    let work = tempfile::tempdir().unwrap();
    let args = vec![
        ready.api_url.clone(),
        ready.mqtt_port.to_string(),
        ready.root_ca_path.clone(),
        work.path().display().to_string(),
    ];
    let out = common::run_python_async("partition_cn.py", args).await;
    assert!(out.success, "partition_cn.py failed: {}", out.stderr);
    let v = out.json();
    let account = &ready.account_id;
    let prefix = format!("arn:aws-cn:iot:cn-north-1:{account}:");
    assert_eq!(v["thing_arn"], format!("{prefix}thing/cn-device"));
    assert!(v["certificate_arn"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{prefix}cert/")));
    assert_eq!(v["policy_arn"], format!("{prefix}policy/cn-policy"));
    let data_ats = v["data_ats"].as_str().unwrap();
    assert!(
        data_ats.ends_with("-ats.iot.cn-north-1.amazonaws.com.cn"),
        "{data_ats}"
    );
    let credentials = v["credentials"].as_str().unwrap();
    assert!(
        credentials.ends_with(".credentials.iot.cn-north-1.amazonaws.com.cn"),
        "{credentials}"
    );
    assert_eq!(v["connack"], "Success", "{v}");
    assert_eq!(v["received"], "hello from cn-north-1", "{v}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_regions_hold_separate_registries_and_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let config = || {
        let mut config = Config::for_tests();
        config.in_memory = false;
        config.data_dir = Some(data.path().to_path_buf());
        config
    };
    let emu = TestEmulator::start_with(config()).await;
    let ready = emu.running.ready.clone();
    let creds_port = ready
        .credentials_url
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let work = tempfile::tempdir().unwrap();
    let args = vec![
        ready.api_url.clone(),
        ready.mqtt_port.to_string(),
        creds_port,
        ready.root_ca_path.clone(),
        work.path().display().to_string(),
    ];
    let out = common::run_python_async("two_regions.py", args).await;
    assert!(out.success, "two_regions.py failed: {}", out.stderr);
    let v = out.json();
    let account = &ready.account_id;
    for region in ["ap-northeast-1", "us-east-1"] {
        let r = &v[region];
        let prefix = format!("arn:aws:iot:{region}:{account}:");
        assert_eq!(r["thing_arn"], format!("{prefix}thing/shared-name"), "{v}");
        assert_eq!(r["described_arn"], r["thing_arn"], "{v}");
        assert_eq!(r["policy_arn"], format!("{prefix}policy/dev"), "{v}");
        assert_eq!(
            r["role_alias_arn"],
            format!("{prefix}rolealias/device-role")
        );
        let cert = r["certificate_arn"].as_str().unwrap();
        assert!(cert.starts_with(&format!("{prefix}cert/")), "{cert}");
        let data_ats = r["data_ats"].as_str().unwrap();
        assert!(data_ats.ends_with(&format!("-ats.iot.{region}.amazonaws.com")));
        let credentials = r["credentials"].as_str().unwrap();
        assert!(credentials.ends_with(&format!(".credentials.iot.{region}.amazonaws.com")));
    }
    let (tokyo, virginia) = (&v["ap-northeast-1"], &v["us-east-1"]);
    assert_eq!(
        tokyo["things"],
        serde_json::json!(["only-in-tokyo", "shared-name"])
    );
    assert_eq!(virginia["things"], serde_json::json!(["shared-name"]));
    assert_ne!(
        tokyo["data_ats"], virginia["data_ats"],
        "each region its own names"
    );
    assert_ne!(tokyo["registration_code"], virginia["registration_code"]);
    // A certificate is known in its own region only, by MQTT and by the credentials provider.
    for (label, want_mqtt, want_creds) in [
        (
            "ap-northeast-1@ap-northeast-1",
            "connack:0",
            serde_json::json!(200),
        ),
        ("us-east-1@us-east-1", "connack:0", serde_json::json!(200)),
        (
            "ap-northeast-1@us-east-1",
            "closed",
            serde_json::json!("closed"),
        ),
        (
            "us-east-1@ap-northeast-1",
            "closed",
            serde_json::json!("closed"),
        ),
    ] {
        assert_eq!(v["mqtt"][label], want_mqtt, "MQTT {label}: {v}");
        assert_eq!(
            v["credentials"][label], want_creds,
            "credentials {label}: {v}"
        );
    }
    assert_eq!(v["invalid_region"][0], "InvalidSignatureException", "{v}");
    assert_eq!(v["cross_region_target"], "InvalidRequestException", "{v}");
    // The ready file lists both regions; `--region` stays the default.
    let file: iot_emulator::ReadyInfo =
        serde_json::from_str(&std::fs::read_to_string(data.path().join("ready.json")).unwrap())
            .unwrap();
    assert_eq!(file.region, "us-east-1");
    assert_eq!(file.regions, vec!["ap-northeast-1", "us-east-1"]);
    emu.shutdown().await;

    // After a restart the second region is still there, with the same endpoint names.
    let emu = TestEmulator::start_with(config()).await;
    assert_eq!(
        emu.running.ready.regions,
        vec!["ap-northeast-1", "us-east-1"]
    );
    let things = emu
        .aws_ok(&["--region", "ap-northeast-1", "list-things"])
        .await;
    let mut names: Vec<&str> = things["things"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["thingName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["only-in-tokyo", "shared-name"]);
    let endpoint = emu
        .aws_ok(&[
            "--region",
            "ap-northeast-1",
            "describe-endpoint",
            "--endpoint-type",
            "iot:Data-ATS",
        ])
        .await;
    assert_eq!(endpoint["endpointAddress"], tokyo["data_ats"]);
    emu.shutdown().await;
}
