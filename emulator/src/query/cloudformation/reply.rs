//! CloudFormation's reply shapes as XML nodes: stacks, change sets, events, resources,
//! template summaries. Lists are `<member>`s; times are ISO 8601 in UTC.

use serde_json::Value;
use time::macros::format_description;
use time::OffsetDateTime;

use super::super::xml::Node;
use crate::cloudformation::stack::{ChangeSet, Stack, StackResource};
use crate::cloudformation::{read_template, CfnError};

fn text(name: &'static str, value: impl Into<String>) -> Node {
    Node::Text(name, value.into())
}

fn opt(name: &'static str, value: &Option<String>) -> Option<Node> {
    value.as_ref().map(|v| text(name, v.clone()))
}

fn time(ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(&format).unwrap_or_default()
}

pub(super) fn ids(id: &str, stack_id: &str) -> Vec<Node> {
    vec![text("Id", id), text("StackId", stack_id)]
}

pub(super) fn stack_id(id: &str) -> Vec<Node> {
    vec![text("StackId", id)]
}

fn parameters(
    stack_params: &std::collections::BTreeMap<String, String>,
    no_echo: &[String],
) -> Node {
    let members = stack_params
        .iter()
        .map(|(k, v)| {
            let shown = if no_echo.contains(k) {
                "****".to_string()
            } else {
                v.clone()
            };
            vec![
                text("ParameterKey", k.clone()),
                text("ParameterValue", shown),
            ]
        })
        .collect();
    Node::List("Parameters", members)
}

fn capabilities(caps: &[String]) -> Node {
    Node::Values("Capabilities", caps.to_vec())
}

pub(super) fn change_set(stack: &Stack, cs: &ChangeSet) -> Vec<Node> {
    let changes = cs
        .changes
        .iter()
        .map(|c| {
            let mut rc = vec![
                text("Action", c.action.clone()),
                text("LogicalResourceId", c.logical_id.clone()),
            ];
            rc.extend(
                c.physical_id
                    .as_ref()
                    .map(|p| text("PhysicalResourceId", p.clone())),
            );
            rc.push(text("ResourceType", c.kind.clone()));
            rc.extend(
                c.replacement
                    .as_ref()
                    .map(|r| text("Replacement", r.clone())),
            );
            vec![text("Type", "Resource"), Node::Group("ResourceChange", rc)]
        })
        .collect();
    let mut out = vec![
        text("ChangeSetName", cs.name.clone()),
        text("ChangeSetId", cs.id.clone()),
        text("StackId", stack.id.clone()),
        text("StackName", stack.name.clone()),
    ];
    out.extend(opt("Description", &cs.description));
    out.push(parameters(&cs.parameters, &stack.no_echo));
    out.push(text("CreationTime", time(cs.creation_time_ms)));
    out.push(text("ExecutionStatus", cs.execution_status.clone()));
    out.push(text("Status", cs.status.clone()));
    out.extend(opt("StatusReason", &cs.status_reason));
    out.push(capabilities(&cs.capabilities));
    out.push(Node::List("Changes", changes));
    out
}

/// ListChangeSets' `Summaries` members.
pub(super) fn change_sets(stack: &Stack) -> Vec<Vec<Node>> {
    stack
        .change_sets
        .iter()
        .map(|cs| {
            let mut m = vec![
                text("StackId", stack.id.clone()),
                text("StackName", stack.name.clone()),
                text("ChangeSetId", cs.id.clone()),
                text("ChangeSetName", cs.name.clone()),
                text("ExecutionStatus", cs.execution_status.clone()),
                text("Status", cs.status.clone()),
            ];
            m.extend(opt("StatusReason", &cs.status_reason));
            m.push(text("CreationTime", time(cs.creation_time_ms)));
            m
        })
        .collect()
}

fn stack_member(s: &Stack) -> Vec<Node> {
    let outputs = s
        .outputs
        .iter()
        .map(|o| {
            let mut m = vec![
                text("OutputKey", o.key.clone()),
                text("OutputValue", o.value.clone()),
            ];
            m.extend(opt("Description", &o.description));
            m.extend(opt("ExportName", &o.export_name));
            m
        })
        .collect();
    let tags = s
        .tags
        .iter()
        .map(|(k, v)| vec![text("Key", k.clone()), text("Value", v.clone())])
        .collect();
    let mut m = vec![
        text("StackId", s.id.clone()),
        text("StackName", s.name.clone()),
    ];
    m.extend(opt("Description", &s.description));
    m.push(parameters(&s.parameters, &s.no_echo));
    m.push(text("CreationTime", time(s.creation_time_ms)));
    m.extend(s.last_updated_ms.map(|t| text("LastUpdatedTime", time(t))));
    m.extend(s.deletion_time_ms.map(|t| text("DeletionTime", time(t))));
    m.push(text("StackStatus", s.status.clone()));
    m.extend(opt("StackStatusReason", &s.status_reason));
    m.push(text("DisableRollback", s.disable_rollback.to_string()));
    m.push(Node::List("Outputs", outputs));
    m.push(capabilities(&s.capabilities));
    m.push(Node::List("Tags", tags));
    m.push(Node::Group(
        "DriftInformation",
        vec![text("StackDriftStatus", "NOT_CHECKED")],
    ));
    m
}

pub(super) fn stacks(stacks: &[Stack]) -> Vec<Node> {
    vec![Node::List(
        "Stacks",
        stacks.iter().map(stack_member).collect(),
    )]
}

/// ListStacks' `StackSummaries` members, newest first.
pub(super) fn stack_summaries(stacks: &[Stack], filter: &[String]) -> Vec<Vec<Node>> {
    stacks
        .iter()
        .rev()
        .filter(|s| filter.is_empty() || filter.contains(&s.status))
        .map(|s| {
            let mut m = vec![
                text("StackId", s.id.clone()),
                text("StackName", s.name.clone()),
            ];
            m.extend(opt("TemplateDescription", &s.description));
            m.push(text("CreationTime", time(s.creation_time_ms)));
            m.extend(s.last_updated_ms.map(|t| text("LastUpdatedTime", time(t))));
            m.extend(s.deletion_time_ms.map(|t| text("DeletionTime", time(t))));
            m.push(text("StackStatus", s.status.clone()));
            m.extend(opt("StackStatusReason", &s.status_reason));
            m
        })
        .collect()
}

/// DescribeStackEvents' `StackEvents` members, newest first.
pub(super) fn events(s: &Stack) -> Vec<Vec<Node>> {
    s.events
        .iter()
        .rev()
        .map(|e| {
            let mut m = vec![
                text("StackId", s.id.clone()),
                text("EventId", e.event_id.clone()),
                text("StackName", s.name.clone()),
                text("LogicalResourceId", e.logical_id.clone()),
                text("PhysicalResourceId", e.physical_id.clone()),
                text("ResourceType", e.kind.clone()),
                text("Timestamp", time(e.timestamp_ms)),
                text("ResourceStatus", e.status.clone()),
            ];
            m.extend(opt("ResourceStatusReason", &e.status_reason));
            m
        })
        .collect()
}

fn resource_fields(s: &Stack, r: &StackResource, time_field: &'static str) -> Vec<Node> {
    vec![
        text("StackName", s.name.clone()),
        text("StackId", s.id.clone()),
        text("LogicalResourceId", r.logical_id.clone()),
        text("PhysicalResourceId", r.physical_id.clone()),
        text("ResourceType", r.kind.clone()),
        text(time_field, time(r.timestamp_ms)),
        text("ResourceStatus", r.status.clone()),
    ]
}

pub(super) fn resources(s: &Stack, logical_id: Option<&str>) -> Vec<Node> {
    let chosen = s
        .resources
        .iter()
        .filter(|r| logical_id.is_none_or(|id| r.logical_id == id));
    vec![Node::List(
        "StackResources",
        chosen.map(|r| resource_fields(s, r, "Timestamp")).collect(),
    )]
}

pub(super) fn resource_detail(s: &Stack, logical_id: &str) -> Result<Vec<Node>, CfnError> {
    let r = s.resource(logical_id).ok_or_else(|| {
        CfnError::ValidationError(format!(
            "Resource {logical_id} does not exist for stack {}",
            s.name
        ))
    })?;
    Ok(vec![Node::Group(
        "StackResourceDetail",
        resource_fields(s, r, "LastUpdatedTimestamp"),
    )])
}

/// ListStackResources' `StackResourceSummaries` members.
pub(super) fn resource_summaries(s: &Stack) -> Vec<Vec<Node>> {
    s.resources
        .iter()
        .map(|r| {
            vec![
                text("LogicalResourceId", r.logical_id.clone()),
                text("PhysicalResourceId", r.physical_id.clone()),
                text("ResourceType", r.kind.clone()),
                text("LastUpdatedTimestamp", time(r.timestamp_ms)),
                text("ResourceStatus", r.status.clone()),
            ]
        })
        .collect()
}

pub(super) fn template(s: &Stack) -> Vec<Node> {
    vec![
        text("TemplateBody", s.template_body.clone()),
        Node::Values(
            "StagesAvailable",
            vec!["Original".into(), "Processed".into()],
        ),
    ]
}

/// GetTemplateSummary (`summary`) or ValidateTemplate: the template's parameters,
/// description, the capabilities it needs and its transforms.
pub(super) fn template_summary(body: &str, summary: bool) -> Result<Vec<Node>, CfnError> {
    let raw = crate::cloudformation::template::parse_body(body)?;
    let t = read_template(body)?;
    let params = t
        .parameters
        .iter()
        .map(|(k, d)| {
            let mut m = vec![text("ParameterKey", k.clone())];
            if let Some(default) = d.get("Default") {
                m.push(text(
                    "DefaultValue",
                    default
                        .as_str()
                        .map_or_else(|| default.to_string(), str::to_string),
                ));
            }
            if summary {
                m.push(text(
                    "ParameterType",
                    d.get("Type").and_then(Value::as_str).unwrap_or("String"),
                ));
            }
            let no_echo = d.get("NoEcho").is_some_and(|v| v == true || v == "true");
            m.push(text("NoEcho", no_echo.to_string()));
            if let Some(desc) = d.get("Description").and_then(Value::as_str) {
                m.push(text("Description", desc));
            }
            m
        })
        .collect();
    let mut out = vec![Node::List("Parameters", params)];
    out.extend(opt("Description", &t.description));
    if t.resources.iter().any(|r| r.kind.starts_with("AWS::IAM::")) {
        out.push(capabilities(&["CAPABILITY_IAM".to_string()]));
        out.push(text(
            "CapabilitiesReason",
            "The following resource(s) require capabilities: [AWS::IAM::Role]",
        ));
    }
    if summary {
        let mut kinds: Vec<String> = t.resources.iter().map(|r| r.kind.clone()).collect();
        kinds.dedup();
        out.push(Node::Values("ResourceTypes", kinds));
        out.push(text("Version", "2010-09-09"));
    }
    let transforms = crate::cloudformation::template::transforms_of(&raw);
    out.push(Node::Values("DeclaredTransforms", transforms));
    Ok(out)
}
