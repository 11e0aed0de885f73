//! AWS::IoT policies, things, thing types and groups, and their attachments.

use serde_json::{json, Value};

use super::{
    created, document_text, flag, opt_text, text, Context, Created, HandlerError, HandlerResult,
};
use crate::registry::thing::AttributePayload;
use crate::registry::thing_group::ThingGroupProperties;
use crate::registry::thing_ops::CreateThingInput;
use crate::registry::thing_type::ThingTypeProperties;

/// Deserialises a property written in CloudFormation's PascalCase into the API's shape.
pub(super) fn api_shape<T: serde::de::DeserializeOwned>(
    value: Option<&Value>,
) -> HandlerResult<Option<T>> {
    let Some(value) = value else {
        return Ok(None);
    };
    serde_json::from_value(camel_keys(value))
        .map(Some)
        .map_err(|e| {
            HandlerError(format!(
                "Properties validation failed for resource with message: {e}"
            ))
        })
}

/// `{"AttributePayload": {"Attributes": …}}` as `{"attributePayload": {"attributes": …}}`;
/// the keys inside `Attributes` are the user's and stay as written.
pub(super) fn camel_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let inner = if k == "Attributes" {
                        v.clone()
                    } else {
                        camel_keys(v)
                    };
                    (lower_first(k), inner)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel_keys).collect()),
        other => other.clone(),
    }
}

fn lower_first(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

pub(super) fn policy(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "PolicyName").unwrap_or_else(|| cx.generated_name(128));
    let document = document_text(p, "PolicyDocument")?;
    let policy = cx.registry.create_policy(&name, &document)?;
    let arn = cx.registry.account().policy_arn(&policy.policy_name);
    Ok(created(
        name.clone(),
        &[("Arn", json!(arn)), ("Id", json!(name))],
    ))
}

pub(super) fn policy_attachment(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let (name, principal) = (text(p, "PolicyName")?, text(p, "Principal")?);
    cx.registry.attach_policy(&name, &principal)?;
    Ok(created(format!("{}-{}", cx.stack_name, cx.logical_id), &[]))
}

pub(super) fn thing(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "ThingName").unwrap_or_else(|| cx.generated_name(128));
    let input = CreateThingInput {
        thing_type_name: opt_text(p, "ThingTypeName"),
        attribute_payload: api_shape::<AttributePayload>(p.get("AttributePayload"))?,
        billing_group_name: None,
    };
    let thing = cx.registry.create_thing(&name, input)?;
    let arn = cx.registry.account().thing_arn(&name);
    Ok(created(
        name,
        &[("Arn", json!(arn)), ("Id", json!(thing.thing_id))],
    ))
}

pub(super) fn thing_attachment(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let (thing, principal) = (text(p, "ThingName")?, text(p, "Principal")?);
    let kind = opt_text(p, "ThingPrincipalType");
    cx.registry
        .attach_thing_principal(&thing, &principal, kind.as_deref())?;
    Ok(created(format!("{}-{}", cx.stack_name, cx.logical_id), &[]))
}

pub(super) fn thing_type(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "ThingTypeName").unwrap_or_else(|| cx.generated_name(128));
    let properties = api_shape::<ThingTypeProperties>(p.get("ThingTypeProperties"))?;
    let thing_type = cx.registry.create_thing_type(&name, properties)?;
    if flag(p, "DeprecateThingType")? == Some(true) {
        cx.registry.deprecate_thing_type(&name, false)?;
    }
    let arn = cx.registry.account().thing_type_arn(&name);
    Ok(created(
        name,
        &[("Arn", json!(arn)), ("Id", json!(thing_type.thing_type_id))],
    ))
}

pub(super) fn thing_group(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    if p.get("QueryString").is_some() {
        return Err(HandlerError(
            "iot-emulator does not support dynamic thing groups (QueryString)".into(),
        ));
    }
    let name = opt_text(p, "ThingGroupName").unwrap_or_else(|| cx.generated_name(128));
    let parent = opt_text(p, "ParentGroupName");
    let properties = api_shape::<ThingGroupProperties>(p.get("ThingGroupProperties"))?;
    let group = cx
        .registry
        .create_thing_group(&name, parent.as_deref(), properties)?;
    let arn = cx.registry.account().thing_group_arn(&name);
    Ok(created(
        name,
        &[("Arn", json!(arn)), ("Id", json!(group.thing_group_id))],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_properties_take_the_apis_shape_but_attributes_stay() {
        let v = json!({"ThingTypeDescription": "d", "SearchableAttributes": ["a"]});
        let t: ThingTypeProperties = api_shape(Some(&v)).unwrap().unwrap();
        assert_eq!(t.thing_type_description.as_deref(), Some("d"));
        let a = json!({"Attributes": {"Model": "x"}});
        let payload: AttributePayload = api_shape(Some(&a)).unwrap().unwrap();
        assert_eq!(payload.attributes.unwrap()["Model"], "x");
    }

    #[test]
    fn boolean_properties_take_text_from_parameters_and_refuse_other_types() {
        let p = json!({"A": "True", "B": false, "C": "false", "D": 1, "E": "yes"});
        assert_eq!(flag(&p, "A").unwrap(), Some(true));
        assert_eq!(flag(&p, "B").unwrap(), Some(false));
        assert_eq!(flag(&p, "C").unwrap(), Some(false));
        assert_eq!(flag(&p, "Missing").unwrap(), None);
        let refused = flag(&p, "D").unwrap_err().0;
        assert!(
            refused.ends_with("#/D: expected type: Boolean, found: Number"),
            "{refused}"
        );
        assert!(flag(&p, "E").is_err());
    }
}
