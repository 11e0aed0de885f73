//! IoT policies: documents, versions, attachments and the policy operations.

mod attach;
mod versions;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{validate, ErrorKind, Inner, IotError, IotResult, Registry, Tx};
use crate::policy::document;

/// AWS keeps at most this many versions of a policy.
pub const MAX_VERSIONS: usize = 5;

/// One version of a policy document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub document: String,
    pub creation_date_ms: i64,
}

/// A policy, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Policy {
    pub policy_name: String,
    pub versions: BTreeMap<u32, PolicyVersion>,
    pub default_version_id: u32,
    pub next_version_id: u32,
    pub generation_id: String,
    pub creation_date_ms: i64,
    pub last_modified_date_ms: i64,
}

impl Policy {
    /// The document of the version in force.
    pub fn default_document(&self) -> &str {
        self.versions
            .get(&self.default_version_id)
            .map(|v| v.document.as_str())
            .unwrap_or_default()
    }
}

/// One attachment of a policy to a target (certificate or thing-group ARN).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyTarget {
    pub policy_name: String,
    pub target: String,
}

/// The `policy_targets` key for an attachment.
pub fn target_key(policy_name: &str, target: &str) -> String {
    format!("{policy_name}\n{target}")
}

/// What the `policy_targets` index is on: the target.
pub(crate) fn target_terms(row: &PolicyTarget) -> Vec<String> {
    vec![row.target.clone()]
}

/// The `policy_targets` keys of every attachment to `target`.
pub fn attachment_keys(inner: &Inner, target: &str) -> Vec<String> {
    inner
        .policy_targets
        .by_term(target)
        .map(|(key, _)| key.clone())
        .collect()
}

impl Inner {
    /// The names of the policies attached to `target` (a certificate or thing-group ARN,
    /// or a Cognito identity), in name order; from the index, so as cheap for a fleet of
    /// ten thousand as for one.
    pub fn policies_attached_to<'a>(&'a self, target: &str) -> impl Iterator<Item = &'a str> {
        self.policy_targets
            .by_term(target)
            .map(|(_, row)| row.policy_name.as_str())
    }
}

/// Validates a document as CreatePolicy does, with MalformedPolicyException.
pub fn check_document(text: &str) -> IotResult<document::PolicyDocument> {
    document::parse(text).map_err(|e| IotError::new(ErrorKind::MalformedPolicy, e.to_string()))
}

/// The policy `name`, or ResourceNotFoundException.
fn existing<'a>(inner: &'a Inner, name: &str) -> IotResult<&'a Policy> {
    inner
        .policies
        .get(name)
        .ok_or_else(|| IotError::not_found("Policy not found"))
}

/// The names of the targets `name` is attached to, in key order.
fn targets_of(inner: &Inner, name: &str) -> Vec<String> {
    let prefix = format!("{name}\n");
    inner
        .policy_targets
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, row)| row.target.clone())
        .collect()
}

impl Registry {
    /// CreatePolicy: version 1, the default.
    pub fn create_policy(&self, name: &str, document: &str) -> IotResult<Policy> {
        validate::policy_name(name)?;
        check_document(document)?;
        let arn = self.account().policy_arn(name);
        self.write(|inner, tx| {
            if inner.policies.contains(name) {
                return Err(IotError::already_exists(
                    format!("Policy cannot be created - name already exists (name={name})"),
                    name,
                    &arn,
                ));
            }
            Ok(self.insert_policy_tx(inner, tx, name, document))
        })
    }

    /// Inserts a new policy (a step of a larger write: name and document already checked,
    /// the name free).
    pub(crate) fn insert_policy_tx(
        &self,
        inner: &mut Inner,
        tx: &mut Tx,
        name: &str,
        document: &str,
    ) -> Policy {
        let now = self.clock().now_ms();
        let version = PolicyVersion {
            document: document.to_string(),
            creation_date_ms: now,
        };
        let policy = Policy {
            policy_name: name.to_string(),
            versions: BTreeMap::from([(1, version)]),
            default_version_id: 1,
            next_version_id: 2,
            generation_id: self.draw(tx, |e| e.hex("policy-generation", 32)),
            creation_date_ms: now,
            last_modified_date_ms: now,
        };
        inner.policies.put(tx, name, policy.clone());
        policy
    }

    /// GetPolicy.
    pub fn get_policy(&self, name: &str) -> IotResult<Policy> {
        validate::policy_name(name)?;
        self.read(|inner| existing(inner, name).cloned())
    }

    /// DeletePolicy: refused while attached or while other versions exist.
    pub fn delete_policy(&self, name: &str) -> IotResult<()> {
        validate::policy_name(name)?;
        self.write(|inner, tx| {
            let policy = existing(inner, name)?;
            if !targets_of(inner, name).is_empty() {
                return Err(IotError::new(
                    ErrorKind::DeleteConflict,
                    format!("The policy cannot be deleted as the policy is attached to one or more principals (name={name})"),
                ));
            }
            if policy.versions.len() > 1 {
                // AWS's wording, as reported in rebuy-de/aws-nuke#320.
                return Err(IotError::new(
                    ErrorKind::DeleteConflict,
                    "The policy cannot be deleted as versions other than than default version exist",
                ));
            }
            inner.policies.remove(tx, name);
            super::tags::forget(inner, tx, &self.account().policy_arn(name));
            Ok(())
        })
    }

    /// ListPolicies: names in name order (descending when `ascending` is false).
    pub fn list_policies(&self, ascending: bool) -> Vec<String> {
        let mut names: Vec<String> = self.read(|inner| {
            inner
                .policies
                .values()
                .map(|p| p.policy_name.clone())
                .collect()
        });
        if !ascending {
            names.reverse();
        }
        names
    }

    /// The policies in force for `target` (a certificate or thing-group ARN): each policy's
    /// name and default-version document. Used by the broker.
    pub fn policies_for_target(&self, target: &str) -> Vec<(String, String)> {
        self.read(|inner| {
            inner
                .policies_attached_to(target)
                .filter_map(|name| inner.policies.get(name))
                .map(|p| (p.policy_name.clone(), p.default_document().to_string()))
                .collect()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {

    use super::*;

    pub(crate) const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#;

    pub(crate) fn registry() -> Registry {
        crate::registry::testing::registry_at(0)
    }

    #[test]
    fn create_get_list_delete() {
        let reg = registry();
        let p = reg.create_policy("p1", DOC).unwrap();
        assert_eq!(p.default_version_id, 1);
        assert_eq!(p.generation_id.len(), 64);
        let e = reg.create_policy("p1", DOC).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceAlreadyExists);
        assert_eq!(
            e.resource.unwrap().1,
            "arn:aws:iot:us-east-1:123456789012:policy/p1"
        );
        reg.create_policy("p0", DOC).unwrap();
        assert_eq!(reg.list_policies(true), vec!["p0", "p1"]);
        assert_eq!(reg.list_policies(false), vec!["p1", "p0"]);
        assert_eq!(reg.get_policy("p1").unwrap().default_document(), DOC);
        reg.delete_policy("p1").unwrap();
        assert_eq!(
            reg.get_policy("p1").unwrap_err().kind,
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            reg.delete_policy("p1").unwrap_err().kind,
            ErrorKind::ResourceNotFound
        );
    }

    #[test]
    fn malformed_and_invalid_names() {
        let reg = registry();
        let e = reg.create_policy("p", "{\"Statement\": 1}").unwrap_err();
        assert_eq!(e.kind, ErrorKind::MalformedPolicy);
        assert_eq!(
            e.message,
            "Policy document is Malformed: Invalid policy syntax."
        );
        assert_eq!(
            reg.create_policy("bad name", DOC).unwrap_err().kind,
            ErrorKind::InvalidRequest
        );
        assert!(reg.list_policies(true).is_empty());
    }
}
