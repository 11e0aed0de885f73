//! `IotShadowClientV2` over MQTT 5 and MQTT 3.1.1: every payload the device received,
//! field by field.

use serde_json::{json, Value};

use super::{device_args, on, provision, python, shadow_scenario_expectations, shared};

fn run(mode: &str) {
    let running = shared();
    let thing = format!("shadow-sdk-{mode}");
    let device = provision(&running.ready, &thing);
    let mut args = vec![mode.to_string()];
    args.extend(device_args(&running.ready, &device, &thing));
    let got = python("shadow_device.py", &args);
    let received = &got["received"];
    for (topic, want) in shadow_scenario_expectations(&thing) {
        assert_eq!(
            Value::Array(on(received, &topic)),
            Value::Array(want),
            "{mode}: {topic}"
        );
    }
    let forged = received
        .as_array()
        .expect("list")
        .iter()
        .any(|r| r["payload"]["forged"] == true);
    assert!(
        !forged,
        "{mode}: a client forged a shadow message: {received}"
    );
    let steps = &got["steps"];
    let not_found = |name: &str| {
        json!({"error": {"code": 404, "message": format!("No shadow exists with name: '{name}'"),
                         "has_timestamp": false, "token_echoed": true}})
    };
    assert_eq!(steps["get_missing"], not_found(&thing), "{mode}");
    assert_eq!(steps["get_deleted"], not_found(&thing), "{mode}");
    assert_eq!(steps["named_get_deleted"], not_found("lamp"), "{mode}");
    assert_eq!(
        steps["stale_version"]["error"],
        json!({"code": 409, "message": "Version conflict", "has_timestamp": true, "token_echoed": true}),
        "{mode}"
    );
    let versions: Vec<&Value> = [
        "update_desired",
        "report",
        "named_update",
        "named_report",
        "named_delete",
        "clear_desired",
        "delete",
        "recreate",
    ]
    .iter()
    .map(|s| &steps[*s]["version"])
    .collect();
    assert_eq!(
        versions,
        [1, 2, 1, 2, 2, 3, 3, 4]
            .map(|v| json!(v))
            .iter()
            .collect::<Vec<_>>(),
        "{mode}: {steps}"
    );
    assert_eq!(steps["get_in_sync"]["state"].get("delta"), None, "{mode}");
    let deltas: Vec<&Value> = got["stream_events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["stream"] != "documents")
        .collect();
    assert_eq!(
        deltas.len(),
        2,
        "{mode}: one classic and one named delta: {deltas:?}"
    );
}

#[test]
fn iot_shadow_client_v2_over_mqtt5() {
    run("mqtt5");
}

#[test]
fn iot_shadow_client_v2_over_mqtt311() {
    run("mqtt3");
}
