//! Parsing a template body and the structural checks made when a template is created:
//! sections, parameter declarations, Mappings without intrinsics, resource types and
//! properties, OverrideSettings values, and the shape of every intrinsic call.
//!
//! AWS documents only `Parameters`, `Mappings`, `Resources` and `DeviceConfiguration`
//! (dataplane §2.1) and six functions (§2.3); anything else is refused here. That AWS refuses
//! these at creation rather than at provisioning is our reading (not confirmed).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{invalid_template, Override, Resource, ResourceType, Template};
use crate::registry::{IotError, IotResult};

const SECTIONS: [&str; 4] = ["Parameters", "Mappings", "Resources", "DeviceConfiguration"];
/// The intrinsic functions AWS documents for provisioning templates.
pub(super) const FUNCTIONS: [&str; 6] = [
    "Ref",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::FindInMap",
    "Fn::Sub",
];

pub(super) fn template(body: &str) -> IotResult<Template> {
    let value: Value = serde_json::from_str(body)
        .map_err(|e| invalid_template(format_args!("the body is not valid JSON ({e})")))?;
    let Value::Object(top) = value else {
        return Err(invalid_template("the body must be a JSON object"));
    };
    if let Some(other) = top.keys().find(|k| !SECTIONS.contains(&k.as_str())) {
        return Err(invalid_template(format_args!(
            "unsupported section {other}"
        )));
    }
    let resources = match top.get("Resources") {
        Some(Value::Object(r)) => resources(r)?,
        Some(_) => return Err(invalid_template("Resources must be a JSON object")),
        None => return Err(invalid_template("the Resources section is missing")),
    };
    let template = Template {
        parameters: parameters(object_section(&top, "Parameters")?)?,
        mappings: mappings(object_section(&top, "Mappings")?)?,
        resources,
        device_configuration: device_configuration(object_section(&top, "DeviceConfiguration")?)?,
    };
    Ok(template)
}

/// A section that must be an object when present (empty when absent).
fn object_section(top: &Map<String, Value>, name: &str) -> IotResult<Map<String, Value>> {
    match top.get(name) {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(invalid_template(format_args!(
            "{name} must be a JSON object"
        ))),
    }
}

fn parameters(section: Map<String, Value>) -> IotResult<BTreeMap<String, Option<String>>> {
    let mut out = BTreeMap::new();
    for (name, decl) in section {
        let Value::Object(decl) = decl else {
            return Err(invalid_template(format_args!(
                "parameter {name} must be a JSON object"
            )));
        };
        if let Some(k) = decl
            .keys()
            .find(|k| !matches!(k.as_str(), "Type" | "Default" | "Description"))
        {
            return Err(invalid_template(format_args!(
                "unsupported attribute {k} in parameter {name}"
            )));
        }
        // Only `String` is documented (dataplane §2.2).
        if decl.get("Type") != Some(&Value::String("String".into())) {
            return Err(invalid_template(format_args!(
                "parameter {name} must have Type String"
            )));
        }
        let default = match decl.get("Default") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(invalid_template(format_args!(
                    "the Default of parameter {name} must be a string"
                )))
            }
        };
        out.insert(name, default);
    }
    Ok(out)
}

/// Mappings: two levels of objects whose leaves are strings or lists of strings; no
/// parameters, pseudo-parameters or intrinsics (dataplane §2.3).
fn mappings(section: Map<String, Value>) -> IotResult<Map<String, Value>> {
    let leaf_ok = |v: &Value| match v {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    };
    for (map, top) in &section {
        let Value::Object(top) = top else {
            return Err(invalid_template(format_args!(
                "mapping {map} must be a JSON object"
            )));
        };
        for (key, second) in top {
            let Value::Object(second) = second else {
                return Err(invalid_template(format_args!(
                    "mapping {map}.{key} must be a JSON object"
                )));
            };
            if let Some((k, _)) = second.iter().find(|(_, v)| !leaf_ok(v)) {
                return Err(invalid_template(format_args!(
                    "mapping value {map}.{key}.{k} must be a string or a list of strings; Mappings cannot contain intrinsic functions"
                )));
            }
        }
    }
    Ok(section)
}

fn device_configuration(section: Map<String, Value>) -> IotResult<Map<String, Value>> {
    for (key, value) in &section {
        let flat = match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => true,
            Value::Object(o) => is_call(o),
            _ => false,
        };
        if !flat {
            // The SDKs type it as a map of strings; nested values are not supported (§2.7).
            return Err(invalid_template(format_args!(
                "DeviceConfiguration.{key} must be a string or an intrinsic function"
            )));
        }
        expression(value)?;
    }
    Ok(section)
}

fn resources(section: &Map<String, Value>) -> IotResult<Vec<Resource>> {
    let mut out: Vec<Resource> = Vec::new();
    for (id, entry) in section {
        let resource = resource(id, entry)?;
        let dup = out.iter().any(|r| r.kind == resource.kind);
        if dup && resource.kind != ResourceType::Policy {
            // AWS: "a thing, a certificate, and one or more IoT policies" (§2.4).
            return Err(invalid_template(format_args!(
                "only one resource of the type of {id} is allowed"
            )));
        }
        out.push(resource);
    }
    Ok(out)
}

fn resource(id: &str, entry: &Value) -> IotResult<Resource> {
    let Value::Object(entry) = entry else {
        return Err(invalid_template(format_args!(
            "resource {id} must be a JSON object"
        )));
    };
    if let Some(k) = entry
        .keys()
        .find(|k| !matches!(k.as_str(), "Type" | "Properties" | "OverrideSettings"))
    {
        return Err(invalid_template(format_args!(
            "unsupported attribute {k} in resource {id}"
        )));
    }
    let kind = match entry.get("Type") {
        Some(Value::String(t)) => ResourceType::parse(t).ok_or_else(|| {
            invalid_template(format_args!(
                "unsupported resource type {t} in resource {id}"
            ))
        })?,
        _ => return Err(invalid_template(format_args!("resource {id} has no Type"))),
    };
    let properties = match entry.get("Properties") {
        None => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => {
            return Err(invalid_template(format_args!(
                "the Properties of resource {id} must be a JSON object"
            )))
        }
    };
    check_properties(id, kind, &properties)?;
    let overrides = overrides(id, kind, entry.get("OverrideSettings"))?;
    let fixed_document = match kind {
        ResourceType::Policy => super::plan::fixed_document(&properties),
        _ => None,
    };
    Ok(Resource {
        logical_id: id.to_string(),
        kind,
        properties,
        overrides,
        has_override_settings: entry.get("OverrideSettings").is_some(),
        fixed_document,
    })
}

/// A resource type's allowed properties, and those of which it needs one.
/// PackageVersions is documented today but its shape is not; it is accepted and ignored.
const THING_PROPERTIES: [&str; 6] = [
    "ThingName",
    "AttributePayload",
    "ThingTypeName",
    "ThingGroups",
    "BillingGroup",
    "PackageVersions",
];
const CERTIFICATE_PROPERTIES: [&str; 5] = [
    "CertificateId",
    "CertificatePem",
    "CACertificatePem",
    "CertificateSigningRequest",
    "Status",
];
const CERTIFICATE_SOURCES: [&str; 3] = [
    "CertificateId",
    "CertificatePem",
    "CertificateSigningRequest",
];
const POLICY_PROPERTIES: [&str; 2] = ["PolicyName", "PolicyDocument"];

fn check_properties(id: &str, kind: ResourceType, props: &Map<String, Value>) -> IotResult<()> {
    let (allowed, one_of): (&[&str], &[&str]) = match kind {
        ResourceType::Thing => (&THING_PROPERTIES, &THING_PROPERTIES[..1]),
        ResourceType::Certificate => (&CERTIFICATE_PROPERTIES, &CERTIFICATE_SOURCES),
        ResourceType::Policy => (&POLICY_PROPERTIES, &POLICY_PROPERTIES),
    };
    if let Some(k) = props.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid_template(format_args!(
            "unsupported property {k} in resource {id}"
        )));
    }
    let given = one_of.iter().filter(|k| props.contains_key(**k)).count();
    if given == 0 && kind == ResourceType::Policy {
        // AWS's wording when a CA's registration template has neither (dataplane §2.4).
        return Err(IotError::invalid(
            "Invalid registration template. Neither policyName nor policyDocument is present in the Template.",
        ));
    }
    let exclusive = kind == ResourceType::Certificate;
    if given == 0 || (exclusive && given > 1) {
        return Err(invalid_template(format_args!(
            "resource {id} must have {} {}",
            if exclusive {
                "exactly one of"
            } else {
                "one of"
            },
            one_of.join(", ")
        )));
    }
    props.values().try_for_each(expression)
}

/// `OverrideSettings`: Thing properties (as property names or upper-snake keys) and the
/// certificate's Status; MERGE only for AttributePayload and ThingGroups (§2.5).
fn overrides(
    id: &str,
    kind: ResourceType,
    given: Option<&Value>,
) -> IotResult<BTreeMap<String, Override>> {
    let Some(given) = given else {
        return Ok(BTreeMap::new());
    };
    if kind == ResourceType::Policy {
        return Err(invalid_template(format_args!(
            "policy resource {id} cannot have OverrideSettings"
        )));
    }
    let Value::Object(given) = given else {
        return Err(invalid_template(format_args!(
            "the OverrideSettings of resource {id} must be a JSON object"
        )));
    };
    let mut out = BTreeMap::new();
    for (key, value) in given {
        let property = override_key(kind, key).ok_or_else(|| {
            invalid_template(format_args!("unsupported override {key} in resource {id}"))
        })?;
        let setting = value.as_str().and_then(Override::parse).ok_or_else(|| {
            invalid_template(format_args!(
                "override {key} in resource {id} must be one of DO_NOTHING, REPLACE, FAIL, MERGE"
            ))
        })?;
        let mergeable = matches!(property, "AttributePayload" | "ThingGroups");
        if setting == Override::Merge && !mergeable {
            return Err(invalid_template(format_args!(
                "MERGE is only supported for AttributePayload and ThingGroups, not {key}"
            )));
        }
        out.insert(property.to_string(), setting);
    }
    Ok(out)
}

fn override_key(kind: ResourceType, key: &str) -> Option<&'static str> {
    let thing = [
        ("AttributePayload", "ATTRIBUTE_PAYLOAD"),
        ("ThingTypeName", "THING_TYPE_NAME"),
        ("ThingGroups", "THING_GROUPS"),
        ("BillingGroup", "BILLING_GROUP"),
    ];
    let certificate = [("Status", "STATUS")];
    let table: &[(&'static str, &str)] = match kind {
        ResourceType::Thing => &thing,
        ResourceType::Certificate => &certificate,
        ResourceType::Policy => &[],
    };
    table
        .iter()
        .find(|(name, snake)| key == *name || key == *snake)
        .map(|(name, _)| *name)
}

/// Whether `o` is an intrinsic call (its key is `Ref` or `Fn::...`).
pub(super) fn is_call(o: &Map<String, Value>) -> bool {
    o.keys().any(|k| k == "Ref" || k.starts_with("Fn::"))
}

/// Checks the shape of every intrinsic call inside `value`.
pub(super) fn expression(value: &Value) -> IotResult<()> {
    match value {
        Value::Array(items) => items.iter().try_for_each(expression),
        Value::Object(o) if is_call(o) => call(o),
        Value::Object(o) => o.values().try_for_each(expression),
        _ => Ok(()),
    }
}

fn call(o: &Map<String, Value>) -> IotResult<()> {
    let Some((name, arg)) = o.iter().next().filter(|_| o.len() == 1) else {
        return Err(invalid_template(
            "an intrinsic function must be the only key of its object",
        ));
    };
    if !FUNCTIONS.contains(&name.as_str()) {
        return Err(invalid_template(format_args!(
            "unsupported function {name}"
        )));
    }
    let bad = || invalid_template(format_args!("invalid arguments to {name}"));
    let list = |n: usize| match arg {
        Value::Array(a) if a.len() == n => Ok(a),
        _ => Err(bad()),
    };
    let ok = match name.as_str() {
        "Ref" => arg.is_string(),
        "Fn::Join" | "Fn::Split" => list(2)?[0].is_string(),
        "Fn::Select" => list(2).is_ok(),
        "Fn::FindInMap" => list(3).is_ok(),
        _ => match arg {
            Value::String(_) => true,
            Value::Array(a) => a.len() == 2 && a[0].is_string() && a[1].is_object(),
            _ => false,
        },
    };
    if !ok {
        return Err(bad());
    }
    match arg {
        Value::Array(items) => items.iter().try_for_each(expression),
        _ => Ok(()),
    }
}

impl Override {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "DO_NOTHING" => Some(Override::DoNothing),
            "REPLACE" => Some(Override::Replace),
            "FAIL" => Some(Override::Fail),
            "MERGE" => Some(Override::Merge),
            _ => None,
        }
    }
}
