//! Topic rules: the records and their named operations (destinations are in
//! [`super::rule_destination`]).
//!
//! The registry stores what the control plane accepted; checking the SQL and the
//! actions (and compiling them for the broker's tap) belongs to [`crate::rules`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{validate, ErrorKind, Inner, IotError, IotResult, Registry};

/// A topic rule, keyed by name. `actions` and `error_action` are kept as the caller sent
/// them (one-key `Action` unions), so GetTopicRule gives them back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicRule {
    pub rule_name: String,
    /// Verbatim, whitespace included.
    pub sql: String,
    pub description: Option<String>,
    pub created_at_ms: i64,
    pub actions: Vec<Value>,
    pub error_action: Option<Value>,
    pub rule_disabled: bool,
    /// `awsIotSqlVersion`, `2015-10-08` when the caller named none.
    pub aws_iot_sql_version: String,
    /// The FROM filter without quotes; `None` for a rule used only by Basic Ingest.
    pub topic_pattern: Option<String>,
    /// `x-amz-tagging` at creation, as `(key, value)` pairs.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// `ruleName`: 1..=128 of `[a-zA-Z0-9_]`.
pub fn check_rule_name(name: &str) -> IotResult<()> {
    validate::pattern("ruleName", name, 1, 128, |c| {
        c.is_ascii_alphanumeric() || c == '_'
    })
}

/// What AWS answers for a rule that does not exist (it says "denied", not "not found").
fn missing(name: &str) -> IotError {
    IotError::new(
        ErrorKind::Unauthorized,
        format!("Access to topic rule '{name}' was denied"),
    )
}

fn existing<'a>(inner: &'a Inner, name: &str) -> IotResult<&'a TopicRule> {
    inner.topic_rules.get(name).ok_or_else(|| missing(name))
}

impl Registry {
    /// CreateTopicRule: stores `rule` (already checked by the rules engine).
    pub fn create_topic_rule(&self, rule: TopicRule) -> IotResult<()> {
        check_rule_name(&rule.rule_name)?;
        let arn = self.account().rule_arn(&rule.rule_name);
        self.write(|inner, tx| {
            let name = rule.rule_name.clone();
            if inner.topic_rules.contains(&name) {
                let message = format!("Rule {name} already exists");
                return Err(IotError::already_exists(message, &name, &arn));
            }
            inner.topic_rules.put(tx, name, rule);
            Ok(())
        })
    }

    /// GetTopicRule.
    pub fn get_topic_rule(&self, name: &str) -> IotResult<TopicRule> {
        check_rule_name(name)?;
        self.read(|inner| existing(inner, name).cloned())
    }

    /// Every rule, in name order.
    pub fn topic_rules(&self) -> Vec<TopicRule> {
        self.read(|inner| inner.topic_rules.values().cloned().collect())
    }

    /// ReplaceTopicRule: the new definition keeps the rule's name, creation time and tags.
    pub fn replace_topic_rule(&self, rule: TopicRule) -> IotResult<()> {
        check_rule_name(&rule.rule_name)?;
        self.write(|inner, tx| {
            let old = existing(inner, &rule.rule_name)?;
            let kept = TopicRule {
                created_at_ms: old.created_at_ms,
                tags: old.tags.clone(),
                ..rule
            };
            inner.topic_rules.put(tx, kept.rule_name.clone(), kept);
            Ok(())
        })
    }

    /// DeleteTopicRule.
    pub fn delete_topic_rule(&self, name: &str) -> IotResult<()> {
        check_rule_name(name)?;
        self.write(|inner, tx| {
            existing(inner, name)?;
            inner.topic_rules.remove(tx, name);
            super::tags::forget(inner, tx, &self.account().rule_arn(name));
            Ok(())
        })
    }

    /// EnableTopicRule (`disabled = false`) and DisableTopicRule (`true`).
    pub fn set_topic_rule_disabled(&self, name: &str, disabled: bool) -> IotResult<()> {
        check_rule_name(name)?;
        self.write(|inner, tx| {
            existing(inner, name)?;
            inner
                .topic_rules
                .update(tx, name, |r| r.rule_disabled = disabled);
            Ok(())
        })
    }
}

pub use super::rule_destination::{DestinationStatus, TopicRuleDestination};

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str) -> TopicRule {
        TopicRule {
            rule_name: name.into(),
            sql: "SELECT * FROM 'a/b'".into(),
            description: None,
            created_at_ms: 1000,
            actions: vec![],
            error_action: None,
            rule_disabled: false,
            aws_iot_sql_version: "2015-10-08".into(),
            topic_pattern: Some("a/b".into()),
            tags: vec![],
        }
    }

    #[test]
    fn rules_cycle_and_missing_rules_are_unauthorized() {
        let reg = crate::registry::testing::registry_at(5000);
        let before = reg.topic_rules_generation();
        reg.create_topic_rule(rule("r1")).unwrap();
        assert_ne!(reg.topic_rules_generation(), before);
        let e = reg.create_topic_rule(rule("r1")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceAlreadyExists);
        reg.set_topic_rule_disabled("r1", true).unwrap();
        assert!(reg.get_topic_rule("r1").unwrap().rule_disabled);
        let mut replaced = rule("r1");
        replaced.created_at_ms = 9;
        replaced.sql = "SELECT * FROM 'c'".into();
        reg.replace_topic_rule(replaced).unwrap();
        let got = reg.get_topic_rule("r1").unwrap();
        assert_eq!(
            (got.created_at_ms, got.sql.as_str()),
            (1000, "SELECT * FROM 'c'")
        );
        reg.delete_topic_rule("r1").unwrap();
        for e in [
            reg.get_topic_rule("r1").unwrap_err(),
            reg.delete_topic_rule("r1").unwrap_err(),
            reg.set_topic_rule_disabled("r1", false).unwrap_err(),
            reg.replace_topic_rule(rule("r1")).unwrap_err(),
        ] {
            assert_eq!(e.kind, ErrorKind::Unauthorized);
            assert_eq!(e.message, "Access to topic rule 'r1' was denied");
        }
        let bad = reg.get_topic_rule("bad-name").unwrap_err();
        assert_eq!(bad.kind, ErrorKind::InvalidRequest);
    }
}
