//! Policy attachments to certificates, thing groups and Cognito identities: AttachPolicy,
//! DetachPolicy, the listings both ways, and the deprecated principal-policy operations.

use std::collections::BTreeSet;

use super::{existing, target_key, targets_of, PolicyTarget};
use crate::registry::{validate, ErrorKind, Inner, IotError, IotResult, Registry, Tx};

/// At most this many policies on one certificate or Cognito identity (LIMITS-2019).
const MAX_PER_PRINCIPAL: usize = 10;
/// At most this many policies on one thing group (DG-2022 `thing-groups.md`).
const MAX_PER_GROUP: usize = 2;
/// Thing groups nest at most 7 deep; the walk stops there even if the data loops.
const MAX_GROUP_DEPTH: usize = 8;

/// What a `target` string names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target<'a> {
    Certificate(&'a str),
    ThingGroup(&'a str),
    /// A Cognito identity id (`region:id`); the emulator has no Cognito to check it against.
    Cognito,
}

impl Registry {
    fn classify<'a>(&self, target: &'a str) -> IotResult<Target<'a>> {
        let invalid = || IotError::invalid(format!("Invalid target: {target}"));
        if target.starts_with("arn:") {
            return match self.account().parse_arn(target) {
                Some(("cert", id)) => Ok(Target::Certificate(id)),
                Some(("thinggroup", name)) => Ok(Target::ThingGroup(name)),
                _ => Err(invalid()),
            };
        }
        // A Cognito identity id: `<region>:<uuid>`.
        match target.split_once(':') {
            Some((region, id))
                if !region.is_empty()
                    && !id.is_empty()
                    && target
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':') =>
            {
                Ok(Target::Cognito)
            }
            _ => Err(invalid()),
        }
    }

    /// AttachPolicy (and the deprecated AttachPrincipalPolicy): idempotent.
    pub fn attach_policy(&self, name: &str, target: &str) -> IotResult<()> {
        validate::policy_name(name)?;
        self.classify(target)?;
        self.write(|inner, tx| self.attach_policy_tx(inner, tx, name, target))
    }

    /// AttachPolicy as a step of a larger write (the name already checked).
    pub(crate) fn attach_policy_tx(
        &self,
        inner: &mut Inner,
        tx: &mut Tx,
        name: &str,
        target: &str,
    ) -> IotResult<()> {
        let kind = self.classify(target)?;
        existing(inner, name)?;
        target_exists(inner, kind)?;
        let key = target_key(name, target);
        if inner.policy_targets.contains(&key) {
            return Ok(());
        }
        let limit = match kind {
            Target::ThingGroup(_) => MAX_PER_GROUP,
            _ => MAX_PER_PRINCIPAL,
        };
        let attached = inner.policies_attached_to(target).count();
        if attached >= limit {
            return Err(IotError::new(
                ErrorKind::LimitExceeded,
                format!("The target {target} already has the maximum number of policies attached ({limit})"),
            ));
        }
        let row = PolicyTarget {
            policy_name: name.to_string(),
            target: target.to_string(),
        };
        inner.policy_targets.put(tx, key, row);
        Ok(())
    }

    /// DetachPolicy: succeeds when nothing was attached (the model lists no NotFound).
    pub fn detach_policy(&self, name: &str, target: &str) -> IotResult<()> {
        validate::policy_name(name)?;
        self.classify(target)?;
        self.write(|inner, tx| {
            inner.policy_targets.remove(tx, &target_key(name, target));
            Ok(())
        })
    }

    /// The deprecated DetachPrincipalPolicy: the policy and principal must exist.
    pub fn detach_principal_policy(&self, name: &str, principal: &str) -> IotResult<()> {
        validate::policy_name(name)?;
        let kind = self.classify(principal)?;
        self.read(|inner| {
            existing(inner, name)?;
            target_exists(inner, kind)
        })?;
        self.detach_policy(name, principal)
    }

    /// ListAttachedPolicies: policy names on `target`; with `recursive` on a thing group, the
    /// group's own policies then each ancestor's, nearest first, without repeats.
    pub fn list_attached_policies(&self, target: &str, recursive: bool) -> IotResult<Vec<String>> {
        let kind = self.classify(target)?;
        self.read(|inner| {
            target_exists(inner, kind)?;
            let mut targets = vec![target.to_string()];
            if let (Target::ThingGroup(group), true) = (kind, recursive) {
                let account = self.account();
                targets.extend(
                    ancestors(inner, group)
                        .iter()
                        .map(|g| account.thing_group_arn(g)),
                );
            }
            let mut seen = BTreeSet::new();
            let mut names = Vec::new();
            for t in &targets {
                for name in inner.policies_attached_to(t) {
                    if seen.insert(name.to_string()) {
                        names.push(name.to_string());
                    }
                }
            }
            Ok(names)
        })
    }

    /// ListTargetsForPolicy: every target of `name`.
    pub fn list_targets_for_policy(&self, name: &str) -> IotResult<Vec<String>> {
        validate::policy_name(name)?;
        self.read(|inner| {
            existing(inner, name)?;
            Ok(targets_of(inner, name))
        })
    }

    /// The deprecated ListPolicyPrincipals: the certificates and Cognito identities only.
    pub fn list_policy_principals(&self, name: &str) -> IotResult<Vec<String>> {
        let targets = self.list_targets_for_policy(name)?;
        Ok(targets
            .into_iter()
            .filter(|t| !matches!(self.classify(t), Ok(Target::ThingGroup(_))))
            .collect())
    }
}

fn target_exists(inner: &Inner, target: Target<'_>) -> IotResult<()> {
    match target {
        Target::Certificate(id) if !inner.certificates.contains(id) => Err(IotError::not_found(
            format!("The certificate {id} does not exist"),
        )),
        Target::ThingGroup(name) if !inner.thing_groups.contains(name) => Err(IotError::not_found(
            format!("Thing group {name} does not exist"),
        )),
        _ => Ok(()),
    }
}

/// The names of `group`'s ancestors, parent first.
fn ancestors(inner: &Inner, group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = inner
        .thing_groups
        .get(group)
        .and_then(|g| g.parent_group_name.clone());
    while let Some(name) = current {
        if out.len() >= MAX_GROUP_DEPTH || out.contains(&name) || name == group {
            break;
        }
        current = inner
            .thing_groups
            .get(&name)
            .and_then(|g| g.parent_group_name.clone());
        out.push(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{registry, DOC};
    use super::*;

    use crate::registry::thing_group::ThingGroup;

    const CERT: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn add_cert(reg: &Registry, id: &str) -> String {
        crate::registry::testing::insert_certificate(reg, id)
    }

    fn add_group(reg: &Registry, name: &str, parent: Option<&str>) -> String {
        let group = ThingGroup {
            thing_group_name: name.into(),
            thing_group_id: name.into(),
            parent_group_name: parent.map(str::to_string),
            properties: serde_json::json!({}),
            version: 1,
            creation_date_ms: 0,
        };
        reg.write(|inner, tx| {
            inner.thing_groups.put(tx, name, group);
            Ok(())
        })
        .unwrap();
        reg.account().thing_group_arn(name)
    }

    #[test]
    fn attach_to_a_certificate() {
        let reg = registry();
        let cert = add_cert(&reg, CERT);
        reg.create_policy("p", DOC).unwrap();
        reg.attach_policy("p", &cert).unwrap();
        reg.attach_policy("p", &cert).unwrap();
        assert_eq!(
            reg.list_targets_for_policy("p").unwrap(),
            vec![cert.clone()]
        );
        assert_eq!(reg.list_attached_policies(&cert, false).unwrap(), vec!["p"]);
        assert_eq!(
            reg.policies_for_target(&cert),
            vec![("p".to_string(), DOC.to_string())]
        );
        assert_eq!(
            reg.delete_policy("p").unwrap_err().kind,
            ErrorKind::DeleteConflict
        );
        reg.detach_policy("p", &cert).unwrap();
        reg.detach_policy("p", &cert).unwrap();
        assert!(reg.list_attached_policies(&cert, false).unwrap().is_empty());
        reg.delete_policy("p").unwrap();
    }

    #[test]
    fn attach_errors() {
        let reg = registry();
        let missing_cert = reg.account().cert_arn(CERT);
        let missing_group = reg.account().thing_group_arn("g");
        reg.create_policy("p", DOC).unwrap();
        let kind = |r: IotResult<()>| r.unwrap_err().kind;
        assert_eq!(
            kind(reg.attach_policy("p", &missing_cert)),
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            kind(reg.attach_policy("p", &missing_group)),
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            kind(reg.attach_policy("p", "not a target")),
            ErrorKind::InvalidRequest
        );
        let thing = reg.account().thing_arn("t");
        assert_eq!(
            kind(reg.attach_policy("p", &thing)),
            ErrorKind::InvalidRequest
        );
        let cert = add_cert(&reg, CERT);
        assert_eq!(
            kind(reg.attach_policy("q", &cert)),
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            kind(reg.detach_principal_policy("q", &cert)),
            ErrorKind::ResourceNotFound
        );
        let e = reg
            .list_attached_policies(&missing_group, true)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        reg.attach_policy("p", "us-east-1:0f7d1e2c-0000-4000-8000-000000000000")
            .unwrap();
    }

    #[test]
    fn group_limits_and_recursion() {
        let reg = registry();
        let root = add_group(&reg, "root", None);
        let mid = add_group(&reg, "mid", Some("root"));
        let leaf = add_group(&reg, "leaf", Some("mid"));
        for p in ["a", "b", "c", "d"] {
            reg.create_policy(p, DOC).unwrap();
        }
        reg.attach_policy("c", &leaf).unwrap();
        reg.attach_policy("b", &mid).unwrap();
        reg.attach_policy("a", &root).unwrap();
        reg.attach_policy("c", &root).unwrap();
        reg.attach_policy("d", &leaf).unwrap();
        let e = reg.attach_policy("a", &leaf).unwrap_err();
        assert_eq!(e.kind, ErrorKind::LimitExceeded);
        assert_eq!(
            reg.list_attached_policies(&leaf, false).unwrap(),
            vec!["c", "d"]
        );
        assert_eq!(
            reg.list_attached_policies(&leaf, true).unwrap(),
            vec!["c", "d", "b", "a"]
        );
        assert!(reg.list_policy_principals("c").unwrap().is_empty());
        let cert = add_cert(&reg, CERT);
        reg.attach_policy("c", &cert).unwrap();
        assert_eq!(reg.list_policy_principals("c").unwrap(), vec![cert]);
    }

    #[test]
    fn the_target_index_follows_rollback() {
        let reg = registry();
        let cert = add_cert(&reg, CERT);
        reg.create_policy("p", DOC).unwrap();
        let before = reg.authorization_generation();
        let failed = reg.write(|inner, tx| {
            reg.attach_policy_tx(inner, tx, "p", &cert)?;
            Err::<(), _>(IotError::invalid("undo"))
        });
        assert!(failed.is_err());
        assert!(reg.policies_for_target(&cert).is_empty());
        assert_ne!(reg.authorization_generation(), before);
        reg.attach_policy("p", &cert).unwrap();
        reg.detach_policy("p", &cert).unwrap();
        let attached = reg.read(|inner| inner.policies_attached_to(&cert).count());
        assert_eq!(attached, 0);
    }
}
