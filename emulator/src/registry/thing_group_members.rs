//! Membership of things in static thing groups: AddThingToThingGroup,
//! RemoveThingFromThingGroup, UpdateThingGroupsForThing, ListThingGroupsForThing and
//! ListThingsInThingGroup.

use serde::Deserialize;

use super::thing::thing_not_found;
use super::thing_group::{ancestors, group_not_found, subtree};
use super::{validate, Inner, IotError, IotResult, Registry, Tx};

/// AWS: a thing can be added to at most 10 thing groups.
pub const MAX_GROUPS_PER_THING: usize = 10;

/// The body of AddThingToThingGroup and RemoveThingFromThingGroup: each side by name or ARN.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipInput {
    pub thing_group_name: Option<String>,
    pub thing_group_arn: Option<String>,
    pub thing_name: Option<String>,
    pub thing_arn: Option<String>,
    /// Only meaningful with dynamic groups, which the emulator does not have.
    pub override_dynamic_groups: Option<bool>,
}

/// The body of UpdateThingGroupsForThing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateGroupsForThingInput {
    pub thing_name: Option<String>,
    #[serde(default)]
    pub thing_groups_to_add: Vec<String>,
    #[serde(default)]
    pub thing_groups_to_remove: Vec<String>,
    pub override_dynamic_groups: Option<bool>,
}

impl Registry {
    /// The name given directly, or the one in an ARN of `kind`.
    fn name_or_arn(
        &self,
        field: &str,
        name: Option<&str>,
        arn: Option<&str>,
        kind: &str,
    ) -> IotResult<String> {
        let name = match (name, arn) {
            (Some(n), _) => n.to_string(),
            (None, Some(a)) => match self.account().parse_arn(a) {
                Some((k, n)) if k == kind => n.to_string(),
                _ => return Err(IotError::invalid(format!("Invalid ARN {a}"))),
            },
            (None, None) => {
                return Err(IotError::invalid(format!(
                    "Either {field}Name or {field}Arn must be specified"
                )))
            }
        };
        validate::thing_name(&format!("{field}Name"), &name)?;
        Ok(name)
    }

    fn membership_names(&self, input: &MembershipInput) -> IotResult<(String, String)> {
        let group = self.name_or_arn(
            "thingGroup",
            input.thing_group_name.as_deref(),
            input.thing_group_arn.as_deref(),
            "thinggroup",
        )?;
        let thing = self.name_or_arn(
            "thing",
            input.thing_name.as_deref(),
            input.thing_arn.as_deref(),
            "thing",
        )?;
        Ok((group, thing))
    }

    /// AddThingToThingGroup.
    pub fn add_thing_to_thing_group(&self, input: &MembershipInput) -> IotResult<()> {
        let (group, thing) = self.membership_names(input)?;
        self.write(|inner, tx| {
            check_exists(inner, &thing, std::slice::from_ref(&group))?;
            add(inner, tx, &thing, &group)
        })
    }

    /// RemoveThingFromThingGroup; removing a thing that is not a member succeeds.
    pub fn remove_thing_from_thing_group(&self, input: &MembershipInput) -> IotResult<()> {
        let (group, thing) = self.membership_names(input)?;
        self.write(|inner, tx| {
            check_exists(inner, &thing, std::slice::from_ref(&group))?;
            remove(inner, tx, &thing, &group);
            Ok(())
        })
    }

    /// UpdateThingGroupsForThing: removals first, then additions, all or nothing.
    pub fn update_thing_groups_for_thing(
        &self,
        input: &UpdateGroupsForThingInput,
    ) -> IotResult<()> {
        let Some(thing) = input.thing_name.as_deref() else {
            return Err(IotError::invalid("thingName must be specified"));
        };
        validate::thing_name("thingName", thing)?;
        for g in input
            .thing_groups_to_add
            .iter()
            .chain(&input.thing_groups_to_remove)
        {
            validate::thing_name("thingGroupName", g)?;
        }
        self.write(|inner, tx| {
            check_exists(inner, thing, &input.thing_groups_to_add)?;
            check_exists(inner, thing, &input.thing_groups_to_remove)?;
            for g in &input.thing_groups_to_remove {
                remove(inner, tx, thing, g);
            }
            for g in &input.thing_groups_to_add {
                add(inner, tx, thing, g)?;
            }
            Ok(())
        })
    }

    /// ListThingGroupsForThing: the groups the thing is directly a member of, by name.
    pub fn list_thing_groups_for_thing(&self, thing: &str) -> IotResult<Vec<String>> {
        validate::thing_name("thingName", thing)?;
        self.read(|inner| inner.things.get(thing).map(|t| t.thing_groups.clone()))
            .ok_or_else(|| thing_not_found(thing))
    }

    /// ListThingsInThingGroup; `recursive` includes the things of all descendant groups.
    pub fn list_things_in_thing_group(
        &self,
        group: &str,
        recursive: bool,
    ) -> IotResult<Vec<String>> {
        validate::thing_name("thingGroupName", group)?;
        self.read(|inner| {
            if !inner.thing_groups.contains(group) {
                return Err(group_not_found(group));
            }
            let groups = if recursive {
                subtree(inner, group)
            } else {
                vec![group.to_string()]
            };
            Ok(inner
                .things
                .values()
                .filter(|t| t.thing_groups.iter().any(|m| groups.contains(m)))
                .map(|t| t.thing_name.clone())
                .collect())
        })
    }
}

fn check_exists(inner: &Inner, thing: &str, groups: &[String]) -> IotResult<()> {
    if !inner.things.contains(thing) {
        return Err(thing_not_found(thing));
    }
    match groups.iter().find(|g| !inner.thing_groups.contains(g)) {
        Some(g) => Err(group_not_found(g)),
        None => Ok(()),
    }
}

/// Adds `thing` to `group`, enforcing AWS's limits: at most 10 groups, and never two
/// groups of the same hierarchy ("you can't add a thing to two groups which share a
/// common parent"), which we read as: two groups with the same root.
pub(crate) fn add(inner: &mut Inner, tx: &mut Tx, thing: &str, group: &str) -> IotResult<()> {
    let current = inner
        .things
        .get(thing)
        .map(|t| t.thing_groups.clone())
        .unwrap_or_default();
    if current.iter().any(|g| g == group) {
        return Ok(());
    }
    if current.len() >= MAX_GROUPS_PER_THING {
        return Err(IotError::invalid(format!(
            "Thing {thing} cannot be added to more than {MAX_GROUPS_PER_THING} thing groups"
        )));
    }
    let root = ancestors(inner, group).pop();
    if let Some(same) = current.iter().find(|g| ancestors(inner, g).pop() == root) {
        return Err(IotError::invalid(format!(
            "Thing {thing} is already in thing group {same} of the same hierarchy as {group}"
        )));
    }
    inner.things.update(tx, thing, |t| {
        t.thing_groups.push(group.to_string());
        t.thing_groups.sort();
    });
    Ok(())
}

/// Removes `thing` from `group` if it is a member.
pub(crate) fn remove(inner: &mut Inner, tx: &mut Tx, thing: &str, group: &str) {
    let member = inner
        .things
        .get(thing)
        .is_some_and(|t| t.thing_groups.iter().any(|g| g == group));
    if member {
        inner
            .things
            .update(tx, thing, |t| t.thing_groups.retain(|g| g != group));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::thing_ops::tests::registry;
    use crate::registry::ErrorKind;

    fn by_name(group: &str, thing: &str) -> MembershipInput {
        MembershipInput {
            thing_group_name: Some(group.into()),
            thing_name: Some(thing.into()),
            ..Default::default()
        }
    }

    #[test]
    fn membership_and_recursive_listing() {
        let r = registry();
        r.create_thing_group("root", None, None).unwrap();
        r.create_thing_group("child", Some("root"), None).unwrap();
        r.create_thing_group("solo", None, None).unwrap();
        for t in ["t1", "t2"] {
            r.create_thing(t, Default::default()).unwrap();
        }
        r.add_thing_to_thing_group(&by_name("root", "t1")).unwrap();
        let arn_input = MembershipInput {
            thing_group_arn: Some(r.account().thing_group_arn("child")),
            thing_arn: Some(r.account().thing_arn("t2")),
            ..Default::default()
        };
        r.add_thing_to_thing_group(&arn_input).unwrap();
        r.add_thing_to_thing_group(&by_name("solo", "t2")).unwrap();
        assert_eq!(r.list_things_in_thing_group("root", false).unwrap(), ["t1"]);
        assert_eq!(
            r.list_things_in_thing_group("root", true).unwrap(),
            ["t1", "t2"]
        );
        assert_eq!(
            r.list_thing_groups_for_thing("t2").unwrap(),
            ["child", "solo"]
        );
        let e = r
            .add_thing_to_thing_group(&by_name("root", "t2"))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "same hierarchy");
        let e = r
            .add_thing_to_thing_group(&by_name("nope", "t2"))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        let e = r
            .add_thing_to_thing_group(&MembershipInput::default())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        r.remove_thing_from_thing_group(&arn_input).unwrap();
        r.remove_thing_from_thing_group(&arn_input).unwrap();
        r.delete_thing_group("solo", None).unwrap();
        assert!(r.list_thing_groups_for_thing("t2").unwrap().is_empty());
    }

    #[test]
    fn update_groups_for_thing_moves_within_a_hierarchy() {
        let r = registry();
        r.create_thing_group("root", None, None).unwrap();
        r.create_thing_group("child", Some("root"), None).unwrap();
        r.create_thing("t1", Default::default()).unwrap();
        r.add_thing_to_thing_group(&by_name("root", "t1")).unwrap();
        let input = UpdateGroupsForThingInput {
            thing_name: Some("t1".into()),
            thing_groups_to_add: vec!["child".into()],
            thing_groups_to_remove: vec!["root".into()],
            override_dynamic_groups: None,
        };
        r.update_thing_groups_for_thing(&input).unwrap();
        assert_eq!(r.list_thing_groups_for_thing("t1").unwrap(), ["child"]);
        let bad = UpdateGroupsForThingInput {
            thing_groups_to_add: vec!["missing".into()],
            ..input
        };
        let e = r.update_thing_groups_for_thing(&bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        assert_eq!(r.list_thing_groups_for_thing("t1").unwrap(), ["child"]);
    }
}
