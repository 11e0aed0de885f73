//! Where each parameter goes: every `Ref` (and `${Name}` of `Fn::Sub`) is traced into the
//! resource property it feeds, through the `Fn::FindInMap` keys, `Fn::Select` indexes and
//! `Fn::Split` inputs on the way, with the length of the literal text around it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::provisioning::template::{ResourceType, Template};

/// The property a value ends up in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sink {
    ThingName,
    ThingTypeName,
    ThingGroup,
    BillingGroup,
    /// An `AttributePayload` value, by attribute name.
    Attribute(String),
    PolicyName,
    PolicyDocument,
    CertificateId,
    CertificateStatus,
    /// A `DeviceConfiguration` value, by key.
    DeviceConfiguration(String),
    /// Anything else (a property the engine does not name-check).
    Other(String),
}

impl Sink {
    /// `[min, max]` length and the allowed characters of the AWS rule for this property
    /// (the same rules as `registry::validate` and `thing::validate_attributes`).
    pub fn rule(&self) -> Option<(usize, usize, &'static str)> {
        const NAME: &str = ":_-";
        match self {
            Sink::ThingName | Sink::ThingTypeName | Sink::ThingGroup | Sink::BillingGroup => {
                Some((1, 128, NAME))
            }
            Sink::PolicyName => Some((1, 128, "_+=,.@-")),
            Sink::Attribute(_) => Some((0, 800, "_.,@/:#=[]-")),
            _ => None,
        }
    }

    /// A readable `Resource.Property` name.
    pub fn describe(&self, resource: &str) -> String {
        match self {
            Sink::ThingName => format!("{resource}.ThingName"),
            Sink::ThingTypeName => format!("{resource}.ThingTypeName"),
            Sink::ThingGroup => format!("{resource}.ThingGroups"),
            Sink::BillingGroup => format!("{resource}.BillingGroup"),
            Sink::Attribute(k) => format!("{resource}.AttributePayload.{k}"),
            Sink::PolicyName => format!("{resource}.PolicyName"),
            Sink::PolicyDocument => format!("{resource}.PolicyDocument"),
            Sink::CertificateId => format!("{resource}.CertificateId"),
            Sink::CertificateStatus => format!("{resource}.Status"),
            Sink::DeviceConfiguration(k) => format!("DeviceConfiguration.{k}"),
            Sink::Other(p) => format!("{resource}.{p}"),
        }
    }
}

/// A function a value passes through before it reaches its property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A key of `Fn::FindInMap`: level 1 (top-level key) or 2 (second-level key) of
    /// `map` (None when the map name is computed).
    FindInMapKey { map: Option<String>, level: u8 },
    /// The map name of `Fn::FindInMap`.
    FindInMapName,
    /// The index of `Fn::Select`, over a list of `len` items when that is static.
    SelectIndex { len: Option<usize> },
    /// The input of `Fn::Split` with this delimiter.
    SplitInput { delimiter: String },
}

/// One place a parameter is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    /// The logical id of the resource (or `DeviceConfiguration`).
    pub resource: String,
    pub sink: Sink,
    /// Innermost first.
    pub via: Vec<Via>,
    /// Characters of literal text joined around the value in the final string.
    pub literal: usize,
}

/// Every use of every referenced parameter, by parameter name.
pub fn uses(template: &Template) -> BTreeMap<String, Vec<Use>> {
    let mut out: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    for r in &template.resources {
        for (property, value) in &r.properties {
            let sink = property_sink(r.kind, property);
            let at = At {
                resource: &r.logical_id,
                via: Vec::new(),
                literal: 0,
            };
            walk(value, &sink, &at, &mut out);
        }
    }
    for (key, value) in &template.device_configuration {
        let sink = Sink::DeviceConfiguration(key.clone());
        let at = At {
            resource: "DeviceConfiguration",
            via: Vec::new(),
            literal: 0,
        };
        walk(value, &sink, &at, &mut out);
    }
    out
}

fn property_sink(kind: ResourceType, property: &str) -> Sink {
    match (kind, property) {
        (ResourceType::Thing, "ThingName") => Sink::ThingName,
        (ResourceType::Thing, "ThingTypeName") => Sink::ThingTypeName,
        (ResourceType::Thing, "ThingGroups") => Sink::ThingGroup,
        (ResourceType::Thing, "BillingGroup") => Sink::BillingGroup,
        (ResourceType::Policy, "PolicyName") => Sink::PolicyName,
        (ResourceType::Policy, "PolicyDocument") => Sink::PolicyDocument,
        (ResourceType::Certificate, "CertificateId") => Sink::CertificateId,
        (ResourceType::Certificate, "Status") => Sink::CertificateStatus,
        (_, other) => Sink::Other(other.to_string()),
    }
}

/// The context of a value being walked.
#[derive(Clone)]
struct At<'a> {
    resource: &'a str,
    via: Vec<Via>,
    literal: usize,
}

impl At<'_> {
    fn through(&self, via: Via) -> Self {
        let mut next = self.clone();
        next.via.insert(0, via);
        next.literal = 0;
        next
    }

    fn record(&self, name: &str, sink: &Sink, out: &mut BTreeMap<String, Vec<Use>>) {
        let u = Use {
            resource: self.resource.to_string(),
            sink: sink.clone(),
            via: self.via.clone(),
            literal: self.literal,
        };
        let list = out.entry(name.to_string()).or_default();
        if !list.contains(&u) {
            list.push(u);
        }
    }
}

fn walk(value: &Value, sink: &Sink, at: &At<'_>, out: &mut BTreeMap<String, Vec<Use>>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| walk(v, sink, at, out)),
        Value::Object(o) if is_call(o) => call(o, sink, at, out),
        Value::Object(o) => {
            for (k, v) in o {
                let inner = match sink {
                    Sink::Other(p) if p == "AttributePayload" => Sink::Attribute(k.clone()),
                    other => other.clone(),
                };
                walk(v, &inner, at, out);
            }
        }
        _ => {}
    }
}

fn is_call(o: &Map<String, Value>) -> bool {
    o.len() == 1 && o.keys().any(|k| k == "Ref" || k.starts_with("Fn::"))
}

fn text_len(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn call(o: &Map<String, Value>, sink: &Sink, at: &At<'_>, out: &mut BTreeMap<String, Vec<Use>>) {
    let Some((name, arg)) = o.iter().next() else {
        return;
    };
    let args = arg.as_array().map(Vec::as_slice).unwrap_or_default();
    match (name.as_str(), arg) {
        ("Ref", Value::String(n)) => at.record(n, sink, out),
        ("Fn::Join", _) if args.len() == 2 => join(&args[0], &args[1], sink, at, out),
        ("Fn::Select", _) if args.len() == 2 => {
            let len = args[1].as_array().map(Vec::len);
            walk(&args[0], sink, &at.through(Via::SelectIndex { len }), out);
            walk(&args[1], sink, at, out);
        }
        ("Fn::Split", _) if args.len() == 2 => {
            let delimiter = args[0].as_str().unwrap_or_default().to_string();
            walk(
                &args[1],
                sink,
                &at.through(Via::SplitInput { delimiter }),
                out,
            );
        }
        ("Fn::FindInMap", _) if args.len() == 3 => {
            let map = args[0].as_str().map(str::to_string);
            walk(&args[0], sink, &at.through(Via::FindInMapName), out);
            for level in [1u8, 2] {
                let via = Via::FindInMapKey {
                    map: map.clone(),
                    level,
                };
                walk(&args[level as usize], sink, &at.through(via), out);
            }
        }
        ("Fn::Sub", Value::String(s)) => sub(s, None, sink, at, out),
        ("Fn::Sub", _) if args.len() == 2 => {
            if let (Value::String(s), Value::Object(vars)) = (&args[0], &args[1]) {
                sub(s, Some(vars), sink, at, out);
            }
        }
        _ => {}
    }
}

fn join(
    delimiter: &Value,
    list: &Value,
    sink: &Sink,
    at: &At<'_>,
    out: &mut BTreeMap<String, Vec<Use>>,
) {
    let Value::Array(items) = list else {
        return walk(list, sink, at, out);
    };
    let separators = text_len(delimiter) * items.len().saturating_sub(1);
    let literal: usize = items.iter().map(text_len).sum::<usize>() + separators;
    let mut inner = at.clone();
    inner.literal += literal;
    for item in items.iter().filter(|v| !v.is_string()) {
        walk(item, sink, &inner, out);
    }
}

/// `${Name}` references of a `Fn::Sub` string (`${!Literal}` is text).
pub(crate) fn sub_names(text: &str) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut literal = 0;
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        literal += rest[..start].chars().count();
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            literal += rest[start..].chars().count();
            return (names, literal);
        };
        let name = &after[..end];
        match name.strip_prefix('!') {
            Some(l) => literal += l.chars().count() + 3,
            None => names.push(name.trim().to_string()),
        }
        rest = &after[end + 1..];
    }
    (names, literal + rest.chars().count())
}

fn sub(
    text: &str,
    vars: Option<&Map<String, Value>>,
    sink: &Sink,
    at: &At<'_>,
    out: &mut BTreeMap<String, Vec<Use>>,
) {
    let (names, literal) = sub_names(text);
    let mut inner = at.clone();
    inner.literal += literal;
    for name in names {
        match vars.and_then(|v| v.get(&name)) {
            Some(v) => walk(v, sink, &inner, out),
            None => inner.record(&name, sink, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_joined_serial_feeds_the_thing_name_after_its_prefix() {
        let body = serde_json::json!({
            "Parameters": {"SerialNumber": {"Type": "String"}, "DeviceLocation": {"Type": "String"}},
            "Mappings": {"LocationTable": {"Seattle": {"LocationUrl": "https://example.aws"}}},
            "Resources": {"thing": {"Type": "AWS::IoT::Thing", "Properties": {
                "ThingName": {"Fn::Join": ["", ["ThingPrefix_", {"Ref": "SerialNumber"}]]}}}},
            "DeviceConfiguration": {"LocationUrl": {"Fn::FindInMap":
                ["LocationTable", {"Ref": "DeviceLocation"}, "LocationUrl"]}}
        });
        let t = Template::parse(&body.to_string()).expect("template");
        let uses = uses(&t);
        let serial = &uses["SerialNumber"][0];
        assert_eq!((serial.sink.clone(), serial.literal), (Sink::ThingName, 12));
        let location = &uses["DeviceLocation"][0];
        let via = Via::FindInMapKey {
            map: Some("LocationTable".into()),
            level: 1,
        };
        assert_eq!(location.via, vec![via]);
    }
}
