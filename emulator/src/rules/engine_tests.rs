//! The worker's evaluation against an in-memory registry and a recording data plane.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::json;

use super::{create, Engine, Inbound, Payload};
use crate::registry::Registry;
use crate::state::{DataMessage, DataPlane, DataPlaneError, DataPlaneSlot};

#[derive(Debug, Default)]
struct Recording(Mutex<Vec<DataMessage>>);

impl DataPlane for Recording {
    fn publish(&self, message: DataMessage) -> Result<(), DataPlaneError> {
        self.0.lock().unwrap().push(message);
        Ok(())
    }
    fn delete_connection(&self, _: &str, _: bool, _: bool) -> bool {
        false
    }
}

fn engine_with_rule(sql: &str) -> (Registry, Engine, Arc<Recording>) {
    let registry = crate::registry::testing::registry_at(1_700_000_000_000);
    let payload: Payload = serde_json::from_value(json!({
        "sql": sql, "awsIotSqlVersion": "2016-03-23",
        "actions": [{"republish": {"roleArn": "arn:aws:iam::1:role/r", "topic": "out/${topic(2)}",
                                    "headers": {"contentType": "application/json",
                                                "userProperties": [{"key": "k", "value": "${topic(1)}"}]}}}],
    }))
    .unwrap();
    create(&registry, "r", payload, vec![]).unwrap();
    let plane = Arc::new(Recording::default());
    let slot = DataPlaneSlot::default();
    slot.install(plane.clone());
    (registry.clone(), Engine::new(registry, slot), plane)
}

async fn run_once(engine: &Engine, topic: &str, payload: &str) {
    let message = Inbound {
        topic: topic.into(),
        payload: Bytes::from(payload.to_string()),
        client_id: Some("c1".into()),
        principal: None,
    };
    for rule in engine.rule_set().targets(topic) {
        engine.evaluate(&rule, &message).await;
    }
}

#[tokio::test]
async fn newuuid_repeats_under_the_same_seed_and_headers_are_rendered() {
    let sql = "SELECT newuuid() AS id, clientid() AS who FROM 'a/+'";
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (_registry, engine, plane) = engine_with_rule(sql);
        run_once(&engine, "a/x", "{}").await;
        run_once(&engine, "a/y", "{}").await;
        let published = plane.0.lock().unwrap().clone();
        assert_eq!(published.len(), 2);
        assert_eq!(published[0].topic, "out/x");
        assert_eq!(
            published[0].content_type.as_deref(),
            Some("application/json")
        );
        assert_eq!(published[0].user_properties, vec![("k".into(), "a".into())]);
        runs.push(published.into_iter().map(|m| m.payload).collect::<Vec<_>>());
    }
    assert_eq!(runs[0], runs[1], "the same seed gives the same newuuid()s");
    assert_ne!(runs[0][0], runs[0][1]);
    let first: serde_json::Value = serde_json::from_slice(&runs[0][0]).unwrap();
    assert_eq!(first["who"], "c1");
}

#[tokio::test]
async fn disabled_rules_and_other_topics_are_not_targets() {
    let (registry, engine, _plane) = engine_with_rule("SELECT * FROM 'a/+'");
    assert!(engine.wants("a/b") && !engine.wants("b/a") && !engine.wants("a/b/c"));
    assert!(engine.wants("$aws/rules/r/anything") && !engine.wants("$aws/rules/s/x"));
    registry.set_topic_rule_disabled("r", true).unwrap();
    assert!(!engine.wants("a/b") && !engine.wants("$aws/rules/r/anything"));
}
