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
