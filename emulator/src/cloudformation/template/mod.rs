//! A CloudFormation template read into its sections: parameters, mappings, conditions,
//! resources (in declaration order) and outputs, with the checks CloudFormation makes
//! before anything runs.

mod yaml;

use serde_json::{Map, Value};

use super::error::{format_error, CfnResult};

/// Top-level sections a template may have.
const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
];

/// One resource declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDecl {
    pub logical_id: String,
    pub kind: String,
    /// The `Properties` object (empty when the template gives none).
    pub properties: Value,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    /// `Delete` (the default), `Retain` or `Snapshot`.
    pub deletion_policy: String,
    /// What happens to the old resource when an update replaces it: `Delete` (the
    /// default) or `Retain` (`Snapshot` is treated as `Delete`: no snapshots here).
    pub update_replace_policy: String,
    /// The declaration as written (SAM reads its other keys).
    pub raw: Value,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub description: Option<String>,
    /// `Transform`, as a list.
    pub transforms: Vec<String>,
    pub parameters: Map<String, Value>,
    pub mappings: Map<String, Value>,
    pub conditions: Map<String, Value>,
    pub resources: Vec<ResourceDecl>,
    pub outputs: Map<String, Value>,
}

/// A template body (JSON or YAML) as JSON, short-form tags in their long forms.
pub fn parse_body(text: &str) -> CfnResult<Value> {
    yaml::parse(text)
}

/// The body's `Transform`, as a list.
pub fn transforms_of(body: &Value) -> Vec<String> {
    transforms(body.get("Transform"))
}

impl Template {
    /// Reads a template body (JSON or YAML), without applying transforms.
    pub fn parse(text: &str) -> CfnResult<Template> {
        Template::from_value(yaml::parse(text)?)
    }

    /// Checks and splits an already parsed template (after a transform, say).
    pub fn from_value(body: Value) -> CfnResult<Template> {
        let Value::Object(top) = body else {
            return Err(format_error("template format error: JSON not well-formed."));
        };
        let unknown: Vec<&str> = top
            .keys()
            .map(String::as_str)
            .filter(|k| !SECTIONS.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(format_error(format!(
                "Invalid template property or properties [{}]",
                unknown.join(", ")
            )));
        }
        if let Some(version) = top.get("AWSTemplateFormatVersion") {
            if version.as_str() != Some("2010-09-09") {
                return Err(format_error(format!(
                    "'{}' is not a valid template version",
                    text_of(version)
                )));
            }
        }
        let section = |name: &str| match top.get(name) {
            Some(Value::Object(map)) => Ok(map.clone()),
            None | Some(Value::Null) => Ok(Map::new()),
            Some(_) => Err(format_error(format!("{name} must be an object"))),
        };
        let resources = section("Resources")?;
        if resources.is_empty() {
            return Err(format_error(
                "At least one Resources member must be defined.",
            ));
        }
        Ok(Template {
            description: top
                .get("Description")
                .and_then(Value::as_str)
                .map(str::to_string),
            transforms: transforms(top.get("Transform")),
            parameters: section("Parameters")?,
            mappings: section("Mappings")?,
            conditions: section("Conditions")?,
            resources: resources
                .into_iter()
                .map(|(id, decl)| resource(id, decl))
                .collect::<CfnResult<_>>()?,
            outputs: section("Outputs")?,
        })
    }

    pub fn resource(&self, logical_id: &str) -> Option<&ResourceDecl> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }
}

fn text_of(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

fn transforms(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(name)) => vec![name.clone()],
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        // `{"Name": "AWS::Include", ...}`: kept by name so it is refused clearly later.
        Some(Value::Object(map)) => map
            .get("Name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

fn resource(logical_id: String, decl: Value) -> CfnResult<ResourceDecl> {
    let path = format!("[/Resources/{logical_id}]");
    let Value::Object(map) = &decl else {
        return Err(format_error(format!(
            "{path} Every Resources object must contain a Type member."
        )));
    };
    let kind = map.get("Type").and_then(Value::as_str);
    let kind = kind.ok_or_else(|| {
        format_error(format!(
            "{path} Every Resources object must contain a Type member."
        ))
    })?;
    if !logical_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format_error(format!(
            "Resource name {logical_id} is non alphanumeric."
        )));
    }
    let depends_on = match map.get("DependsOn") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let properties = match map.get("Properties") {
        Some(Value::Null) | None => Value::Object(Map::new()),
        Some(p) => p.clone(),
    };
    Ok(ResourceDecl {
        kind: kind.to_string(),
        properties,
        depends_on,
        condition: map
            .get("Condition")
            .and_then(Value::as_str)
            .map(str::to_string),
        deletion_policy: map
            .get("DeletionPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Delete")
            .to_string(),
        update_replace_policy: map
            .get("UpdateReplacePolicy")
            .and_then(Value::as_str)
            .unwrap_or("Delete")
            .to_string(),
        raw: decl.clone(),
        logical_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_resources_and_the_checks_cloudformation_makes() {
        let t = Template::parse(
            "Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\n\
             Resources:\n  B:\n    Type: AWS::IoT::Thing\n    DependsOn: A\n  A:\n    Type: AWS::IoT::Policy\n",
        )
        .unwrap();
        assert_eq!(
            t.transforms,
            ["AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"]
        );
        let ids: Vec<&str> = t.resources.iter().map(|r| r.logical_id.as_str()).collect();
        assert_eq!(ids, ["B", "A"]);
        assert_eq!(t.resources[0].depends_on, ["A"]);
        let no_type = Template::parse("Resources:\n  X:\n    Properties: {}\n").unwrap_err();
        assert_eq!(no_type.to_string(), "Template format error: [/Resources/X] Every Resources object must contain a Type member.");
        let empty = Template::parse("Description: x\n").unwrap_err();
        assert_eq!(
            empty.to_string(),
            "Template format error: At least one Resources member must be defined."
        );
        let unknown = Template::parse("Resource:\n  X: {Type: T}\n").unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "Template format error: Invalid template property or properties [Resource]"
        );
    }
}
