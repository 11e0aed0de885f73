//! `iot-emulator env`: shell exports that point the aws CLI, boto3 and device code at a
//! running instance, read from its ready file.

use std::path::{Path, PathBuf};

use crate::server::ReadyInfo;

/// The name of the ready file the server always keeps in its data directory.
pub const READY_FILE_NAME: &str = "ready.json";

/// Dummy credentials: the emulator does not check signatures, but clients insist on some.
const ACCESS_KEY_ID: &str = "AKIAEMULATOR00000000";
const SECRET_ACCESS_KEY: &str = "emulator-secret-access-key";

/// Single-quotes `value` for a POSIX shell.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The `export NAME='value'` lines for `ready`.
pub fn render(ready: &ReadyInfo) -> String {
    // Every region in use; AWS_REGION stays the default (`--region`).
    let regions = match ready.regions.is_empty() {
        true => ready.region.clone(),
        false => ready.regions.join(" "),
    };
    let vars = [
        // Every service, STS and S3 included (aws CLI v1 builds `cloudformation
        // package`'s S3 client without `--endpoint-url`); the emulator answers the
        // services it lacks with a readable NotImplemented error.
        ("AWS_ENDPOINT_URL", ready.api_url.as_str()),
        ("AWS_ENDPOINT_URL_IOT", ready.api_url.as_str()),
        ("AWS_ENDPOINT_URL_IOT_DATA_PLANE", ready.api_url.as_str()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ("AWS_DEFAULT_REGION", ready.region.as_str()),
        ("AWS_REGION", ready.region.as_str()),
        ("IOT_EMULATOR_ROOT_CA", ready.root_ca_path.as_str()),
        ("IOT_EMULATOR_MQTT_HOST", ready.mqtt_host.as_str()),
        ("IOT_EMULATOR_MQTT_PORT", &ready.mqtt_port.to_string()),
        ("IOT_EMULATOR_MQTT_WS_URL", ready.mqtt_ws_url.as_str()),
        ("IOT_EMULATOR_MQTT_WS_PORT", &ready.mqtt_ws_port.to_string()),
        // iot-jobs-data over HTTPS, as DescribeEndpoint `iot:Jobs` names it; the API port
        // (AWS_ENDPOINT_URL) serves it over plain HTTP too.
        ("IOT_EMULATOR_JOBS_URL", ready.jobs_url.as_str()),
        ("IOT_EMULATOR_JOBS_ENDPOINT", ready.jobs_endpoint.as_str()),
        (
            "IOT_EMULATOR_CREDENTIALS_URL",
            ready.credentials_url.as_str(),
        ),
        (
            "IOT_EMULATOR_DATA_ATS_ENDPOINT",
            ready.data_ats_endpoint.as_str(),
        ),
        ("IOT_EMULATOR_REGIONS", regions.as_str()),
    ];
    vars.iter()
        .map(|(name, value)| format!("export {name}={}\n", quote(value)))
        .collect()
}

/// Reads the ready file at `explicit`, or the one in `data_dir`.
pub fn load(explicit: Option<&Path>, data_dir: Option<PathBuf>) -> Result<ReadyInfo, String> {
    let path = match (explicit, data_dir) {
        (Some(path), _) => path.to_path_buf(),
        (None, Some(dir)) => dir.join(READY_FILE_NAME),
        (None, None) => return Err("no ready file: pass --ready <file>".into()),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {} ({e}); is the emulator running?",
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a ready file: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_region_is_exported_and_every_region_listed() {
        let ready: ReadyInfo = serde_json::from_value(serde_json::json!({
            "api_url": "http://127.0.0.1:1", "mqtt_host": "127.0.0.1", "mqtt_port": 2,
            "credentials_url": "https://127.0.0.1:3", "root_ca_path": "/ca.pem",
            "region": "us-east-1", "account_id": "123456789012",
            "data_ats_endpoint": "a-ats.iot.us-east-1.amazonaws.com",
            "credentials_endpoint": "c.credentials.iot.us-east-1.amazonaws.com",
            "data_dir": null, "regions": ["ap-northeast-1", "us-east-1"]
        }))
        .unwrap();
        let text = render(&ready);
        assert!(text.contains("export AWS_REGION='us-east-1'\n"), "{text}");
        assert!(
            text.contains("export IOT_EMULATOR_REGIONS='ap-northeast-1 us-east-1'\n"),
            "{text}"
        );
    }

    #[test]
    fn the_websocket_and_jobs_endpoints_are_exported() {
        let ready: ReadyInfo = serde_json::from_value(serde_json::json!({
            "api_url": "http://127.0.0.1:1", "mqtt_host": "127.0.0.1", "mqtt_port": 2,
            "credentials_url": "https://127.0.0.1:3", "root_ca_path": "/ca.pem",
            "mqtt_ws_url": "wss://127.0.0.1:4/mqtt", "mqtt_ws_port": 4,
            "jobs_url": "https://127.0.0.1:5",
            "jobs_endpoint": "a.jobs.iot.us-east-1.amazonaws.com",
            "region": "us-east-1", "account_id": "123456789012",
            "data_ats_endpoint": "a-ats.iot.us-east-1.amazonaws.com",
            "credentials_endpoint": "c.credentials.iot.us-east-1.amazonaws.com",
            "data_dir": null
        }))
        .unwrap();
        let text = render(&ready);
        for line in [
            "export IOT_EMULATOR_MQTT_WS_URL='wss://127.0.0.1:4/mqtt'\n",
            "export IOT_EMULATOR_MQTT_WS_PORT='4'\n",
            "export IOT_EMULATOR_JOBS_URL='https://127.0.0.1:5'\n",
            "export IOT_EMULATOR_JOBS_ENDPOINT='a.jobs.iot.us-east-1.amazonaws.com'\n",
        ] {
            assert!(text.contains(line), "{text}");
        }
    }

    #[test]
    fn exports_are_quoted_for_the_shell() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
