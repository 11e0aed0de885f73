//! CloudFormation on the query protocol (`Version=2010-05-15`): each operation the
//! engine has, its request fields read from the form and its reply written as XML.

mod reply;

use std::collections::BTreeMap;

use super::form::QueryRequest;
use super::xml::Node;
use super::{QueryError, Reply};
use crate::cloudformation::{CloudFormation, StackRequest};
use crate::s3::S3;

/// CloudFormation's XML namespace.
pub(super) const NAMESPACE: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

/// What the CloudFormation front end serves with.
#[derive(Clone, Debug)]
pub struct CfnFront {
    pub engine: CloudFormation,
    /// Where `TemplateURL`s point.
    pub s3: S3,
}

/// Answers one CloudFormation action (blocking: stacks run to completion).
pub(super) fn dispatch(front: &CfnFront, q: &QueryRequest) -> Result<Reply, QueryError> {
    let cf = &front.engine;
    let stack = || q.param("StackName").unwrap_or("");
    let done = |action: &'static str, result| {
        Ok(Reply {
            action,
            namespace: NAMESPACE,
            result,
        })
    };
    match q.action.as_str() {
        "CreateChangeSet" => {
            let (id, stack_id) = cf.create_change_set(&request(front, q)?)?;
            done("CreateChangeSet", reply::ids(&id, &stack_id))
        }
        "DescribeChangeSet" => {
            let (s, cs) =
                cf.change_set(q.param("StackName"), q.param("ChangeSetName").unwrap_or(""))?;
            done("DescribeChangeSet", reply::change_set(&s, &cs))
        }
        "ExecuteChangeSet" => {
            let disable = q.param("DisableRollback") == Some("true");
            cf.execute_change_set(
                q.param("StackName"),
                q.param("ChangeSetName").unwrap_or(""),
                disable,
            )?;
            done("ExecuteChangeSet", Vec::new())
        }
        "DeleteChangeSet" => {
            cf.delete_change_set(q.param("StackName"), q.param("ChangeSetName").unwrap_or(""))?;
            done("DeleteChangeSet", Vec::new())
        }
        "ListChangeSets" => {
            let members = reply::change_sets(&cf.find(stack())?);
            done("ListChangeSets", page("Summaries", members, q)?)
        }
        "CreateStack" => done(
            "CreateStack",
            reply::stack_id(&cf.create_stack(&request(front, q)?)?),
        ),
        "UpdateStack" => done(
            "UpdateStack",
            reply::stack_id(&cf.update_stack(&request(front, q)?)?),
        ),
        "DeleteStack" => {
            cf.delete_stack(stack())?;
            done("DeleteStack", Vec::new())
        }
        "DescribeStacks" => {
            let stacks = match q.param("StackName") {
                Some(name) => vec![cf.find(name)?],
                None => cf.stacks().into_iter().filter(|s| s.is_live()).collect(),
            };
            done("DescribeStacks", reply::stacks(&stacks))
        }
        "ListStacks" => {
            let filter = members(q, "StackStatusFilter");
            let summaries = reply::stack_summaries(&cf.stacks(), &filter);
            done("ListStacks", page("StackSummaries", summaries, q)?)
        }
        "DescribeStackEvents" => {
            let events = reply::events(&cf.find(stack())?);
            done("DescribeStackEvents", page("StackEvents", events, q)?)
        }
        "DescribeStackResources" => {
            let s = cf.find(stack())?;
            done(
                "DescribeStackResources",
                reply::resources(&s, q.param("LogicalResourceId")),
            )
        }
        "DescribeStackResource" => {
            let s = cf.find(stack())?;
            done(
                "DescribeStackResource",
                reply::resource_detail(&s, q.param("LogicalResourceId").unwrap_or(""))?,
            )
        }
        "ListStackResources" => {
            let summaries = reply::resource_summaries(&cf.find(stack())?);
            done(
                "ListStackResources",
                page("StackResourceSummaries", summaries, q)?,
            )
        }
        "GetTemplate" => done("GetTemplate", reply::template(&cf.find(stack())?)),
        "GetTemplateSummary" => {
            let body = match q.param("StackName") {
                Some(name) if template_body(front, q)?.is_none() => cf.find(name)?.template_body,
                _ => template_body(front, q)?.unwrap_or_default(),
            };
            done("GetTemplateSummary", reply::template_summary(&body, true)?)
        }
        "ValidateTemplate" => {
            let body = template_body(front, q)?.unwrap_or_default();
            done("ValidateTemplate", reply::template_summary(&body, false)?)
        }
        action => Err(QueryError::NotImplemented {
            service: "cloudformation".into(),
            action: action.into(),
        }),
    }
}

/// A choice: AWS documents no page size for these lists; the emulator pages them by 100.
const PAGE: usize = 100;

/// One page of a list reply's members under `name`, with `NextToken` when more remain.
/// Tokens are opaque to callers: base64 of the offset.
fn page(
    name: &'static str,
    members: Vec<Vec<Node>>,
    q: &QueryRequest,
) -> Result<Vec<Node>, QueryError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let start = match q.param("NextToken") {
        None | Some("") => 0,
        Some(token) => b64
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| t.strip_prefix("offset:")?.parse().ok())
            .ok_or_else(|| {
                // A choice: AWS's wording for a bad token is not documented.
                crate::cloudformation::CfnError::ValidationError(format!(
                    "Invalid NextToken: {token}"
                ))
            })?,
    };
    let total = members.len();
    let end = (start + PAGE).min(total);
    let chosen: Vec<Vec<Node>> = members
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    let mut out = vec![Node::List(name, chosen)];
    if end < total {
        out.push(Node::Text("NextToken", b64.encode(format!("offset:{end}"))));
    }
    Ok(out)
}

/// The values of a `<Name>.member.N` list, in order.
fn members(q: &QueryRequest, name: &str) -> Vec<String> {
    let prefix = format!("{name}.member.");
    let mut found: Vec<(usize, String)> = q
        .params
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(&prefix)?
                .parse()
                .ok()
                .map(|n: usize| (n, v.clone()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, v)| v).collect()
}

/// The fields of each `<Name>.member.N.<Field>` structure, by N.
fn member_structs(q: &QueryRequest, name: &str) -> Vec<BTreeMap<String, String>> {
    let prefix = format!("{name}.member.");
    let mut by_index: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for (k, v) in &q.params {
        let Some((n, field)) = k
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_once('.'))
        else {
            continue;
        };
        if let Ok(n) = n.parse::<usize>() {
            by_index
                .entry(n)
                .or_default()
                .insert(field.to_string(), v.clone());
        }
    }
    by_index.into_values().collect()
}

fn request(front: &CfnFront, q: &QueryRequest) -> Result<StackRequest, QueryError> {
    let parameters = member_structs(q, "Parameters")
        .into_iter()
        .filter_map(|m| {
            let key = m.get("ParameterKey")?.clone();
            let previous = m.get("UsePreviousValue").is_some_and(|v| v == "true");
            Some((
                key,
                if previous {
                    None
                } else {
                    m.get("ParameterValue").cloned()
                },
            ))
        })
        .collect();
    let tags = member_structs(q, "Tags")
        .into_iter()
        .filter_map(|m| {
            Some((
                m.get("Key")?.clone(),
                m.get("Value").cloned().unwrap_or_default(),
            ))
        })
        .collect();
    Ok(StackRequest {
        stack_name: q.param("StackName").unwrap_or("").to_string(),
        template_body: template_body(front, q)?,
        use_previous_template: q.param("UsePreviousTemplate") == Some("true"),
        parameters,
        capabilities: members(q, "Capabilities"),
        tags,
        disable_rollback: q.param("DisableRollback") == Some("true")
            || q.param("OnFailure") == Some("DO_NOTHING"),
        change_set_name: q.param("ChangeSetName").map(str::to_string),
        change_set_type: q.param("ChangeSetType").map(str::to_string),
        description: q.param("Description").map(str::to_string),
    })
}

/// `TemplateBody`, or the object a `TemplateURL` names in the S3 stand-in.
fn template_body(front: &CfnFront, q: &QueryRequest) -> Result<Option<String>, QueryError> {
    if let Some(body) = q.param("TemplateBody") {
        return Ok(Some(body.to_string()));
    }
    let Some(url) = q.param("TemplateURL") else {
        return Ok(None);
    };
    let invalid = || {
        crate::cloudformation::CfnError::ValidationError(format!(
            "TemplateURL must be a supported URL: {url}"
        ))
    };
    let (bucket, key) = s3_location(url).ok_or_else(invalid)?;
    let (_, bytes) = front.s3.get_object(&bucket, &key).map_err(|_| {
        crate::cloudformation::CfnError::ValidationError(format!(
            "S3 error: Access Denied for {url}"
        ))
    })?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Bucket and key of an S3 URL: virtual-hosted (`https://b.s3.<region>.amazonaws.com/k`)
/// or path-style (`https://s3.amazonaws.com/b/k`, `http://127.0.0.1:4566/b/k`).
fn s3_location(url: &str) -> Option<(String, String)> {
    let rest = url.split_once("://")?.1;
    let (host, path) = rest.split_once('/')?;
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?
        .into_owned();
    if let Some((bucket, _)) = host.split_once(".s3") {
        return Some((bucket.to_string(), path));
    }
    let (bucket, key) = path.split_once('/')?;
    Some((bucket.to_string(), key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_urls_name_a_bucket_and_key() {
        let loc = |u: &str| s3_location(u).map(|(b, k)| format!("{b}|{k}"));
        assert_eq!(
            loc("https://b.s3.us-east-1.amazonaws.com/dir/t.yml").unwrap(),
            "b|dir/t.yml"
        );
        assert_eq!(loc("https://s3.amazonaws.com/b/t.yml").unwrap(), "b|t.yml");
        assert_eq!(
            loc("http://127.0.0.1:4566/b/a%20b.yml").unwrap(),
            "b|a b.yml"
        );
        assert!(loc("not a url").is_none());
    }
}
