//! How a [`Plan`] (the registry's description of what a template asks for) is built from
//! the parsed resources. Property values are resolved and checked against AWS's names and
//! patterns here, so that applying a plan only meets registry-state errors.

use std::collections::BTreeMap;

use serde_json::Value;

use serde_json::Map;

use super::eval::{has_call, Scope};
use super::{invalid_parameters, unresolved, FixedDocument, Resource, ResourceType, Template};
use crate::registry::certificate::CertStatus;
use crate::registry::plan::{
    CertificatePlan, CertificateSource, Plan, PolicyPlan, ThingOverrides, ThingPlan,
};
use crate::registry::{policy, thing, validate, ErrorKind, IotError, IotResult};

pub(super) fn build(
    template: &Template,
    parameters: &BTreeMap<String, String>,
    injected: &BTreeMap<String, String>,
) -> IotResult<Plan> {
    let scope = Scope {
        template,
        parameters,
        injected,
    };
    // Every declared parameter needs a value (dataplane §2.2 and §3.4).
    let missing = template
        .parameters
        .iter()
        .find(|(name, default)| default.is_none() && !scope.has(name));
    if let Some((name, _)) = missing {
        return Err(unresolved(name));
    }
    let mut plan = Plan::default();
    for r in &template.resources {
        match r.kind {
            ResourceType::Thing => plan.thing = Some(thing_plan(&scope, r)?),
            ResourceType::Certificate => plan.certificate = Some(certificate_plan(&scope, r)?),
            ResourceType::Policy => plan.policies.push(policy_plan(&scope, r)?),
        }
    }
    for (key, value) in &template.device_configuration {
        let what = format_args!("DeviceConfiguration.{key}");
        plan.device_configuration
            .insert(key.clone(), scope.string(value, what)?);
    }
    Ok(plan)
}

/// A validation error of the registry, reported as the parameter problem it is here.
fn as_parameter_error(e: IotError) -> IotError {
    invalid_parameters(e.message)
}

fn optional_string(scope: &Scope<'_>, r: &Resource, key: &str) -> IotResult<Option<String>> {
    r.properties
        .get(key)
        .map(|v| scope.string(v, format_args!("{}.{key}", r.logical_id)))
        .transpose()
}

fn thing_plan(scope: &Scope<'_>, r: &Resource) -> IotResult<ThingPlan> {
    let name = optional_string(scope, r, "ThingName")?.unwrap_or_default();
    validate::thing_name("thingName", &name).map_err(as_parameter_error)?;
    let thing_type_name = optional_string(scope, r, "ThingTypeName")?;
    if let Some(t) = &thing_type_name {
        validate::thing_name("thingTypeName", t).map_err(as_parameter_error)?;
    }
    let billing_group = optional_string(scope, r, "BillingGroup")?;
    if let Some(b) = &billing_group {
        validate::thing_name("billingGroupName", b).map_err(as_parameter_error)?;
    }
    let attributes = match r.properties.get("AttributePayload") {
        Some(v) => Some(attributes(scope, r, v)?),
        None => None,
    };
    let thing_groups = match r.properties.get("ThingGroups") {
        Some(v) => Some(groups(scope, r, v)?),
        None => None,
    };
    let o = |k: &str| r.overrides.get(k).copied().unwrap_or_default();
    Ok(ThingPlan {
        logical_id: r.logical_id.clone(),
        thing_name: name,
        attributes,
        thing_type_name,
        thing_groups,
        billing_group,
        overrides: ThingOverrides {
            given: r.has_override_settings,
            attribute_payload: o("AttributePayload"),
            thing_type_name: o("ThingTypeName"),
            thing_groups: o("ThingGroups"),
            billing_group: o("BillingGroup"),
        },
    })
}

/// `AttributePayload`: a flat map of names to strings (dataplane §2.4).
fn attributes(scope: &Scope<'_>, r: &Resource, v: &Value) -> IotResult<BTreeMap<String, String>> {
    let resolved = scope.resolve(v)?;
    let Value::Object(map) = resolved.as_ref() else {
        return Err(invalid_parameters(format!(
            "{}.AttributePayload must be a map of names to strings",
            r.logical_id
        )));
    };
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let what = format_args!("{}.AttributePayload.{k}", r.logical_id);
        out.insert(k.clone(), scope.string(v, what)?);
    }
    thing::validate_attributes(&out).map_err(as_parameter_error)?;
    Ok(out)
}

fn groups(scope: &Scope<'_>, r: &Resource, v: &Value) -> IotResult<Vec<String>> {
    let resolved = scope.resolve(v)?;
    let Value::Array(items) = resolved.as_ref() else {
        return Err(invalid_parameters(format!(
            "{}.ThingGroups must be a list of group names",
            r.logical_id
        )));
    };
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let name = scope.string(item, format_args!("{}.ThingGroups", r.logical_id))?;
        validate::thing_name("thingGroupName", &name).map_err(as_parameter_error)?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

fn certificate_plan(scope: &Scope<'_>, r: &Resource) -> IotResult<CertificatePlan> {
    let source = if let Some(id) = optional_string(scope, r, "CertificateId")? {
        CertificateSource::Id(id)
    } else if let Some(pem) = optional_string(scope, r, "CertificatePem")? {
        let ca_pem = optional_string(scope, r, "CACertificatePem")?;
        CertificateSource::Pem { pem, ca_pem }
    } else {
        CertificateSource::Csr(
            optional_string(scope, r, "CertificateSigningRequest")?.unwrap_or_default(),
        )
    };
    // AWS's own examples write "Active": compare case-insensitively (dataplane §2.4).
    let status = match optional_string(scope, r, "Status")? {
        None => CertStatus::Active,
        Some(s) if s.eq_ignore_ascii_case("ACTIVE") => CertStatus::Active,
        Some(s) if s.eq_ignore_ascii_case("INACTIVE") => CertStatus::Inactive,
        Some(s) => {
            return Err(invalid_parameters(format!(
                "Invalid certificate status {s}: must be ACTIVE or INACTIVE"
            )))
        }
    };
    Ok(CertificatePlan {
        logical_id: r.logical_id.clone(),
        source,
        status,
        status_override: r.overrides.get("Status").copied().unwrap_or_default(),
    })
}

/// The `PolicyDocument` of a policy resource when it has no intrinsic call: written out,
/// checked and hashed once, when the template is parsed.
pub(super) fn fixed_document(properties: &Map<String, Value>) -> Option<FixedDocument> {
    let v = properties.get("PolicyDocument").filter(|v| !has_call(v))?;
    let text = match v {
        Value::String(s) => s.clone(),
        obj @ Value::Object(_) => obj.to_string(),
        _ => return None,
    };
    Some(FixedDocument {
        malformed: policy::check_document(&text)
            .err()
            .map(|e| (e.kind, e.message)),
        hash_name: document_hash(&text),
        text,
    })
}

/// The resource's checked document, with its hash name when that is known already.
fn document(scope: &Scope<'_>, r: &Resource) -> IotResult<Option<(String, Option<String>)>> {
    if let Some(fixed) = &r.fixed_document {
        return match &fixed.malformed {
            Some((kind, message)) => Err(IotError::new(*kind, message.clone())),
            None => Ok(Some((fixed.text.clone(), Some(fixed.hash_name.clone())))),
        };
    }
    let Some(v) = r.properties.get("PolicyDocument") else {
        return Ok(None);
    };
    let text = match scope.resolve(v)?.as_ref() {
        Value::String(s) => s.clone(),
        obj @ Value::Object(_) => obj.to_string(),
        _ => {
            return Err(invalid_parameters(format!(
                "{}.PolicyDocument must be a JSON object or a string",
                r.logical_id
            )))
        }
    };
    policy::check_document(&text)?;
    Ok(Some((text, None)))
}

fn policy_plan(scope: &Scope<'_>, r: &Resource) -> IotResult<PolicyPlan> {
    let checked = document(scope, r)?;
    let policy_name = match (optional_string(scope, r, "PolicyName")?, &checked) {
        (Some(name), _) => name,
        (None, Some((text, hash))) => hash.clone().unwrap_or_else(|| document_hash(text)),
        (None, None) => return Err(IotError::new(
            ErrorKind::InvalidRequest,
            "Invalid registration template. Neither policyName nor policyDocument is present in the Template.",
        )),
    };
    validate::policy_name(&policy_name).map_err(as_parameter_error)?;
    Ok(PolicyPlan {
        logical_id: r.logical_id.clone(),
        policy_name,
        document: checked.map(|(text, _)| text),
    })
}

/// The name of a policy given only by its document: "a hash of the policy document",
/// 40 uppercase hex characters in AWS's example, so SHA-1 (the algorithm is UNCONFIRMED).
pub(super) fn document_hash(document: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, document.as_bytes());
    hex::encode_upper(digest.as_ref())
}
