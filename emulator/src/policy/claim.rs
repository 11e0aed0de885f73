//! The policy a trusted-user provisioning claim (CreateProvisioningClaim) carries without
//! any attachment: connect, and use the fleet provisioning topics of its template.
//!
//! AWS does not document how the temporary certificate is authorized (dataplane spec
//! §1.11, UNCONFIRMED); the scenario S5 field notes say AWS attaches a provisioning policy
//! itself, and devices provision with it while the policy the user wrote could not even
//! let them connect. So a claim is allowed exactly what fleet provisioning needs.

use std::sync::Arc;

use super::document::{self, PolicyDocument};
use crate::registry::Account;

/// The name TestAuthorization reports for the implicit claim policy.
pub const CLAIM_POLICY_NAME: &str = "AWSIoTProvisioningClaim";

/// The implicit policy of a claim for `template`.
pub fn claim_policy(account: &Account, template: &str) -> Option<Arc<PolicyDocument>> {
    let prefix = account.iot_prefix();
    let topics = [
        "$aws/certificates/create/*".to_string(),
        "$aws/certificates/create-from-csr/*".to_string(),
        format!("$aws/provisioning-templates/{template}/provision/*"),
    ];
    let arns = |kind: &str| -> Vec<String> {
        topics
            .iter()
            .map(|t| format!("{prefix}:{kind}/{t}"))
            .collect()
    };
    let text = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"},
            {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": arns("topic")},
            {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": arns("topicfilter")},
        ],
    })
    .to_string();
    document::parse(&text).ok().map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_policy_parses() {
        let account = Account {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
        };
        assert!(claim_policy(&account, "TrustedUserProvisioningTemplate").is_some());
    }
}
