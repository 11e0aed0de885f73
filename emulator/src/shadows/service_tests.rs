//! The service end to end without a broker: every rejection with AWS's code and message,
//! versions (also across a delete), the events an update publishes, names and listing.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::service::TOMBSTONE_MS;
use super::topics::{classify, Kind};
use super::{Publisher, ShadowError, ShadowId, Shadows};
use crate::registry::testing::registry_at;
use crate::registry::Registry;

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<(String, Value)>>);

impl Publisher for Recorder {
    fn publish(&self, topic: String, payload: Vec<u8>) {
        let body = serde_json::from_slice(&payload).expect("JSON");
        self.0.lock().expect("lock").push((topic, body));
    }
}

impl Recorder {
    fn take(&self) -> Vec<(String, Value)> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

/// A service at 1_000_000 s on a frozen clock, with a recording publisher.
fn service(rate: u32) -> (Shadows, Arc<Recorder>, Registry) {
    let registry = registry_at(1_000_000_000);
    let shadows = Shadows::new(registry.clone(), rate);
    let recorder = Arc::new(Recorder::default());
    shadows.install_publisher(recorder.clone());
    (shadows, recorder, registry)
}

fn classic(thing: &str) -> ShadowId {
    ShadowId {
        thing: thing.into(),
        shadow: None,
    }
}

/// Sends `payload` on `topic` as MQTT would and returns what was published.
fn mqtt(
    shadows: &Shadows,
    recorder: &Recorder,
    topic: &str,
    payload: &str,
) -> Vec<(String, Value)> {
    let Kind::Request(request) = classify(topic) else {
        panic!("not a request topic: {topic}");
    };
    shadows.request(&request, payload.as_bytes());
    recorder.take()
}

fn rejected(shadows: &Shadows, recorder: &Recorder, payload: &[u8]) -> Value {
    let Kind::Request(request) = classify("$aws/things/t/shadow/update") else {
        unreachable!()
    };
    shadows.request(&request, payload);
    let mut out = recorder.take();
    assert_eq!(out.len(), 1, "{out:?}");
    let (topic, body) = out.remove(0);
    assert_eq!(topic, "$aws/things/t/shadow/update/rejected");
    body
}

#[test]
fn every_rejection_has_aws_code_and_message() {
    let (shadows, recorder, _) = service(0);
    let deep = json!({"state":{"desired":{"1":{"2":{"3":{"4":{"5":{"6":1}}}}}}},"clientToken":"c"});
    let big = json!({"state":{"reported":{"x":"a".repeat(8200)}},"clientToken":"c"});
    let long_token = "t".repeat(65);
    let cases: Vec<(Vec<u8>, u16, &str, bool)> = vec![
        (b"{not json".to_vec(), 400, "Invalid JSON", false),
        (b"[1]".to_vec(), 400, "Invalid JSON", false),
        (
            vec![0xff, 0xfe],
            415,
            "Unsupported documented encoding; supported encoding is UTF-8",
            false,
        ),
        (
            json!({"clientToken":5,"state":{}}).to_string().into_bytes(),
            400,
            "Invalid clientToken",
            false,
        ),
        (
            json!({"clientToken":long_token,"state":{}})
                .to_string()
                .into_bytes(),
            400,
            "Invalid clientToken",
            false,
        ),
        (
            br#"{"clientToken":"c"}"#.to_vec(),
            400,
            "Missing required node: state",
            true,
        ),
        (
            br#"{"clientToken":"c","state":1}"#.to_vec(),
            400,
            "State node must be an object",
            true,
        ),
        (
            br#"{"clientToken":"c","state":{"delta":{}}}"#.to_vec(),
            400,
            "State contains an invalid node: 'delta'",
            true,
        ),
        (
            br#"{"clientToken":"c","state":{"desired":[1]}}"#.to_vec(),
            400,
            "Desired node must be an object",
            true,
        ),
        (
            br#"{"clientToken":"c","state":{"reported":"x"}}"#.to_vec(),
            400,
            "Reported node must be an object",
            true,
        ),
        (
            deep.to_string().into_bytes(),
            400,
            "JSON contains too many levels of nesting; maximum is 6",
            true,
        ),
        (
            br#"{"clientToken":"c","state":{"desired":{"a":[1,null]}}}"#.to_vec(),
            400,
            "Invalid JSON",
            true,
        ),
        (
            br#"{"clientToken":"c","state":{},"version":-1}"#.to_vec(),
            400,
            "Invalid version",
            true,
        ),
        (
            br#"{"clientToken":"c","state":{},"version":"1"}"#.to_vec(),
            400,
            "Invalid version",
            true,
        ),
        (
            br#"{"clientToken":"c","state":{},"version":3}"#.to_vec(),
            409,
            "Version conflict",
            true,
        ),
        (
            big.to_string().into_bytes(),
            413,
            "The payload exceeds the maximum size allowed",
            true,
        ),
    ];
    for (payload, code, message, token) in cases {
        let body = rejected(&shadows, &recorder, &payload);
        let mut want = json!({"code": code, "message": message, "timestamp": 1_000_000});
        if token {
            want["clientToken"] = json!("c");
        }
        assert_eq!(body, want, "{}", String::from_utf8_lossy(&payload));
    }
    // Five keys below desired is the most allowed.
    let ok = json!({"state":{"desired":{"1":{"2":{"3":{"4":{"5":1}}}}}}});
    assert!(shadows
        .update(&classic("t"), ok.to_string().as_bytes())
        .is_ok());
}

#[test]
fn a_missing_shadow_is_404_without_timestamp_and_bad_names_are_400() {
    let (shadows, recorder, _) = service(0);
    let out = mqtt(
        &shadows,
        &recorder,
        "$aws/things/t/shadow/get",
        r#"{"clientToken":"k"}"#,
    );
    assert_eq!(
        out,
        vec![(
            "$aws/things/t/shadow/get/rejected".to_string(),
            json!({"code":404,"message":"No shadow exists with name: 't'","clientToken":"k"})
        )]
    );
    let out = mqtt(
        &shadows,
        &recorder,
        "$aws/things/t/shadow/name/n1/delete",
        "",
    );
    assert_eq!(
        out[0].1,
        json!({"code":404,"message":"No shadow exists with name: 'n1'"})
    );
    let long = "n".repeat(65);
    let out = mqtt(
        &shadows,
        &recorder,
        &format!("$aws/things/t/shadow/name/{long}/get"),
        "{}",
    );
    assert_eq!(out[0].1["code"], 400);
    let text = out[0].1["message"].as_str().expect("message").to_string();
    assert!(text.contains("at 'shadowName'"), "{text}");
    let bad_thing = ShadowId {
        thing: "a.b".into(),
        shadow: None,
    };
    assert!(matches!(
        shadows.get(&bad_thing),
        Err(ShadowError::InvalidRequest(_))
    ));
    assert!(shadows.list_named("a b").is_err());
}

#[test]
fn an_update_publishes_accepted_documents_and_delta_in_that_order() {
    let (shadows, recorder, _) = service(0);
    let p = "$aws/things/t/shadow/name/lamp";
    let out = mqtt(
        &shadows,
        &recorder,
        &format!("{p}/update"),
        r#"{"state":{"desired":{"on":true}},"clientToken":"u1"}"#,
    );
    let topics: Vec<&str> = out.iter().map(|(t, _)| t.as_str()).collect();
    let want: Vec<String> = ["update/accepted", "update/documents", "update/delta"]
        .iter()
        .map(|s| format!("{p}/{s}"))
        .collect();
    assert_eq!(topics, want);
    let ts = 1_000_000;
    assert_eq!(
        out[0].1,
        json!({"state":{"desired":{"on":true}},"metadata":{"desired":{"on":{"timestamp":ts}}},"version":1,"timestamp":ts,"clientToken":"u1"})
    );
    let current = json!({"state":{"desired":{"on":true}},"metadata":{"desired":{"on":{"timestamp":ts}}},"version":1});
    assert_eq!(
        out[1].1,
        json!({"previous":null,"current":current,"timestamp":ts,"clientToken":"u1"})
    );
    assert_eq!(
        out[2].1,
        json!({"version":1,"timestamp":ts,"state":{"on":true},"metadata":{"on":{"timestamp":ts}},"clientToken":"u1"})
    );
    // Reporting the same value ends the delta: no delta message.
    let out = mqtt(
        &shadows,
        &recorder,
        &format!("{p}/update"),
        r#"{"state":{"reported":{"on":true}}}"#,
    );
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].1["previous"], current);
    assert_eq!(out[1].1["current"]["version"], 2);
    let out = mqtt(
        &shadows,
        &recorder,
        &format!("{p}/get"),
        r#"{"clientToken":"g"}"#,
    );
    assert_eq!(out[0].0, format!("{p}/get/accepted"));
    assert_eq!(
        out[0].1["state"],
        json!({"desired":{"on":true},"reported":{"on":true}})
    );
    assert_eq!(out[0].1["version"], 2);
    assert_eq!(out[0].1["clientToken"], "g");
}

#[test]
fn versions_grow_continue_after_delete_and_restart_after_48_hours() {
    let (shadows, recorder, registry) = service(0);
    let id = classic("t");
    let update = |v: Option<u64>| {
        let mut body = json!({"state":{"reported":{"n":1}}});
        if let Some(v) = v {
            body["version"] = json!(v);
        }
        shadows.update(&id, body.to_string().as_bytes())
    };
    assert_eq!(update(Some(0)).expect("creates")["version"], 1);
    assert_eq!(update(None).expect("updates")["version"], 2);
    assert_eq!(update(Some(1)), Err(ShadowError::VersionConflict));
    assert_eq!(update(Some(2)).expect("matches")["version"], 3);
    let deleted = shadows.delete(&id).expect("deleted");
    assert_eq!(deleted, json!({"version":3,"timestamp":1_000_000}));
    let published = recorder.take();
    assert_eq!(
        published.last().map(|(t, _)| t.as_str()),
        Some("$aws/things/t/shadow/delete/accepted")
    );
    assert_eq!(shadows.get(&id), Err(ShadowError::NotFound("t".into())));
    assert_eq!(shadows.delete(&id), Err(ShadowError::NotFound("t".into())));
    assert_eq!(update(None).expect("re-created")["version"], 4);
    shadows.delete(&id).expect("deleted again");
    registry.clock().advance_ms(TOMBSTONE_MS);
    assert_eq!(update(None).expect("after 48 h")["version"], 1);
    let doc = shadows.get(&id).expect("live");
    assert_eq!(doc["state"], json!({"reported":{"n":1}}));
}

#[test]
fn named_shadows_are_listed_and_the_classic_one_never() {
    let (shadows, _, _) = service(0);
    let body = br#"{"state":{"reported":{"a":1}}}"#;
    for name in [None, Some("b"), Some("a"), Some("c")] {
        let id = ShadowId {
            thing: "t".into(),
            shadow: name.map(str::to_string),
        };
        shadows.update(&id, body).expect("updated");
    }
    shadows
        .delete(&ShadowId {
            thing: "t".into(),
            shadow: Some("c".into()),
        })
        .expect("deleted");
    assert_eq!(shadows.list_named("t").expect("listed"), vec!["a", "b"]);
    assert!(shadows.list_named("nobody").expect("listed").is_empty());
}

#[test]
fn the_update_rate_is_per_thing_on_the_emulator_clock() {
    let (shadows, _, registry) = service(2);
    let body = br#"{"state":{"reported":{"a":1}}}"#;
    let (a, b) = (classic("a"), classic("b"));
    assert!(shadows.update(&a, body).is_ok());
    assert!(shadows.update(&a, body).is_ok());
    assert_eq!(shadows.update(&a, body), Err(ShadowError::Throttled));
    assert!(shadows.update(&b, body).is_ok());
    registry.clock().advance_ms(1_000);
    assert!(shadows.update(&a, body).is_ok());
    assert_eq!(ShadowError::Throttled.code(), 429);
}
