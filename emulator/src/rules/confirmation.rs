//! The confirmation message AWS IoT sends to a new (or re-confirming) HTTP topic rule
//! destination: a POST to its confirmation URL whose JSON body carries the destination's
//! ARN, the confirmation token and an `enableUrl` (a GET of which confirms it, as
//! ConfirmTopicRuleDestination with the token does). A message that cannot be delivered
//! (no listener, a refusal, an `https://` URL the emulator cannot reach) leaves the
//! destination in ERROR with the reason.

use bytes::Bytes;
use serde_json::json;

use super::http::{self, Post};
use crate::registry::rule_destination::TopicRuleDestination;
use crate::registry::Registry;

/// The message AWS documents for a destination confirmation.
pub fn message(d: &TopicRuleDestination, api_url: &str) -> serde_json::Value {
    json!({
        "arn": d.arn,
        "confirmationToken": d.confirmation_token,
        "enableUrl": format!("{}/confirmdestination/{}", api_url.trim_end_matches('/'), d.confirmation_token),
        "messageType": "DestinationConfirmation",
    })
}

/// Sends each destination its confirmation in the background (`api_url`: where the
/// emulator's control plane listens, for the `enableUrl`).
pub fn send(registry: &Registry, destinations: Vec<TopicRuleDestination>, api_url: &str) {
    for d in destinations {
        let post = Post {
            url: d.confirmation_url.clone(),
            headers: Vec::new(),
            body: Bytes::from(message(&d, api_url).to_string()),
            content_type: "application/json",
        };
        let registry = registry.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            registry.topic_rule_destination_failed(
                &d.arn,
                &d.confirmation_token,
                "no runtime to send the confirmation",
            );
            continue;
        };
        runtime.spawn(async move {
            match http::send(&post).await {
                Ok(()) => tracing::info!(destination = %d.arn, url = %d.confirmation_url,
                    "topic rule destination confirmation sent"),
                Err(cause) => {
                    tracing::warn!(destination = %d.arn, %cause, "topic rule destination confirmation not delivered");
                    let reason = format!("The confirmation message could not be delivered: {cause}");
                    registry.topic_rule_destination_failed(&d.arn, &d.confirmation_token, &reason);
                }
            }
        });
    }
}
