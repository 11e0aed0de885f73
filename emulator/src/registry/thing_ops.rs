//! The thing operations: CreateThing, DescribeThing, UpdateThing, DeleteThing, ListThings.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::thing::{
    apply_attributes, check_attribute_count, thing_not_found, validate_attributes,
    AttributePayload, Thing,
};
use super::{thing_type, validate, ErrorKind, Inner, IotError, IotResult, Registry, Tx};

/// CreateThing's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateThingInput {
    pub thing_type_name: Option<String>,
    pub attribute_payload: Option<AttributePayload>,
    pub billing_group_name: Option<String>,
}

/// UpdateThing's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateThingInput {
    pub thing_type_name: Option<String>,
    pub attribute_payload: Option<AttributePayload>,
    pub expected_version: Option<i64>,
    pub remove_thing_type: Option<bool>,
}

/// ListThings' filters.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListThingsFilter {
    pub attribute_name: Option<String>,
    pub attribute_value: Option<String>,
    pub thing_type_name: Option<String>,
    pub use_prefix_attribute_value: Option<bool>,
}

/// VersionConflictException unless `expected` is absent or equals `actual`.
pub(crate) fn check_version(
    kind: &str,
    name: &str,
    expected: Option<i64>,
    actual: i64,
) -> IotResult<()> {
    match expected {
        Some(v) if v != actual => Err(IotError::new(
            ErrorKind::VersionConflict,
            format!("The version for {kind} {name} does not match the expected version."),
        )),
        _ => Ok(()),
    }
}

fn validate_payload(payload: Option<&AttributePayload>) -> IotResult<()> {
    match payload.and_then(|p| p.attributes.as_ref()) {
        Some(attributes) => validate_attributes(attributes),
        None => Ok(()),
    }
}

impl Registry {
    /// CreateThing: idempotent for an identical configuration.
    pub fn create_thing(&self, name: &str, input: CreateThingInput) -> IotResult<Thing> {
        validate::thing_name("thingName", name)?;
        if let Some(t) = &input.thing_type_name {
            validate::thing_name("thingTypeName", t)?;
        }
        if let Some(b) = &input.billing_group_name {
            validate::thing_name("billingGroupName", b)?;
        }
        validate_payload(input.attribute_payload.as_ref())?;
        let payload = input.attribute_payload.clone().unwrap_or_default();
        let attributes = apply_attributes(&BTreeMap::new(), &payload);
        check_attribute_count(&attributes, input.thing_type_name.is_some())?;
        self.write(|inner, tx| {
            if let Some(existing) = inner.things.get(name) {
                return self.same_thing(existing, &input, &attributes);
            }
            if let Some(t) = &input.thing_type_name {
                thing_type::check_usable(inner, t)?;
            }
            if let Some(b) = &input.billing_group_name {
                // The emulator has no billing groups, so any named one does not exist.
                return Err(IotError::not_found(format!(
                    "Billing group {b} cannot be found."
                )));
            }
            let type_name = input.thing_type_name.clone();
            Ok(self.insert_thing_tx(inner, tx, name, type_name, attributes.clone()))
        })
    }

    /// Inserts a new thing (a step of a larger write: the caller has checked the name and
    /// attributes, that the name is free and that the type is usable).
    pub(crate) fn insert_thing_tx(
        &self,
        inner: &mut Inner,
        tx: &mut Tx,
        name: &str,
        thing_type_name: Option<String>,
        attributes: BTreeMap<String, String>,
    ) -> Thing {
        let thing = Thing {
            thing_name: name.to_string(),
            thing_id: self.draw(tx, |e| e.uuid("thing")),
            thing_type_name,
            attributes,
            version: 1,
            billing_group_name: None,
            principals: BTreeMap::new(),
            thing_groups: Vec::new(),
            creation_date_ms: self.clock().now_ms(),
        };
        inner.things.put(tx, name, thing.clone());
        thing
    }

    /// CreateThing on an existing name: the thing when the configuration is the same,
    /// otherwise ResourceAlreadyExistsException naming it.
    fn same_thing(
        &self,
        existing: &Thing,
        input: &CreateThingInput,
        attributes: &BTreeMap<String, String>,
    ) -> IotResult<Thing> {
        let same = existing.thing_type_name == input.thing_type_name
            && &existing.attributes == attributes
            && existing.billing_group_name == input.billing_group_name;
        if same {
            return Ok(existing.clone());
        }
        let name = &existing.thing_name;
        Err(IotError::already_exists(
            format!("Thing {name} already exists in account with different attributes"),
            &existing.thing_id,
            &self.account().thing_arn(name),
        ))
    }

    /// DescribeThing.
    pub fn describe_thing(&self, name: &str) -> IotResult<Thing> {
        validate::thing_name("thingName", name)?;
        self.read(|inner| inner.things.get(name).cloned())
            .ok_or_else(|| thing_not_found(name))
    }

    /// UpdateThing: attributes with merge semantics, type change or removal, new version.
    pub fn update_thing(&self, name: &str, input: UpdateThingInput) -> IotResult<()> {
        validate::thing_name("thingName", name)?;
        if let Some(t) = &input.thing_type_name {
            validate::thing_name("thingTypeName", t)?;
        }
        validate_payload(input.attribute_payload.as_ref())?;
        let remove_type = input.remove_thing_type.unwrap_or(false);
        if remove_type && input.thing_type_name.is_some() {
            return Err(IotError::invalid(
                "Cannot specify both thingTypeName and removeThingType",
            ));
        }
        self.write(|inner, tx| {
            let mut thing = inner
                .things
                .get(name)
                .cloned()
                .ok_or_else(|| thing_not_found(name))?;
            check_version("thing", name, input.expected_version, thing.version)?;
            if let Some(t) = &input.thing_type_name {
                if thing.thing_type_name.as_deref() != Some(t) {
                    thing_type::check_usable(inner, t)?;
                }
                thing.thing_type_name = Some(t.clone());
            }
            if remove_type {
                thing.thing_type_name = None;
            }
            if let Some(payload) = &input.attribute_payload {
                thing.attributes = apply_attributes(&thing.attributes, payload);
            }
            check_attribute_count(&thing.attributes, thing.thing_type_name.is_some())?;
            thing.version += 1;
            inner.things.put(tx, name, thing);
            Ok(())
        })
    }

    /// DeleteThing: succeeds for a missing thing; refuses while principals are attached.
    pub fn delete_thing(&self, name: &str, expected_version: Option<i64>) -> IotResult<()> {
        validate::thing_name("thingName", name)?;
        self.write(|inner, tx| {
            let Some(thing) = inner.things.get(name) else {
                return Ok(());
            };
            check_version("thing", name, expected_version, thing.version)?;
            if !thing.principals.is_empty() {
                return Err(IotError::invalid(format!(
                    "Cannot delete. Thing {name} is still attached to one or more principals"
                )));
            }
            inner.things.remove(tx, name);
            Ok(())
        })
    }

    /// ListThings: the things matching every given filter, by name.
    pub fn list_things(&self, filter: &ListThingsFilter) -> IotResult<Vec<Thing>> {
        if filter.attribute_value.is_some() && filter.attribute_name.is_none() {
            return Err(IotError::invalid(
                "attributeName must be specified when attributeValue is given",
            ));
        }
        let prefix = filter.use_prefix_attribute_value.unwrap_or(false);
        let matches = |t: &Thing| {
            if let Some(ty) = &filter.thing_type_name {
                if t.thing_type_name.as_ref() != Some(ty) {
                    return false;
                }
            }
            let Some(attr) = &filter.attribute_name else {
                return true;
            };
            match (t.attributes.get(attr), &filter.attribute_value) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(v), Some(want)) if prefix => v.starts_with(want.as_str()),
                (Some(v), Some(want)) => v == want,
            }
        };
        Ok(self.read(|inner| {
            inner
                .things
                .values()
                .filter(|t| matches(t))
                .cloned()
                .collect()
        }))
    }
}

#[cfg(test)]
pub(crate) mod tests {

    use super::*;

    pub(crate) fn registry() -> Registry {
        crate::registry::testing::registry_at(0)
    }

    pub(crate) fn payload(pairs: &[(&str, &str)], merge: bool) -> Option<AttributePayload> {
        Some(AttributePayload {
            attributes: Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            merge: Some(merge),
        })
    }

    fn create(r: &Registry, name: &str, pairs: &[(&str, &str)]) -> IotResult<Thing> {
        r.create_thing(
            name,
            CreateThingInput {
                attribute_payload: payload(pairs, false),
                ..Default::default()
            },
        )
    }

    #[test]
    fn create_is_idempotent_for_same_config() {
        let r = registry();
        let a = create(&r, "t1", &[("k", "v")]).unwrap();
        assert_eq!(a.version, 1);
        let b = create(&r, "t1", &[("k", "v")]).unwrap();
        assert_eq!(a.thing_id, b.thing_id);
        let e = create(&r, "t1", &[("k", "other")]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceAlreadyExists);
        assert!(e.resource.is_some());
        assert!(create(&r, "bad name", &[]).is_err());
        let e = r
            .create_thing(
                "t2",
                CreateThingInput {
                    thing_type_name: Some("missing".into()),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        let e = r
            .create_thing(
                "t2",
                CreateThingInput {
                    billing_group_name: Some("bg".into()),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        assert!(create(&r, "t3", &[("a", "1"), ("b", "1"), ("c", "1"), ("d", "1")]).is_err());
    }

    #[test]
    fn update_merges_and_checks_versions() {
        let r = registry();
        create(&r, "t1", &[("a", "1"), ("b", "2")]).unwrap();
        let update = |pairs: &[(&str, &str)], merge, expected| {
            r.update_thing(
                "t1",
                UpdateThingInput {
                    attribute_payload: payload(pairs, merge),
                    expected_version: expected,
                    ..Default::default()
                },
            )
        };
        update(&[("a", ""), ("c", "3")], true, Some(1)).unwrap();
        let t = r.describe_thing("t1").unwrap();
        assert_eq!(t.version, 2);
        assert_eq!(t.attributes.len(), 2);
        assert_eq!(t.attributes["c"], "3");
        let e = update(&[], true, Some(1)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::VersionConflict);
        update(&[("z", "9")], false, None).unwrap();
        assert_eq!(r.describe_thing("t1").unwrap().attributes.len(), 1);
        let e = r
            .update_thing("nope", UpdateThingInput::default())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
    }

    #[test]
    fn delete_and_list() {
        let r = registry();
        create(&r, "a1", &[("color", "red")]).unwrap();
        create(&r, "a2", &[("color", "reddish")]).unwrap();
        create(&r, "b1", &[]).unwrap();
        let list = |name: Option<&str>, value: Option<&str>, prefix| {
            r.list_things(&ListThingsFilter {
                attribute_name: name.map(String::from),
                attribute_value: value.map(String::from),
                use_prefix_attribute_value: Some(prefix),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|t| t.thing_name)
            .collect::<Vec<_>>()
        };
        assert_eq!(list(None, None, false), ["a1", "a2", "b1"]);
        assert_eq!(list(Some("color"), Some("red"), false), ["a1"]);
        assert_eq!(list(Some("color"), Some("red"), true), ["a1", "a2"]);
        assert_eq!(list(Some("color"), None, false), ["a1", "a2"]);
        let e = r.delete_thing("a1", Some(7)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::VersionConflict);
        r.delete_thing("a1", Some(1)).unwrap();
        r.delete_thing("a1", None).unwrap();
        assert_eq!(list(None, None, false), ["a2", "b1"]);
    }
}
