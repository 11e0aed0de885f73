//! Things: records, attribute rules, principals and the thing operations.
//!
//! The operations themselves live in [`super::thing_ops`] (create, describe, update, delete,
//! list) and [`super::thing_principal`] (principal attachments); this module holds the
//! record, the `AttributePayload` rules shared with thing groups, and the public reads the
//! broker and the policy engine use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{validate, Inner, IotError, IotResult, Registry};

/// A thing, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Thing {
    pub thing_name: String,
    pub thing_id: String,
    pub thing_type_name: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub version: i64,
    pub billing_group_name: Option<String>,
    /// Attached principals (certificate ARNs) and their `thingPrincipalType`.
    pub principals: BTreeMap<String, String>,
    /// Names of the static thing groups it belongs to.
    pub thing_groups: Vec<String>,
    pub creation_date_ms: i64,
}

/// What the `things` index is on: the attached principals.
pub(crate) fn principal_terms(thing: &Thing) -> Vec<String> {
    thing.principals.keys().cloned().collect()
}

impl Inner {
    /// The things `principal` (a stored principal key, see [`Registry::principal_key`])
    /// is attached to, by name, each with its `thingPrincipalType`; from the index.
    pub fn things_of_principal<'a, 'p>(
        &'a self,
        principal: &'p str,
    ) -> impl Iterator<Item = (&'a Thing, &'a str)> + use<'a, 'p> {
        self.things
            .by_term(principal)
            .filter_map(move |(_, t)| Some((t, t.principals.get(principal)?.as_str())))
    }
}

/// The wire shape `AttributePayload`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributePayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<bool>,
}

/// AWS: things with a thing type may have up to 50 attributes, things without one 3.
pub const MAX_ATTRIBUTES_TYPED: usize = 50;
/// See [`MAX_ATTRIBUTES_TYPED`].
pub const MAX_ATTRIBUTES_UNTYPED: usize = 3;

/// `EXCLUSIVE_THING` or `NON_EXCLUSIVE_THING`, the `thingPrincipalType` enum.
pub fn principal_type(field: &str, value: &str) -> IotResult<()> {
    if matches!(value, "EXCLUSIVE_THING" | "NON_EXCLUSIVE_THING") {
        return Ok(());
    }
    Err(IotError::invalid(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [EXCLUSIVE_THING, NON_EXCLUSIVE_THING]"
    )))
}

/// Checks attribute names and values against the model's lengths and patterns.
pub fn validate_attributes(attributes: &BTreeMap<String, String>) -> IotResult<()> {
    for (name, value) in attributes {
        validate::pattern("attributePayload.attributes.key", name, 1, 128, |c| {
            c.is_ascii_alphanumeric() || "_.,@/:#-".contains(c)
        })?;
        validate::pattern("attributePayload.attributes.value", value, 0, 800, |c| {
            c.is_ascii_alphanumeric() || "_.,@/:#=[]-".contains(c)
        })?;
    }
    Ok(())
}

/// The attributes after applying `payload` to `current`.
///
/// With `merge=true` the payload's attributes are merged into the current ones; otherwise
/// they replace them. Either way an empty value removes that attribute (AWS: "To remove
/// an attribute, call UpdateThing with an empty attribute value").
pub fn apply_attributes(
    current: &BTreeMap<String, String>,
    payload: &AttributePayload,
) -> BTreeMap<String, String> {
    let Some(given) = &payload.attributes else {
        return current.clone();
    };
    let mut out = if payload.merge.unwrap_or(false) {
        current.clone()
    } else {
        BTreeMap::new()
    };
    for (name, value) in given {
        if value.is_empty() {
            out.remove(name);
        } else {
            out.insert(name.clone(), value.clone());
        }
    }
    out
}

/// Fails when a thing would carry more attributes than AWS allows for its kind.
pub fn check_attribute_count(attributes: &BTreeMap<String, String>, typed: bool) -> IotResult<()> {
    let max = if typed {
        MAX_ATTRIBUTES_TYPED
    } else {
        MAX_ATTRIBUTES_UNTYPED
    };
    if attributes.len() > max {
        let kind = if typed { "with" } else { "without" };
        return Err(IotError::invalid(format!(
            "A thing {kind} a thing type can have at most {max} attributes"
        )));
    }
    Ok(())
}

/// The error for a thing that does not exist.
pub fn thing_not_found(name: &str) -> IotError {
    IotError::not_found(format!("Thing {name} cannot be found."))
}

/// The certificate id named by a certificate ARN of this account, if it is one.
pub fn cert_id_of(registry: &Registry, principal: &str) -> Option<String> {
    match registry.account().parse_arn(principal) {
        Some(("cert", id)) if !id.is_empty() => Some(id.to_string()),
        _ => None,
    }
}

impl Registry {
    /// Every thing the principal (a certificate ARN) is attached to, by name.
    pub fn things_for_principal(&self, principal_arn: &str) -> Vec<Thing> {
        let key = self.principal_key(principal_arn);
        self.read(|inner| {
            inner
                .things_of_principal(&key)
                .map(|(t, _)| t.clone())
                .collect()
        })
    }

    /// The form a principal is stored in: certificate ARNs are rebuilt from their id, so
    /// that lookups do not depend on how the caller spelt the region or account.
    pub(crate) fn principal_key(&self, principal: &str) -> String {
        match cert_id_of(self, principal) {
            Some(id) => self.account().cert_arn(&id),
            None => principal.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn merge_and_replace_follow_aws() {
        let current = attrs(&[("a", "1"), ("b", "2")]);
        let merged = apply_attributes(
            &current,
            &AttributePayload {
                attributes: Some(attrs(&[("b", ""), ("c", "3")])),
                merge: Some(true),
            },
        );
        assert_eq!(merged, attrs(&[("a", "1"), ("c", "3")]));
        let replaced = apply_attributes(
            &current,
            &AttributePayload {
                attributes: Some(attrs(&[("c", "3"), ("d", "")])),
                merge: None,
            },
        );
        assert_eq!(replaced, attrs(&[("c", "3")]));
        assert_eq!(apply_attributes(&current, &Default::default()), current);
    }

    #[test]
    fn attribute_rules() {
        assert!(validate_attributes(&attrs(&[("serial.no", "a=[1]")])).is_ok());
        assert!(validate_attributes(&attrs(&[("bad key", "x")])).is_err());
        assert!(validate_attributes(&attrs(&[("k", "bad value")])).is_err());
        assert!(
            check_attribute_count(&attrs(&[("a", "1"), ("b", "1"), ("c", "1")]), false).is_ok()
        );
        let four = attrs(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "1")]);
        assert!(check_attribute_count(&four, false).is_err());
        assert!(check_attribute_count(&four, true).is_ok());
        assert!(principal_type("thingPrincipalType", "EXCLUSIVE_THING").is_ok());
        assert!(principal_type("thingPrincipalType", "OTHER").is_err());
    }
}
