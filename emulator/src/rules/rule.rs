//! A rule's definition as the control plane receives it (`TopicRulePayload`), checked and
//! compiled: the SQL parsed, every executed action's templates parsed, so that
//! CreateTopicRule and ReplaceTopicRule refuse what could never run.

use serde::Deserialize;
use serde_json::Value;

use super::action::{self, Action};
use super::filter;
use super::sql::{SqlVersion, Statement};
use crate::registry::topic_rule::{TopicRule, TopicRuleDestination};
use crate::registry::{ErrorKind, IotError, IotResult, Registry};

/// AWS: at most 10 actions per rule.
pub const MAX_ACTIONS: usize = 10;

/// `TopicRulePayload`, the body of CreateTopicRule and ReplaceTopicRule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub sql: Option<String>,
    pub description: Option<String>,
    pub actions: Option<Vec<Value>>,
    pub rule_disabled: Option<bool>,
    pub aws_iot_sql_version: Option<String>,
    pub error_action: Option<Value>,
}

/// A rule ready to run against routed messages.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub name: String,
    pub statement: Statement,
    pub actions: Vec<Action>,
    pub error_action: Option<Action>,
    pub disabled: bool,
}

impl Compiled {
    /// Whether an ordinary (not Basic Ingest) message on `topic` reaches this rule.
    pub fn selects(&self, topic: &str) -> bool {
        !self.disabled
            && self
                .statement
                .topic_filter()
                .is_some_and(|f| filter::matches(f, topic))
    }
}

fn null(field: &str) -> IotError {
    IotError::invalid(format!(
        "1 validation error detected: Value null at 'topicRulePayload.{field}' failed to satisfy constraint: Member must not be null"
    ))
}

fn version_of(field: Option<&str>) -> IotResult<SqlVersion> {
    match field {
        None => Ok(SqlVersion::default()),
        Some(v) => SqlVersion::from_field(v).ok_or_else(|| {
            IotError::invalid(format!(
                "awsIotSqlVersion must be 2015-10-08, 2016-03-23 or beta, not {v}"
            ))
        }),
    }
}

/// Compiles a stored rule (also how a definition is checked before it is stored).
pub fn compile(rule: &TopicRule) -> IotResult<Compiled> {
    let version = version_of(Some(&rule.aws_iot_sql_version))?;
    let statement = Statement::parse(&rule.sql, version)
        .map_err(|e| IotError::new(ErrorKind::SqlParse, e.message))?;
    let actions = rule
        .actions
        .iter()
        .map(|a| action::compile(a, version))
        .collect::<IotResult<Vec<_>>>()?;
    let error_action = rule
        .error_action
        .as_ref()
        .map(|a| action::compile(a, version))
        .transpose()?;
    Ok(Compiled {
        name: rule.rule_name.clone(),
        statement,
        actions,
        error_action,
        disabled: rule.rule_disabled,
    })
}

/// Checks `payload` and turns it into the record the registry keeps.
pub fn definition(
    registry: &Registry,
    name: &str,
    payload: Payload,
    tags: Vec<(String, String)>,
) -> IotResult<TopicRule> {
    let sql = payload.sql.ok_or_else(|| null("sql"))?;
    let actions = payload.actions.ok_or_else(|| null("actions"))?;
    if actions.len() > MAX_ACTIONS {
        return Err(IotError::invalid(format!(
            "1 validation error detected: Value at 'topicRulePayload.actions' failed to satisfy constraint: Member must have length less than or equal to {MAX_ACTIONS}"
        )));
    }
    let version = version_of(payload.aws_iot_sql_version.as_deref())?;
    let mut rule = TopicRule {
        rule_name: name.to_string(),
        sql,
        description: payload.description,
        created_at_ms: registry.clock().now_ms(),
        actions,
        error_action: payload.error_action,
        rule_disabled: payload.rule_disabled.unwrap_or(false),
        aws_iot_sql_version: version.as_field().to_string(),
        topic_pattern: None,
        tags,
    };
    let compiled = compile(&rule)?;
    rule.topic_pattern = compiled.statement.topic_filter().map(str::to_string);
    Ok(rule)
}

/// CreateTopicRule. Returns the destinations made for its http actions, to be sent
/// their confirmation ([`super::confirmation::send`]).
pub fn create(
    registry: &Registry,
    name: &str,
    payload: Payload,
    tags: Vec<(String, String)>,
) -> IotResult<Vec<TopicRuleDestination>> {
    crate::registry::topic_rule::check_rule_name(name)?;
    let rule = definition(registry, name, payload, tags)?;
    let urls = confirmation_urls(&rule);
    registry.create_topic_rule(rule)?;
    ensure_destinations(registry, urls)
}

/// ReplaceTopicRule; returns the destinations made, as [`create`] does.
pub fn replace(
    registry: &Registry,
    name: &str,
    payload: Payload,
) -> IotResult<Vec<TopicRuleDestination>> {
    crate::registry::topic_rule::check_rule_name(name)?;
    let rule = definition(registry, name, payload, Vec::new())?;
    let urls = confirmation_urls(&rule);
    registry.replace_topic_rule(rule)?;
    ensure_destinations(registry, urls)
}

/// The confirmation URL of each http action (its `confirmationUrl`, else its `url`),
/// unless it holds a substitution template: those destinations are the user's to make.
fn confirmation_urls(rule: &TopicRule) -> Vec<String> {
    let actions = rule.actions.iter().chain(rule.error_action.as_ref());
    let mut urls: Vec<String> = actions
        .filter_map(|a| a.get("http"))
        .filter_map(|h| h.get("confirmationUrl").or_else(|| h.get("url")))
        .filter_map(Value::as_str)
        .filter(|u| !u.contains("${"))
        .map(str::to_string)
        .collect();
    urls.dedup();
    urls
}

fn ensure_destinations(
    registry: &Registry,
    urls: Vec<String>,
) -> IotResult<Vec<TopicRuleDestination>> {
    let mut made = Vec::new();
    for url in urls {
        made.extend(registry.ensure_topic_rule_destination(&url)?);
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(sql: &str, actions: Value) -> Payload {
        serde_json::from_value(json!({"sql": sql, "actions": actions})).unwrap()
    }

    #[test]
    fn definitions_are_checked_before_they_are_stored() {
        let reg = crate::registry::testing::registry_at(7000);
        let republish =
            json!([{"republish": {"topic": "out", "roleArn": "arn:aws:iam::1:role/r"}}]);
        create(
            &reg,
            "r1",
            payload("SELECT * FROM 'a/+'", republish.clone()),
            vec![],
        )
        .unwrap();
        let got = reg.get_topic_rule("r1").unwrap();
        assert_eq!(got.topic_pattern.as_deref(), Some("a/+"));
        assert_eq!(got.aws_iot_sql_version, "2015-10-08");
        assert_eq!(got.created_at_ms, 7000);
        let bad = create(
            &reg,
            "r2",
            payload("SELEKT nothing", republish.clone()),
            vec![],
        );
        assert_eq!(bad.unwrap_err().kind, ErrorKind::SqlParse);
        let no_actions = serde_json::from_value(json!({"sql": "SELECT * FROM 'a'"})).unwrap();
        let e = create(&reg, "r3", no_actions, vec![]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        let e = replace(&reg, "missing", payload("SELECT * FROM 'a'", json!([]))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        assert!(reg.get_topic_rule("r2").is_err());
    }
}
