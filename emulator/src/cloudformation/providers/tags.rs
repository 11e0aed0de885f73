//! The `Tags` property of the AWS::IoT types that take one: checked before the resource
//! is made, then stored through the registry's tagging, as the API's Create operations do.

use serde_json::Value;

use super::{Context, Created, HandlerError, HandlerResult};

/// The IoT types whose `Tags` the emulator stores, and the attribute holding their ARN.
const TAGGED: &[(&str, &str)] = &[
    ("AWS::IoT::Policy", "Arn"),
    ("AWS::IoT::ThingType", "Arn"),
    ("AWS::IoT::ThingGroup", "Arn"),
    ("AWS::IoT::ProvisioningTemplate", "TemplateArn"),
    ("AWS::IoT::RoleAlias", "RoleAliasArn"),
    ("AWS::IoT::CACertificate", "Arn"),
    ("AWS::IoT::TopicRule", "Arn"),
];

fn invalid(message: String) -> HandlerError {
    HandlerError(format!(
        "Properties validation failed for resource with message: {message}"
    ))
}

/// A tagged type's `Tags` (`[{"Key", "Value"}]`), checked; `None` for other types.
pub(super) fn of(kind: &str, properties: &Value) -> HandlerResult<Option<Vec<(String, String)>>> {
    if !TAGGED.iter().any(|(k, _)| *k == kind) {
        return Ok(None);
    }
    let Some(list) = properties.get("Tags") else {
        return Ok(None);
    };
    let items = list
        .as_array()
        .ok_or_else(|| invalid("#/Tags: expected type: JSONArray".into()))?;
    let mut pairs = Vec::new();
    for item in items {
        let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_string);
        let key =
            field("Key").ok_or_else(|| invalid("#/Tags: required key [Key] not found".into()))?;
        pairs.push((key, field("Value").unwrap_or_default()));
    }
    crate::registry::tags::check(&pairs)?;
    Ok(Some(pairs))
}

/// Tags the just-made resource.
pub(super) fn store(
    kind: &str,
    created: &Created,
    tags: Vec<(String, String)>,
    cx: &Context<'_>,
) -> HandlerResult<()> {
    let attribute = TAGGED.iter().find(|(k, _)| *k == kind).map(|(_, a)| *a);
    let arn = attribute
        .and_then(|a| created.attributes.get(a))
        .and_then(Value::as_str);
    match arn {
        Some(arn) if !tags.is_empty() => Ok(cx.registry.tag_resource(arn, tags)?),
        _ => Ok(()),
    }
}

/// After an in-place update of a tagged type: the old tags' keys removed, the new tags
/// set, when `Tags` changed.
pub(super) fn update(
    kind: &str,
    made: &Created,
    old: &Value,
    new: &Value,
    cx: &Context<'_>,
) -> HandlerResult<()> {
    if old.get("Tags") == new.get("Tags") {
        return Ok(());
    }
    let attribute = TAGGED.iter().find(|(k, _)| *k == kind).map(|(_, a)| *a);
    let Some(arn) = attribute
        .and_then(|a| made.attributes.get(a))
        .and_then(Value::as_str)
    else {
        return Ok(());
    };
    let keys: Vec<String> = of(kind, old)?
        .unwrap_or_default()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let tags = of(kind, new)?.unwrap_or_default();
    cx.registry.untag_resource(arn, &keys)?;
    if !tags.is_empty() {
        cx.registry.tag_resource(arn, tags)?;
    }
    Ok(())
}
