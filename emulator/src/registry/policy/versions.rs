//! Policy versions: CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
//! DeletePolicyVersion and SetDefaultPolicyVersion.

use super::{check_document, existing, Policy, PolicyVersion, MAX_VERSIONS};
use crate::registry::{validate, ErrorKind, IotError, IotResult, Registry};

/// Parses a `policyVersionId` (model pattern `[0-9]+`).
fn parse_version_id(id: &str) -> IotResult<u32> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(IotError::invalid(format!(
            "1 validation error detected: Value '{id}' at 'policyVersionId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]+"
        )));
    }
    // Digits beyond u32 can name no version that exists.
    id.parse()
        .map_err(|_| IotError::not_found("Policy version not found"))
}

fn version_not_found() -> IotError {
    IotError::not_found("Policy version not found")
}

impl Registry {
    /// CreatePolicyVersion: returns the policy after the change and the new version id.
    pub fn create_policy_version(
        &self,
        name: &str,
        document: &str,
        set_as_default: bool,
    ) -> IotResult<(Policy, u32)> {
        validate::policy_name(name)?;
        check_document(document)?;
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            let mut policy = existing(inner, name)?.clone();
            if policy.versions.len() >= MAX_VERSIONS {
                return Err(IotError::new(
                    ErrorKind::VersionsLimitExceeded,
                    format!("The policy {name} already has the maximum number of versions ({MAX_VERSIONS})"),
                ));
            }
            // Ids keep increasing after deletes, as IAM's do (spec A.6 marks this unconfirmed).
            let id = policy.next_version_id;
            policy.next_version_id += 1;
            let version = PolicyVersion {
                document: document.to_string(),
                creation_date_ms: now,
            };
            policy.versions.insert(id, version);
            policy.last_modified_date_ms = now;
            if set_as_default {
                policy.default_version_id = id;
                policy.generation_id = self.entropy().hex("policy-generation", 32);
            }
            inner.policies.put(tx, name, policy.clone());
            Ok((policy, id))
        })
    }

    /// GetPolicyVersion: the policy and the requested version.
    pub fn get_policy_version(
        &self,
        name: &str,
        id: &str,
    ) -> IotResult<(Policy, u32, PolicyVersion)> {
        validate::policy_name(name)?;
        let id = parse_version_id(id)?;
        self.read(|inner| {
            let policy = existing(inner, name)?;
            let version = policy.versions.get(&id).ok_or_else(version_not_found)?;
            Ok((policy.clone(), id, version.clone()))
        })
    }

    /// ListPolicyVersions: the policy, whose `versions` the caller lists.
    pub fn list_policy_versions(&self, name: &str) -> IotResult<Policy> {
        self.get_policy(name)
    }

    /// DeletePolicyVersion: never the default version.
    pub fn delete_policy_version(&self, name: &str, id: &str) -> IotResult<()> {
        validate::policy_name(name)?;
        let id = parse_version_id(id)?;
        self.write(|inner, tx| {
            let mut policy = existing(inner, name)?.clone();
            if !policy.versions.contains_key(&id) {
                return Err(version_not_found());
            }
            if policy.default_version_id == id {
                return Err(IotError::new(
                    ErrorKind::DeleteConflict,
                    "Cannot delete the default version of a policy",
                ));
            }
            policy.versions.remove(&id);
            inner.policies.put(tx, name, policy);
            Ok(())
        })
    }

    /// SetDefaultPolicyVersion: the version in force for every target from now on.
    pub fn set_default_policy_version(&self, name: &str, id: &str) -> IotResult<()> {
        validate::policy_name(name)?;
        let id = parse_version_id(id)?;
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            let mut policy = existing(inner, name)?.clone();
            if !policy.versions.contains_key(&id) {
                return Err(version_not_found());
            }
            if policy.default_version_id != id {
                policy.default_version_id = id;
                policy.generation_id = self.entropy().hex("policy-generation", 32);
                policy.last_modified_date_ms = now;
            }
            inner.policies.put(tx, name, policy);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{registry, DOC};
    use super::*;

    #[test]
    fn versions_up_to_the_limit() {
        let reg = registry();
        reg.create_policy("p", DOC).unwrap();
        for want in 2..=5 {
            let (policy, id) = reg.create_policy_version("p", DOC, false).unwrap();
            assert_eq!(id, want);
            assert_eq!(policy.default_version_id, 1);
        }
        let e = reg.create_policy_version("p", DOC, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::VersionsLimitExceeded);
        assert_eq!(
            e.message,
            "The policy p already has the maximum number of versions (5)"
        );
        let e = reg.delete_policy("p").unwrap_err();
        assert_eq!(e.kind, ErrorKind::DeleteConflict);
        reg.delete_policy_version("p", "5").unwrap();
        let (policy, id) = reg.create_policy_version("p", DOC, true).unwrap();
        assert_eq!((id, policy.default_version_id), (6, 6));
        assert!(!policy.versions.contains_key(&5));
    }

    #[test]
    fn default_version_rules() {
        let reg = registry();
        let before = reg.create_policy("p", DOC).unwrap().generation_id;
        reg.create_policy_version("p", DOC, false).unwrap();
        let e = reg.delete_policy_version("p", "1").unwrap_err();
        assert_eq!(e.kind, ErrorKind::DeleteConflict);
        reg.set_default_policy_version("p", "2").unwrap();
        let (policy, _, version) = reg.get_policy_version("p", "2").unwrap();
        assert_eq!(policy.default_version_id, 2);
        assert_ne!(policy.generation_id, before);
        assert_eq!(version.document, DOC);
        reg.delete_policy_version("p", "1").unwrap();
        reg.delete_policy("p").unwrap();
    }

    #[test]
    fn bad_version_ids() {
        let reg = registry();
        reg.create_policy("p", DOC).unwrap();
        let kind = |r: IotResult<()>| r.unwrap_err().kind;
        assert_eq!(
            kind(reg.set_default_policy_version("p", "x")),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            kind(reg.set_default_policy_version("p", "9")),
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            kind(reg.delete_policy_version("p", "99999999999")),
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            kind(reg.delete_policy_version("q", "1")),
            ErrorKind::ResourceNotFound
        );
        assert!(reg.get_policy_version("p", "2").is_err());
    }
}
