//! HTTP topic rule destinations and their confirmation, as AWS runs it: a new destination
//! is IN_PROGRESS with a confirmation token (sent to its confirmation URL by
//! [`crate::rules::confirmation`]) until ConfirmTopicRuleDestination (or a GET of its
//! `enableUrl`) names that token; then it is ENABLED, and may be DISABLED and ENABLED
//! again. An http action runs only towards an ENABLED destination.

use serde::{Deserialize, Serialize};

use super::{ErrorKind, Inner, IotError, IotResult, Registry};

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
    /// The token of the confirmation in progress (or last sent).
    #[serde(default)]
    pub confirmation_token: String,
}

fn destination<'a>(inner: &'a Inner, arn: &str) -> IotResult<&'a TopicRuleDestination> {
    inner
        .topic_rule_destinations
        .get(arn)
        .ok_or_else(|| IotError::new(ErrorKind::Unauthorized, format!("Access to {arn} denied")))
}

fn check_url(url: &str) -> IotResult<()> {
    if url.is_empty() || url.len() > 2000 {
        return Err(IotError::invalid(
            "confirmationUrl must be between 1 and 2000 characters",
        ));
    }
    Ok(())
}

impl Registry {
    fn confirmation_token(&self) -> String {
        self.entropy().hex("topic-rule-destination-token", 48)
    }

    /// CreateTopicRuleDestination for an HTTP URL: IN_PROGRESS until confirmed.
    pub fn create_topic_rule_destination(
        &self,
        confirmation_url: &str,
    ) -> IotResult<TopicRuleDestination> {
        check_url(confirmation_url)?;
        let now = self.clock().now_ms();
        let id = self.entropy().uuid("topic-rule-destination");
        let record = TopicRuleDestination {
            arn: self.account().arn("ruledestination/http", &id),
            confirmation_url: confirmation_url.to_string(),
            status: DestinationStatus::InProgress,
            status_reason: String::new(),
            created_at_ms: now,
            last_updated_at_ms: now,
            confirmation_token: self.confirmation_token(),
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

    /// The destination an http action's confirmation URL needs, made when there is none
    /// ("If this is a new destination, a new TopicRuleDestination is created"): `Some`
    /// only when one was made, to be sent its confirmation.
    pub fn ensure_topic_rule_destination(
        &self,
        confirmation_url: &str,
    ) -> IotResult<Option<TopicRuleDestination>> {
        if self.destination_for_url(confirmation_url).is_some() {
            return Ok(None);
        }
        match self.create_topic_rule_destination(confirmation_url) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.kind == ErrorKind::ResourceAlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GetTopicRuleDestination.
    pub fn get_topic_rule_destination(&self, arn: &str) -> IotResult<TopicRuleDestination> {
        self.read(|inner| destination(inner, arn).cloned())
    }

    /// Every destination, in ARN order.
    pub fn topic_rule_destinations(&self) -> Vec<TopicRuleDestination> {
        self.read(|inner| inner.topic_rule_destinations.values().cloned().collect())
    }

    /// UpdateTopicRuleDestination: ENABLED from DISABLED, DISABLED from ENABLED, and
    /// IN_PROGRESS (a new confirmation, returned to be sent) from any status.
    pub fn update_topic_rule_destination(
        &self,
        arn: &str,
        status: DestinationStatus,
    ) -> IotResult<Option<TopicRuleDestination>> {
        let now = self.clock().now_ms();
        let token = self.confirmation_token();
        self.write(|inner, tx| {
            let mut d = destination(inner, arn)?.clone();
            let allowed = match status {
                DestinationStatus::Enabled => d.status == DestinationStatus::Disabled,
                DestinationStatus::Disabled => d.status == DestinationStatus::Enabled,
                DestinationStatus::InProgress => true,
                DestinationStatus::Error | DestinationStatus::Deleting => false,
            };
            if !allowed {
                // A choice: AWS's wording is not documented; the rule is the DG's.
                return Err(IotError::invalid(format!(
                    "Cannot update topic rule destination {arn} from {} to {}",
                    d.status.as_str(),
                    status.as_str()
                )));
            }
            d.status = status;
            d.status_reason.clear();
            d.last_updated_at_ms = now;
            let resend = status == DestinationStatus::InProgress;
            if resend {
                d.confirmation_token = token;
            }
            inner.topic_rule_destinations.put(tx, arn, d.clone());
            Ok(resend.then_some(d))
        })
    }

    /// ConfirmTopicRuleDestination: the destination whose confirmation is `token` becomes
    /// ENABLED; confirming again changes nothing.
    pub fn confirm_topic_rule_destination(&self, token: &str) -> IotResult<()> {
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            let found = inner
                .topic_rule_destinations
                .values()
                .find(|d| !token.is_empty() && d.confirmation_token == token)
                .cloned();
            // A choice: AWS's message for an unknown token is not documented.
            let mut d = found.ok_or_else(|| {
                IotError::invalid(
                    "The confirmation token is not valid for any topic rule destination",
                )
            })?;
            if matches!(
                d.status,
                DestinationStatus::InProgress | DestinationStatus::Error
            ) {
                d.status = DestinationStatus::Enabled;
                d.status_reason.clear();
                d.last_updated_at_ms = now;
                inner.topic_rule_destinations.put(tx, d.arn.clone(), d);
            }
            Ok(())
        })
    }

    /// The confirmation message could not be delivered: ERROR with the reason, unless a
    /// newer confirmation (another token) or a confirmation already happened.
    pub fn topic_rule_destination_failed(&self, arn: &str, token: &str, reason: &str) {
        let now = self.clock().now_ms();
        let failed = self.write(|inner, tx| {
            let d = destination(inner, arn)?;
            if d.confirmation_token != token || d.status != DestinationStatus::InProgress {
                return Ok(());
            }
            inner.topic_rule_destinations.update(tx, arn, |d| {
                d.status = DestinationStatus::Error;
                d.status_reason = reason.to_string();
                d.last_updated_at_ms = now;
            });
            Ok(())
        });
        if let Err(e) = failed {
            tracing::warn!(destination = %arn, cause = %e.message, "recording a failed confirmation");
        }
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

    #[test]
    fn destinations_are_enabled_by_their_confirmation_token() {
        let reg = crate::registry::testing::registry_at(5000);
        let d = reg
            .create_topic_rule_destination("http://127.0.0.1:9/hook")
            .unwrap();
        assert_eq!(d.status, DestinationStatus::InProgress);
        assert!(d.arn.contains(":ruledestination/http/"));
        assert_eq!(d.confirmation_token.len(), 96);
        let early = reg.update_topic_rule_destination(&d.arn, DestinationStatus::Enabled);
        assert_eq!(early.unwrap_err().kind, ErrorKind::InvalidRequest);
        let bad = reg.confirm_topic_rule_destination("nope").unwrap_err();
        assert_eq!(bad.kind, ErrorKind::InvalidRequest);
        reg.confirm_topic_rule_destination(&d.confirmation_token)
            .unwrap();
        let found = reg
            .destination_for_url("http://127.0.0.1:9/hook/x")
            .unwrap();
        assert_eq!(found.status, DestinationStatus::Enabled);
        reg.update_topic_rule_destination(&d.arn, DestinationStatus::Disabled)
            .unwrap();
        let again = reg
            .update_topic_rule_destination(&d.arn, DestinationStatus::InProgress)
            .unwrap()
            .expect("a new confirmation");
        assert_ne!(again.confirmation_token, d.confirmation_token);
        reg.topic_rule_destination_failed(&d.arn, &again.confirmation_token, "refused");
        let got = reg.get_topic_rule_destination(&d.arn).unwrap();
        assert_eq!(
            (got.status, got.status_reason.as_str()),
            (DestinationStatus::Error, "refused")
        );
        reg.delete_topic_rule_destination(&d.arn).unwrap();
        assert!(reg.destination_for_url("http://127.0.0.1:9/hook").is_none());
    }
}
