//! Thing types: records, deprecation and the thing-type operations.

use serde::{Deserialize, Serialize};

use super::{validate, Inner, IotError, IotResult, Registry, Tx};

/// A thing type, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThingType {
    pub thing_type_name: String,
    pub thing_type_id: String,
    /// The wire shape `ThingTypeProperties`, kept as sent.
    pub properties: serde_json::Value,
    pub deprecated: bool,
    pub deprecation_date_ms: Option<i64>,
    pub creation_date_ms: i64,
}

/// The wire shape `ThingTypeProperties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThingTypeProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thing_type_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub searchable_attributes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mqtt5_configuration: Option<serde_json::Value>,
}

/// AWS: "Before you can delete a thing type, wait for five minutes after you deprecate it."
pub const DELETE_AFTER_DEPRECATION_MS: i64 = 5 * 60 * 1000;
/// AWS allows at most three searchable attributes per thing type.
pub const MAX_SEARCHABLE_ATTRIBUTES: usize = 3;

fn type_not_found(name: &str) -> IotError {
    IotError::not_found(format!("Thing type {name} cannot be found."))
}

/// Fails unless thing type `name` exists and is not deprecated (new things may use it).
pub(crate) fn check_usable(inner: &Inner, name: &str) -> IotResult<()> {
    let t = inner
        .thing_types
        .get(name)
        .ok_or_else(|| type_not_found(name))?;
    if t.deprecated {
        return Err(IotError::invalid(format!(
            "Thing type {name} is deprecated; things cannot be associated with a deprecated thing type"
        )));
    }
    Ok(())
}

fn validate_properties(p: &ThingTypeProperties) -> IotResult<()> {
    if let Some(d) = &p.thing_type_description {
        validate::pattern(
            "thingTypeProperties.thingTypeDescription",
            d,
            0,
            2028,
            |c| !c.is_control(),
        )?;
    }
    let searchable = p.searchable_attributes.as_deref().unwrap_or_default();
    if searchable.len() > MAX_SEARCHABLE_ATTRIBUTES {
        return Err(IotError::invalid(format!(
            "A thing type can have at most {MAX_SEARCHABLE_ATTRIBUTES} searchable attributes"
        )));
    }
    for a in searchable {
        validate::pattern("thingTypeProperties.searchableAttributes", a, 1, 128, |c| {
            c.is_ascii_alphanumeric() || "_.,@/:#-".contains(c)
        })?;
    }
    match &p.mqtt5_configuration {
        Some(v) if !v.is_object() => Err(IotError::invalid(
            "thingTypeProperties.mqtt5Configuration must be an object",
        )),
        _ => Ok(()),
    }
}

fn to_value(p: &ThingTypeProperties) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_else(|_| serde_json::json!({}))
}

impl ThingType {
    /// The stored properties in their wire shape.
    pub fn typed_properties(&self) -> ThingTypeProperties {
        serde_json::from_value(self.properties.clone()).unwrap_or_default()
    }
}

impl Registry {
    /// CreateThingType: idempotent for identical properties.
    pub fn create_thing_type(
        &self,
        name: &str,
        properties: Option<ThingTypeProperties>,
    ) -> IotResult<ThingType> {
        validate::thing_name("thingTypeName", name)?;
        let properties = properties.unwrap_or_default();
        validate_properties(&properties)?;
        let value = to_value(&properties);
        let arn = self.account().thing_type_arn(name);
        self.write(|inner, tx| {
            if let Some(existing) = inner.thing_types.get(name) {
                if existing.typed_properties() == properties {
                    return Ok(existing.clone());
                }
                return Err(IotError::already_exists(
                    format!("Thing Type {name} already exists in current account with different properties"),
                    &existing.thing_type_id,
                    &arn,
                ));
            }
            let t = ThingType {
                thing_type_name: name.to_string(),
                thing_type_id: self.entropy().uuid("thing_type"),
                properties: value,
                deprecated: false,
                deprecation_date_ms: None,
                creation_date_ms: self.clock().now_ms(),
            };
            inner.thing_types.put(tx, name, t.clone());
            Ok(t)
        })
    }

    /// DescribeThingType.
    pub fn describe_thing_type(&self, name: &str) -> IotResult<ThingType> {
        validate::thing_name("thingTypeName", name)?;
        self.read(|inner| inner.thing_types.get(name).cloned())
            .ok_or_else(|| type_not_found(name))
    }

    /// ListThingTypes, optionally only the one named `name`.
    pub fn list_thing_types(&self, name: Option<&str>) -> Vec<ThingType> {
        self.read(|inner| {
            inner
                .thing_types
                .values()
                .filter(|t| name.is_none_or(|n| n == t.thing_type_name))
                .cloned()
                .collect()
        })
    }

    /// DeprecateThingType, or with `undo` reverses a deprecation.
    pub fn deprecate_thing_type(&self, name: &str, undo: bool) -> IotResult<()> {
        validate::thing_name("thingTypeName", name)?;
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            inner
                .thing_types
                .update(tx, name, |t| {
                    t.deprecated = !undo;
                    t.deprecation_date_ms = (!undo).then_some(now);
                })
                .ok_or_else(|| type_not_found(name))
        })
    }

    /// UpdateThingType: every member given in `properties` replaces the stored one.
    pub fn update_thing_type(
        &self,
        name: &str,
        properties: Option<ThingTypeProperties>,
    ) -> IotResult<()> {
        validate::thing_name("thingTypeName", name)?;
        let given = properties.unwrap_or_default();
        validate_properties(&given)?;
        self.write(|inner, tx| {
            let mut t = inner
                .thing_types
                .get(name)
                .cloned()
                .ok_or_else(|| type_not_found(name))?;
            let mut p = t.typed_properties();
            if given.thing_type_description.is_some() {
                p.thing_type_description = given.thing_type_description.clone();
            }
            if given.searchable_attributes.is_some() {
                p.searchable_attributes = given.searchable_attributes.clone();
            }
            if given.mqtt5_configuration.is_some() {
                p.mqtt5_configuration = given.mqtt5_configuration.clone();
            }
            t.properties = to_value(&p);
            inner.thing_types.put(tx, name, t);
            Ok(())
        })
    }

    /// DeleteThingType: only five minutes after deprecation, and only when unused.
    /// Deprecates and deletes a thing type at once, without the five-minute wait
    /// (CloudFormation's stack deletion: AWS's handler waits the five minutes out; the
    /// emulator does not make a stack deletion take that long). Things still using the
    /// type block it, as they block DeleteThingType.
    pub fn purge_thing_type(&self, name: &str) -> IotResult<()> {
        validate::thing_name("thingTypeName", name)?;
        self.write(|inner, tx| {
            inner
                .thing_types
                .get(name)
                .ok_or_else(|| type_not_found(name))?;
            remove_unused(inner, tx, name)?;
            super::tags::forget(inner, tx, &self.account().thing_type_arn(name));
            Ok(())
        })
    }

    pub fn delete_thing_type(&self, name: &str) -> IotResult<()> {
        validate::thing_name("thingTypeName", name)?;
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            let t = inner
                .thing_types
                .get(name)
                .ok_or_else(|| type_not_found(name))?;
            let Some(since) = t.deprecation_date_ms.filter(|_| t.deprecated) else {
                return Err(IotError::invalid(format!(
                    "Thing type {name} must be deprecated before it can be deleted"
                )));
            };
            if now - since < DELETE_AFTER_DEPRECATION_MS {
                return Err(IotError::invalid(format!(
                    "Thing type {name} can be deleted only five minutes after it was deprecated"
                )));
            }
            remove_unused(inner, tx, name)?;
            super::tags::forget(inner, tx, &self.account().thing_type_arn(name));
            Ok(())
        })
    }
}

/// Removes the thing type `name`, unless things still use it.
fn remove_unused(inner: &mut Inner, tx: &mut Tx, name: &str) -> IotResult<()> {
    let used = inner
        .things
        .values()
        .any(|th| th.thing_type_name.as_deref() == Some(name));
    if used {
        return Err(IotError::invalid(format!(
            "Cannot delete thing type {name}: things are still associated with it"
        )));
    }
    inner.thing_types.remove(tx, name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::thing_ops::tests::registry;
    use crate::registry::thing_ops::{CreateThingInput, UpdateThingInput};
    use crate::registry::ErrorKind;

    fn props(desc: &str) -> Option<ThingTypeProperties> {
        Some(ThingTypeProperties {
            thing_type_description: Some(desc.into()),
            searchable_attributes: Some(vec!["serial".into()]),
            mqtt5_configuration: None,
        })
    }

    #[test]
    fn create_describe_idempotent() {
        let r = registry();
        let a = r.create_thing_type("Bulb", props("light")).unwrap();
        let b = r.create_thing_type("Bulb", props("light")).unwrap();
        assert_eq!(a.thing_type_id, b.thing_type_id);
        let e = r.create_thing_type("Bulb", props("other")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceAlreadyExists);
        let too_many = ThingTypeProperties {
            searchable_attributes: Some(vec!["a".into(), "b".into(), "c".into(), "d".into()]),
            ..Default::default()
        };
        assert!(r.create_thing_type("T2", Some(too_many)).is_err());
        let d = r.describe_thing_type("Bulb").unwrap();
        assert_eq!(d.typed_properties(), props("light").unwrap());
        r.update_thing_type(
            "Bulb",
            Some(ThingTypeProperties {
                thing_type_description: Some("new".into()),
                ..Default::default()
            }),
        )
        .unwrap();
        let p = r.describe_thing_type("Bulb").unwrap().typed_properties();
        assert_eq!(p.thing_type_description.as_deref(), Some("new"));
        assert_eq!(p.searchable_attributes, Some(vec!["serial".to_string()]));
        assert_eq!(r.list_thing_types(None).len(), 1);
        assert_eq!(r.list_thing_types(Some("x")).len(), 0);
    }

    #[test]
    fn deprecate_then_delete_after_five_minutes() {
        let r = registry();
        r.create_thing_type("Bulb", None).unwrap();
        let typed = CreateThingInput {
            thing_type_name: Some("Bulb".into()),
            ..Default::default()
        };
        r.create_thing("t1", typed.clone()).unwrap();
        let e = r.delete_thing_type("Bulb").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        r.deprecate_thing_type("Bulb", false).unwrap();
        let e = r.create_thing("t2", typed.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert!(r.delete_thing_type("Bulb").is_err());
        r.clock().advance_ms(DELETE_AFTER_DEPRECATION_MS);
        assert!(r.delete_thing_type("Bulb").is_err(), "still used by t1");
        let remove = UpdateThingInput {
            remove_thing_type: Some(true),
            ..Default::default()
        };
        r.update_thing("t1", remove).unwrap();
        r.delete_thing_type("Bulb").unwrap();
        let e = r.describe_thing_type("Bulb").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        assert!(r.deprecate_thing_type("Bulb", true).is_err());
    }
}
