//! In-place updates: the properties whose change makes CloudFormation replace a resource
//! ("Update requires: Replacement" in each type's reference), and the update itself for the
//! types the emulator updates in place. A change to any other property of those types
//! updates the resource where it is, keeping its physical id, as AWS does; the other
//! types are still replaced on every change (a documented choice).

use serde_json::{json, Value};

use super::iot::{api_shape, camel_keys};
use super::{created, text, Context, Created, HandlerError, HandlerResult};
use crate::registry::thing::AttributePayload;
use crate::registry::thing_group::ThingGroupProperties;
use crate::registry::thing_ops::UpdateThingInput;

/// Per type updated in place, the properties that still require a replacement.
fn replacing(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "AWS::IoT::Thing" => &["ThingName"],
        "AWS::IoT::Policy" => &["PolicyName"],
        "AWS::IoT::ThingGroup" => &["ThingGroupName", "ParentGroupName", "QueryString"],
        "AWS::IoT::RoleAlias" => &["RoleAlias"],
        "AWS::IoT::TopicRule" => &["RuleName"],
        "AWS::Lambda::Function" => &["FunctionName"],
        "AWS::IoT::ProvisioningTemplate" => &["TemplateName", "TemplateType"],
        _ => return None,
    })
}

/// Whether changing the properties named `changed` updates a `kind` in place.
pub(crate) fn in_place(kind: &str, changed: &[String]) -> bool {
    replacing(kind).is_some_and(|keys| !changed.iter().any(|c| keys.contains(&c.as_str())))
}

/// The top-level properties that differ between `old` and `new`.
pub(crate) fn changed_keys(old: &Value, new: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (o, n) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<String> = o
        .keys()
        .chain(n.keys())
        .filter(|k| o.get(*k) != n.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Updates the resource `physical_id` of `kind` from `old` to `new` properties (both
/// resolved); its attributes afterwards.
pub(crate) fn update(
    kind: &str,
    physical_id: &str,
    old: &Value,
    new: &Value,
    cx: &Context<'_>,
) -> HandlerResult<Created> {
    let r = cx.registry;
    match kind {
        "AWS::IoT::Thing" => {
            let payload = api_shape::<AttributePayload>(new.get("AttributePayload"))?;
            let attributes = payload.and_then(|p| p.attributes).unwrap_or_default();
            let input = UpdateThingInput {
                attribute_payload: Some(AttributePayload {
                    attributes: Some(attributes),
                    merge: None,
                }),
                ..Default::default()
            };
            r.update_thing(physical_id, input)?;
        }
        "AWS::IoT::Policy" => {
            let document = super::document_text(new, "PolicyDocument")?;
            let before = r.get_policy(physical_id)?.default_version_id;
            r.create_policy_version(physical_id, &document, true)?;
            // CloudFormation keeps one version: the previous default goes.
            r.delete_policy_version(physical_id, &before.to_string())?;
        }
        "AWS::IoT::ThingGroup" => {
            let properties = api_shape::<ThingGroupProperties>(new.get("ThingGroupProperties"))?;
            r.update_thing_group(physical_id, &properties.unwrap_or_default(), None)?;
        }
        "AWS::IoT::RoleAlias" => {
            let duration = new
                .get("CredentialDurationSeconds")
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
            let role = Some(text(new, "RoleArn")?);
            r.update_role_alias(physical_id, role, duration.map(|d| d as u32))?;
        }
        "AWS::IoT::TopicRule" => {
            let payload = new.get("TopicRulePayload").cloned().unwrap_or(Value::Null);
            let payload = serde_json::from_value(camel_keys(&payload)).map_err(|e| {
                HandlerError(format!(
                    "Properties validation failed for resource with message: {e}"
                ))
            })?;
            let made = crate::rules::replace(r, physical_id, payload)?;
            let api_url = cx.lambda.api_url().unwrap_or_default();
            crate::rules::confirmation::send(r, made, &api_url);
        }
        "AWS::Lambda::Function" => {
            let arn = super::functions::update_function(physical_id, old, new, cx)?;
            return Ok(created(physical_id, &[("Arn", arn)]));
        }
        "AWS::IoT::ProvisioningTemplate" => {
            super::iot_more::update_template(physical_id, old, new, cx)?;
        }
        other => {
            return Err(HandlerError(format!(
                "iot-emulator does not update {other} in place"
            )))
        }
    }
    let made = created(physical_id, &attributes(kind, physical_id, cx));
    super::tags::update(kind, &made, old, new, cx)?;
    Ok(made)
}

/// The attributes `Fn::GetAtt` gives after an update (the same as at creation).
fn attributes(kind: &str, name: &str, cx: &Context<'_>) -> Vec<(&'static str, Value)> {
    let a = cx.registry.account();
    match kind {
        "AWS::IoT::Thing" => {
            let id = cx
                .registry
                .describe_thing(name)
                .map(|t| t.thing_id)
                .unwrap_or_default();
            vec![("Arn", json!(a.thing_arn(name))), ("Id", json!(id))]
        }
        "AWS::IoT::Policy" => vec![("Arn", json!(a.policy_arn(name))), ("Id", json!(name))],
        "AWS::IoT::ThingGroup" => {
            let id = cx
                .registry
                .describe_thing_group(name)
                .map(|g| g.thing_group_id)
                .unwrap_or_default();
            vec![("Arn", json!(a.thing_group_arn(name))), ("Id", json!(id))]
        }
        "AWS::IoT::RoleAlias" => vec![("RoleAliasArn", json!(a.role_alias_arn(name)))],
        "AWS::IoT::ProvisioningTemplate" => vec![("TemplateArn", json!(a.template_arn(name)))],
        _ => vec![("Arn", json!(a.rule_arn(name)))],
    }
}
