//! Static thing groups: records, the parent hierarchy and the thing-group operations.
//! Membership of things lives in [`super::thing_group_members`].

use serde::{Deserialize, Serialize};

use super::thing::{apply_attributes, validate_attributes, AttributePayload};
use super::thing_ops::check_version;
use super::{validate, Inner, IotError, IotResult, Registry};

/// A thing group, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThingGroup {
    pub thing_group_name: String,
    pub thing_group_id: String,
    pub parent_group_name: Option<String>,
    /// The wire shape `ThingGroupProperties`, kept as sent.
    pub properties: serde_json::Value,
    pub version: i64,
    pub creation_date_ms: i64,
}

/// The wire shape `ThingGroupProperties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThingGroupProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thing_group_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_payload: Option<AttributePayload>,
}

/// AWS: the maximum depth of a thing group hierarchy.
pub const MAX_DEPTH: usize = 7;
/// AWS: the maximum number of direct child groups of a thing group.
pub const MAX_CHILDREN: usize = 100;

/// The error for a thing group that does not exist.
pub(crate) fn group_not_found(name: &str) -> IotError {
    IotError::not_found(format!("Thing group {name} cannot be found."))
}

impl ThingGroup {
    /// The stored properties in their wire shape.
    pub fn typed_properties(&self) -> ThingGroupProperties {
        serde_json::from_value(self.properties.clone()).unwrap_or_default()
    }
}

/// Checks `p` and returns it as stored: attributes applied to `current`, no `merge` flag.
fn normalise(
    p: &ThingGroupProperties,
    current: &ThingGroupProperties,
) -> IotResult<ThingGroupProperties> {
    if let Some(d) = &p.thing_group_description {
        validate::pattern(
            "thingGroupProperties.thingGroupDescription",
            d,
            0,
            2028,
            |c| !c.is_control(),
        )?;
    }
    let mut out = current.clone();
    if p.thing_group_description.is_some() {
        out.thing_group_description = p.thing_group_description.clone();
    }
    if let Some(payload) = &p.attribute_payload {
        if let Some(attributes) = &payload.attributes {
            validate_attributes(attributes)?;
        }
        let now = current
            .attribute_payload
            .as_ref()
            .and_then(|a| a.attributes.clone())
            .unwrap_or_default();
        let next = apply_attributes(&now, payload);
        out.attribute_payload = Some(AttributePayload {
            attributes: Some(next),
            merge: None,
        });
    }
    Ok(out)
}

/// `group` then its parents up to the root (empty when `group` does not exist).
pub(crate) fn ancestors(inner: &Inner, group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = inner.thing_groups.get(group);
    // The bound guards against a corrupt (cyclic) store.
    while let Some(g) = next.filter(|_| out.len() <= inner.thing_groups.len()) {
        out.push(g.thing_group_name.clone());
        next = g
            .parent_group_name
            .as_deref()
            .and_then(|p| inner.thing_groups.get(p));
    }
    out
}

/// `group` and all its descendants.
pub(crate) fn subtree(inner: &Inner, group: &str) -> Vec<String> {
    inner
        .thing_groups
        .values()
        .filter(|g| {
            ancestors(inner, &g.thing_group_name)
                .iter()
                .any(|a| a == group)
        })
        .map(|g| g.thing_group_name.clone())
        .collect()
}

fn check_parent(inner: &Inner, parent: &str) -> IotResult<()> {
    if !inner.thing_groups.contains(parent) {
        // CreateThingGroup's model lists no ResourceNotFoundException.
        return Err(IotError::invalid(format!(
            "Parent thing group {parent} does not exist"
        )));
    }
    if ancestors(inner, parent).len() >= MAX_DEPTH {
        return Err(IotError::invalid(format!(
            "A thing group hierarchy can be at most {MAX_DEPTH} levels deep"
        )));
    }
    let children = inner
        .thing_groups
        .values()
        .filter(|g| g.parent_group_name.as_deref() == Some(parent))
        .count();
    if children >= MAX_CHILDREN {
        return Err(IotError::invalid(format!(
            "Thing group {parent} already has {MAX_CHILDREN} child groups"
        )));
    }
    Ok(())
}

impl Registry {
    /// The group then its parents up to the root; empty for an unknown group.
    pub fn thing_group_ancestors(&self, group: &str) -> Vec<String> {
        self.read(|inner| ancestors(inner, group))
    }

    /// CreateThingGroup: idempotent for the same parent and properties.
    pub fn create_thing_group(
        &self,
        name: &str,
        parent: Option<&str>,
        properties: Option<ThingGroupProperties>,
    ) -> IotResult<ThingGroup> {
        validate::thing_name("thingGroupName", name)?;
        if let Some(p) = parent {
            validate::thing_name("parentGroupName", p)?;
        }
        let props = normalise(&properties.unwrap_or_default(), &Default::default())?;
        let arn = self.account().thing_group_arn(name);
        self.write(|inner, tx| {
            if let Some(existing) = inner.thing_groups.get(name) {
                let same = existing.parent_group_name.as_deref() == parent
                    && existing.typed_properties() == props;
                if same {
                    return Ok(existing.clone());
                }
                return Err(IotError::already_exists(
                    format!("Thing Group {name} already exists in current account with different properties"),
                    &existing.thing_group_id,
                    &arn,
                ));
            }
            if let Some(p) = parent {
                check_parent(inner, p)?;
            }
            let group = ThingGroup {
                thing_group_name: name.to_string(),
                thing_group_id: self.entropy().uuid("thing_group"),
                parent_group_name: parent.map(String::from),
                properties: serde_json::to_value(&props).unwrap_or_default(),
                version: 1,
                creation_date_ms: self.clock().now_ms(),
            };
            inner.thing_groups.put(tx, name, group.clone());
            Ok(group)
        })
    }

    /// DescribeThingGroup.
    pub fn describe_thing_group(&self, name: &str) -> IotResult<ThingGroup> {
        validate::thing_name("thingGroupName", name)?;
        self.read(|inner| inner.thing_groups.get(name).cloned())
            .ok_or_else(|| group_not_found(name))
    }

    /// UpdateThingGroup: returns the new version.
    pub fn update_thing_group(
        &self,
        name: &str,
        properties: &ThingGroupProperties,
        expected_version: Option<i64>,
    ) -> IotResult<i64> {
        validate::thing_name("thingGroupName", name)?;
        self.write(|inner, tx| {
            let mut g = inner
                .thing_groups
                .get(name)
                .cloned()
                .ok_or_else(|| group_not_found(name))?;
            check_version("thing group", name, expected_version, g.version)?;
            let props = normalise(properties, &g.typed_properties())?;
            g.properties = serde_json::to_value(&props).unwrap_or_default();
            g.version += 1;
            let version = g.version;
            inner.thing_groups.put(tx, name, g);
            Ok(version)
        })
    }

    /// DeleteThingGroup: succeeds for a missing group, refuses one with child groups, and
    /// removes the group from its member things.
    pub fn delete_thing_group(&self, name: &str, expected_version: Option<i64>) -> IotResult<()> {
        validate::thing_name("thingGroupName", name)?;
        let arn = self.account().thing_group_arn(name);
        self.write(|inner, tx| {
            let Some(g) = inner.thing_groups.get(name) else {
                return Ok(());
            };
            check_version("thing group", name, expected_version, g.version)?;
            let has_children = inner
                .thing_groups
                .values()
                .any(|c| c.parent_group_name.as_deref() == Some(name));
            if has_children {
                return Err(IotError::invalid(format!(
                    "Cannot delete thing group : {name} when there are still child groups attached to it"
                )));
            }
            let members: Vec<String> = inner
                .things
                .values()
                .filter(|t| t.thing_groups.iter().any(|m| m == name))
                .map(|t| t.thing_name.clone())
                .collect();
            for thing in members {
                inner.things.update(tx, &thing, |t| t.thing_groups.retain(|m| m != name));
            }
            // Policies attached to the group go with it.
            for key in super::policy::attachment_keys(inner, &arn) {
                inner.policy_targets.remove(tx, &key);
            }
            inner.thing_groups.remove(tx, name);
            super::tags::forget(inner, tx, &arn);
            Ok(())
        })
    }

    /// ListThingGroups. `recursive` defaults to true: without a parent that is every group
    /// (roots only when false); with a parent, all its descendants (direct children when false).
    pub fn list_thing_groups(
        &self,
        parent: Option<&str>,
        name_prefix: Option<&str>,
        recursive: Option<bool>,
    ) -> IotResult<Vec<ThingGroup>> {
        let recursive = recursive.unwrap_or(true);
        self.read(|inner| {
            if let Some(p) = parent.filter(|p| !inner.thing_groups.contains(p)) {
                return Err(group_not_found(p));
            }
            let keep = |g: &ThingGroup| {
                let name = &g.thing_group_name;
                let placed = match (parent, recursive) {
                    (None, true) => true,
                    (None, false) => g.parent_group_name.is_none(),
                    (Some(p), false) => g.parent_group_name.as_deref() == Some(p),
                    (Some(p), true) => name != p && ancestors(inner, name).iter().any(|a| a == p),
                };
                placed && name_prefix.is_none_or(|pre| name.starts_with(pre))
            };
            Ok(inner
                .thing_groups
                .values()
                .filter(|g| keep(g))
                .cloned()
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::thing_ops::tests::{payload, registry};
    use crate::registry::ErrorKind;

    fn names(groups: Vec<ThingGroup>) -> Vec<String> {
        groups.into_iter().map(|g| g.thing_group_name).collect()
    }

    #[test]
    fn deleting_a_group_drops_its_policy_attachments() {
        let r = registry();
        r.create_thing_group("g", None, None).unwrap();
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}"#;
        r.create_policy("p", doc).unwrap();
        let arn = r.account().thing_group_arn("g");
        r.attach_policy("p", &arn).unwrap();
        r.delete_thing_group("g", None).unwrap();
        assert!(r.read(|inner| inner.policy_targets.is_empty()));
        r.delete_policy("p").unwrap();
    }

    #[test]
    fn hierarchy_and_listing() {
        let r = registry();
        r.create_thing_group("root", None, None).unwrap();
        r.create_thing_group("mid", Some("root"), None).unwrap();
        r.create_thing_group("leaf", Some("mid"), None).unwrap();
        r.create_thing_group("other", None, None).unwrap();
        assert_eq!(r.thing_group_ancestors("leaf"), ["leaf", "mid", "root"]);
        assert!(r.thing_group_ancestors("nope").is_empty());
        let e = r.create_thing_group("x", Some("nope"), None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert_eq!(
            names(r.list_thing_groups(None, None, None).unwrap()).len(),
            4
        );
        assert_eq!(
            names(r.list_thing_groups(None, None, Some(false)).unwrap()),
            ["other", "root"]
        );
        assert_eq!(
            names(r.list_thing_groups(Some("root"), None, None).unwrap()),
            ["leaf", "mid"]
        );
        assert_eq!(
            names(
                r.list_thing_groups(Some("root"), None, Some(false))
                    .unwrap()
            ),
            ["mid"]
        );
        assert_eq!(
            names(r.list_thing_groups(None, Some("o"), None).unwrap()),
            ["other"]
        );
        let e = r.list_thing_groups(Some("nope"), None, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        let e = r.delete_thing_group("mid", None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        r.delete_thing_group("leaf", None).unwrap();
        r.delete_thing_group("leaf", None).unwrap();
        r.delete_thing_group("mid", Some(1)).unwrap();
    }

    #[test]
    fn idempotent_create_and_update() {
        let r = registry();
        let props = ThingGroupProperties {
            thing_group_description: Some("d".into()),
            attribute_payload: payload(&[("a", "1"), ("b", "2")], false),
        };
        let g1 = r
            .create_thing_group("g", None, Some(props.clone()))
            .unwrap();
        let g2 = r.create_thing_group("g", None, Some(props)).unwrap();
        assert_eq!(g1.thing_group_id, g2.thing_group_id);
        let e = r.create_thing_group("g", None, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceAlreadyExists);
        let update = ThingGroupProperties {
            thing_group_description: None,
            attribute_payload: payload(&[("a", ""), ("c", "3")], true),
        };
        assert_eq!(r.update_thing_group("g", &update, Some(1)).unwrap(), 2);
        let e = r.update_thing_group("g", &update, Some(1)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::VersionConflict);
        let p = r.describe_thing_group("g").unwrap().typed_properties();
        assert_eq!(p.thing_group_description.as_deref(), Some("d"));
        let attrs = p.attribute_payload.unwrap().attributes.unwrap();
        assert_eq!(attrs.keys().collect::<Vec<_>>(), ["b", "c"]);
        let e = r.delete_thing_group("g", Some(1)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::VersionConflict);
    }
}
