//! Resource providers: how each resource type is created and deleted. IoT resources go
//! through the same registry operations as the API; IAM roles and policies and Logs log
//! groups are recorded stand-ins with AWS-shaped ARNs. Any other type is refused when
//! the change set is made, never skipped.

mod functions;
mod iot;
mod iot_more;
mod standins;
mod tags;
mod update;

pub(crate) use update::{changed_keys, in_place, update};

use std::collections::BTreeMap;

use serde_json::Value;

use crate::pki::Pki;
use crate::registry::{IotError, Registry};

/// Resource types the emulator can make.
pub(crate) const SUPPORTED: &[&str] = &[
    "AWS::IoT::Policy",
    "AWS::IoT::PolicyPrincipalAttachment",
    "AWS::IoT::Thing",
    "AWS::IoT::ThingPrincipalAttachment",
    "AWS::IoT::ThingType",
    "AWS::IoT::ThingGroup",
    "AWS::IoT::ProvisioningTemplate",
    "AWS::IoT::RoleAlias",
    "AWS::IoT::CACertificate",
    "AWS::IoT::Certificate",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IoT::TopicRule",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
];

/// A created resource: its physical id and the attributes `Fn::GetAtt` returns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Created {
    pub(crate) physical_id: String,
    pub(crate) attributes: BTreeMap<String, Value>,
}

/// A failed create or delete, worded as CloudFormation's resource handlers word it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandlerError(pub String);

impl From<IotError> for HandlerError {
    fn from(e: IotError) -> Self {
        let code = e.kind.exception_name().trim_end_matches("Exception");
        HandlerError(format!(
            "Resource handler returned message: \"{}\" (HandlerErrorCode: {code})",
            e.message
        ))
    }
}

pub(crate) type HandlerResult<T> = Result<T, HandlerError>;

/// What providers work with.
pub(crate) struct Context<'a> {
    pub(crate) registry: &'a Registry,
    pub(crate) pki: &'a Pki,
    pub(crate) lambda: &'a crate::lambda::Lambda,
    pub(crate) logs: &'a crate::logs::Logs,
    pub(crate) s3: &'a crate::s3::S3,
    pub(crate) stack_name: &'a str,
    pub(crate) logical_id: &'a str,
}

impl Context<'_> {
    /// `<stack>-<logicalId>-<13 random characters>`, cut to `max` characters, as
    /// CloudFormation names resources whose template gives no name.
    pub(crate) fn generated_name(&self, max: usize) -> String {
        let suffix = self
            .registry
            .entropy()
            .lower_alnum("cfn-physical-name", 13)
            .to_uppercase();
        let mut head = format!("{}-{}", self.stack_name, self.logical_id);
        head.truncate(max.saturating_sub(14));
        format!("{head}-{suffix}")
    }
}

/// Creates one resource of `kind` from resolved `properties`, with its `Tags`.
pub(crate) fn create(kind: &str, properties: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let tags = tags::of(kind, properties)?;
    let created = create_resource(kind, properties, cx)?;
    if let Some(tags) = tags {
        tags::store(kind, &created, tags, cx)?;
    }
    Ok(created)
}

fn create_resource(kind: &str, properties: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    match kind {
        "AWS::IoT::Policy" => iot::policy(properties, cx),
        "AWS::IoT::PolicyPrincipalAttachment" => iot::policy_attachment(properties, cx),
        "AWS::IoT::Thing" => iot::thing(properties, cx),
        "AWS::IoT::ThingPrincipalAttachment" => iot::thing_attachment(properties, cx),
        "AWS::IoT::ThingType" => iot::thing_type(properties, cx),
        "AWS::IoT::ThingGroup" => iot::thing_group(properties, cx),
        "AWS::IoT::ProvisioningTemplate" => iot_more::template(properties, cx),
        "AWS::IoT::RoleAlias" => iot_more::role_alias(properties, cx),
        "AWS::IoT::CACertificate" => iot_more::ca_certificate(properties, cx),
        "AWS::IoT::Certificate" => iot_more::certificate(properties, cx),
        "AWS::IAM::Role" => standins::role(properties, cx),
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            standins::iam_policy(kind, properties, cx)
        }
        "AWS::Logs::LogGroup" => functions::log_group(properties, cx),
        "AWS::Lambda::Function" => functions::function(properties, cx),
        "AWS::Lambda::Permission" => functions::permission(properties, cx),
        "AWS::IoT::TopicRule" => functions::topic_rule(properties, cx),
        other => Err(HandlerError(format!(
            "iot-emulator does not support resource type {other}"
        ))),
    }
}

/// Deletes one created resource. A resource already gone counts as deleted, as
/// CloudFormation's handlers treat NotFound on delete.
pub(crate) fn delete(
    kind: &str,
    physical_id: &str,
    properties: &Value,
    cx: &Context<'_>,
) -> HandlerResult<()> {
    match delete_resource(kind, physical_id, properties, cx) {
        Err(Gone::NotFound) => Ok(()),
        Err(Gone::Failed(e)) => Err(e),
        Ok(()) => Ok(()),
    }
}

enum Gone {
    NotFound,
    Failed(HandlerError),
}

impl From<IotError> for Gone {
    fn from(e: IotError) -> Self {
        match e.kind {
            crate::registry::ErrorKind::ResourceNotFound => Gone::NotFound,
            _ => Gone::Failed(e.into()),
        }
    }
}

impl From<HandlerError> for Gone {
    fn from(e: HandlerError) -> Self {
        Gone::Failed(e)
    }
}

fn delete_resource(
    kind: &str,
    physical_id: &str,
    properties: &Value,
    cx: &Context<'_>,
) -> Result<(), Gone> {
    let r = cx.registry;
    match kind {
        "AWS::IoT::Policy" => r.delete_policy(physical_id)?,
        "AWS::IoT::PolicyPrincipalAttachment" => r.detach_policy(
            &text(properties, "PolicyName")?,
            &text(properties, "Principal")?,
        )?,
        "AWS::IoT::Thing" => r.delete_thing(physical_id, None)?,
        "AWS::IoT::ThingPrincipalAttachment" => r.detach_thing_principal(
            &text(properties, "ThingName")?,
            &text(properties, "Principal")?,
        )?,
        "AWS::IoT::ThingType" => r.purge_thing_type(physical_id)?,
        "AWS::IoT::ThingGroup" => r.delete_thing_group(physical_id, None)?,
        "AWS::IoT::ProvisioningTemplate" => r.delete_provisioning_template(physical_id)?,
        "AWS::IoT::RoleAlias" => r.delete_role_alias(physical_id)?,
        "AWS::IoT::CACertificate" => iot_more::delete_ca(physical_id, cx)?,
        "AWS::IoT::Certificate" => iot_more::delete_certificate(physical_id, cx)?,
        "AWS::IAM::Role" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {}
        "AWS::Logs::LogGroup" => functions::delete_log_group(physical_id, cx)?,
        "AWS::Lambda::Function" => functions::delete_function(physical_id, cx)?,
        "AWS::Lambda::Permission" => functions::delete_permission(physical_id, properties, cx)?,
        "AWS::IoT::TopicRule" => cx.registry.delete_topic_rule(physical_id)?,
        other => {
            return Err(Gone::Failed(HandlerError(format!(
                "iot-emulator does not support resource type {other}"
            ))))
        }
    }
    Ok(())
}

/// A required string property.
pub(super) fn text(properties: &Value, key: &str) -> HandlerResult<String> {
    match properties.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        _ => Err(HandlerError(format!(
            "Properties validation failed for resource with message: #: required key [{key}] not found"
        ))),
    }
}

/// An optional string property.
pub(super) fn opt_text(properties: &Value, key: &str) -> Option<String> {
    text(properties, key).ok()
}

/// An optional Boolean property: `true`/`false`, or their text (a parameter's value is
/// always text, and CloudFormation converts it). Anything else fails the resource with
/// CloudFormation's schema message.
pub(super) fn flag(properties: &Value, key: &str) -> HandlerResult<Option<bool>> {
    match properties.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(HandlerError(format!(
            "Properties validation failed for resource with message: #/{key}: expected type: Boolean, found: {}",
            json_type(other)
        ))),
    }
}

/// The JSON Schema name of a value's type, as CloudFormation's messages give it.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

/// A JSON document property given as an object or as JSON text, as text.
pub(super) fn document_text(properties: &Value, key: &str) -> HandlerResult<String> {
    match properties.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other @ Value::Object(_)) => Ok(other.to_string()),
        _ => text(properties, key),
    }
}

/// `Created` with the given attributes.
pub(super) fn created(physical_id: impl Into<String>, attributes: &[(&str, Value)]) -> Created {
    Created {
        physical_id: physical_id.into(),
        attributes: attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}
