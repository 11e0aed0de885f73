//! Topic rules and topic rule destinations: the records and their named operations.
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

/// `TopicRuleDestinationStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DestinationStatus {
    Enabled,
    InProgress,
    Disabled,
    Error,
    Deleting,
}

impl DestinationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationStatus::Enabled => "ENABLED",
            DestinationStatus::InProgress => "IN_PROGRESS",
            DestinationStatus::Disabled => "DISABLED",
            DestinationStatus::Error => "ERROR",
            DestinationStatus::Deleting => "DELETING",
        }
    }
}

/// An HTTP topic rule destination, keyed by ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRuleDestination {
    pub arn: String,
    pub confirmation_url: String,
    pub status: DestinationStatus,
    pub status_reason: String,
    pub created_at_ms: i64,
    pub last_updated_at_ms: i64,
}

fn destination<'a>(inner: &'a Inner, arn: &str) -> IotResult<&'a TopicRuleDestination> {
    inner
        .topic_rule_destinations
        .get(arn)
        .ok_or_else(|| IotError::new(ErrorKind::Unauthorized, format!("Access to {arn} denied")))
}

impl Registry {
    /// CreateTopicRuleDestination for an HTTP URL. The emulator confirms it at once (no
    /// confirmation request is sent): README "Topic rules".
    pub fn create_topic_rule_destination(
        &self,
        confirmation_url: &str,
    ) -> IotResult<TopicRuleDestination> {
        if confirmation_url.is_empty() || confirmation_url.len() > 2000 {
            return Err(IotError::invalid(
                "confirmationUrl must be between 1 and 2000 characters",
            ));
        }
        let now = self.clock().now_ms();
        let id = self.entropy().uuid("topic-rule-destination");
        let record = TopicRuleDestination {
            arn: self.account().arn("ruledestination/http", &id),
            confirmation_url: confirmation_url.to_string(),
            status: DestinationStatus::Enabled,
            status_reason: String::new(),
            created_at_ms: now,
            last_updated_at_ms: now,
        };
        self.write(|inner, tx| {
            let taken = inner.topic_rule_destinations.values();
            if let Some(d) = taken
                .into_iter()
                .find(|d| d.confirmation_url == confirmation_url)
            {
                let message = format!("Topic rule destination {confirmation_url} already exists");
                return Err(IotError::already_exists(message, &d.arn, &d.arn));
            }
            let key = record.arn.clone();
            inner.topic_rule_destinations.put(tx, key, record.clone());
            Ok(record)
        })
    }

    /// GetTopicRuleDestination.
    pub fn get_topic_rule_destination(&self, arn: &str) -> IotResult<TopicRuleDestination> {
        self.read(|inner| destination(inner, arn).cloned())
    }

    /// Every destination, in ARN order.
    pub fn topic_rule_destinations(&self) -> Vec<TopicRuleDestination> {
        self.read(|inner| inner.topic_rule_destinations.values().cloned().collect())
    }

    /// UpdateTopicRuleDestination: ENABLED or DISABLED (IN_PROGRESS re-confirms, which
    /// locally means ENABLED again).
    pub fn update_topic_rule_destination(
        &self,
        arn: &str,
        status: DestinationStatus,
    ) -> IotResult<()> {
        let status = match status {
            DestinationStatus::Enabled | DestinationStatus::InProgress => {
                DestinationStatus::Enabled
            }
            DestinationStatus::Disabled => DestinationStatus::Disabled,
            other => {
                return Err(IotError::invalid(format!(
                    "Cannot update a topic rule destination to status {}",
                    other.as_str()
                )))
            }
        };
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            destination(inner, arn)?;
            inner.topic_rule_destinations.update(tx, arn, |d| {
                d.status = status;
                d.last_updated_at_ms = now;
            });
            Ok(())
        })
    }

    /// DeleteTopicRuleDestination.
    pub fn delete_topic_rule_destination(&self, arn: &str) -> IotResult<()> {
        self.write(|inner, tx| {
            destination(inner, arn)?;
            inner.topic_rule_destinations.remove(tx, arn);
            Ok(())
        })
    }

    /// The destination whose confirmation URL `url` starts with, if any.
    pub fn destination_for_url(&self, url: &str) -> Option<TopicRuleDestination> {
        self.read(|inner| {
            let all = inner.topic_rule_destinations.values();
            let mut matching: Vec<&TopicRuleDestination> = all
                .filter(|d| url.starts_with(d.confirmation_url.as_str()))
                .collect();
            matching.sort_by_key(|d| std::cmp::Reverse(d.confirmation_url.len()));
            matching.first().map(|d| (*d).clone())
        })
    }
}

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

    #[test]
    fn destinations_are_confirmed_at_once() {
        let reg = crate::registry::testing::registry_at(5000);
        let d = reg
            .create_topic_rule_destination("http://127.0.0.1:9/hook")
            .unwrap();
        assert_eq!(d.status, DestinationStatus::Enabled);
        assert!(d.arn.contains(":ruledestination/http/"));
        let found = reg
            .destination_for_url("http://127.0.0.1:9/hook/x")
            .unwrap();
        assert_eq!(found.arn, d.arn);
        reg.update_topic_rule_destination(&d.arn, DestinationStatus::Disabled)
            .unwrap();
        let got = reg.get_topic_rule_destination(&d.arn).unwrap();
        assert_eq!(got.status, DestinationStatus::Disabled);
        reg.delete_topic_rule_destination(&d.arn).unwrap();
        assert!(reg.destination_for_url("http://127.0.0.1:9/hook").is_none());
    }
}
