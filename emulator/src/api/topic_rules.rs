//! Control-plane operations on topic rules and topic rule destinations.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult};
use super::extract::{empty, epoch, page_reply, paginate_by, AwsJson, AwsPath, AwsQuery};
use crate::registry::topic_rule::{DestinationStatus, TopicRule, TopicRuleDestination};
use crate::registry::IotError;
use crate::rules::Payload;
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/rules", get(list_topic_rules))
        .route(
            "/rules/{ruleName}",
            post(create_topic_rule)
                .get(get_topic_rule)
                .patch(replace_topic_rule)
                .delete(delete_topic_rule),
        )
        .route("/rules/{ruleName}/enable", post(enable_topic_rule))
        .route("/rules/{ruleName}/disable", post(disable_topic_rule))
        .route("/confirmdestination/{*token}", get(confirm_destination))
        .route(
            "/destinations",
            post(create_destination)
                .get(list_destinations)
                .patch(update_destination),
        )
        .route(
            "/destinations/{*arn}",
            get(get_destination).delete(delete_destination),
        )
}

/// `x-amz-tagging: k=v&k2=v2`.
fn tags(headers: &HeaderMap) -> Vec<(String, String)> {
    let raw = headers.get("x-amz-tagging").and_then(|v| v.to_str().ok());
    raw.map(|r| form_urlencoded::parse(r.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

async fn create_topic_rule(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    headers: HeaderMap,
    AwsJson(payload): AwsJson<Payload>,
) -> ApiResult<Json<Value>> {
    let tags = tags(&headers);
    crate::registry::tags::check(&tags)?;
    let made = crate::rules::create(&emu.registry, &name, payload, tags.clone())?;
    send_confirmations(&emu, made);
    super::tags::store(&emu, &emu.registry.account().rule_arn(&name), tags)?;
    Ok(empty())
}

async fn replace_topic_rule(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(payload): AwsJson<Payload>,
) -> ApiResult<Json<Value>> {
    let made = crate::rules::replace(&emu.registry, &name, payload)?;
    send_confirmations(&emu, made);
    Ok(empty())
}

fn rule_json(r: &TopicRule) -> Value {
    let mut rule = json!({
        "ruleName": r.rule_name,
        "sql": r.sql,
        "createdAt": epoch(r.created_at_ms),
        "actions": r.actions,
        "ruleDisabled": r.rule_disabled,
        "awsIotSqlVersion": r.aws_iot_sql_version,
    });
    if let Some(d) = &r.description {
        rule["description"] = json!(d);
    }
    if let Some(e) = &r.error_action {
        rule["errorAction"] = e.clone();
    }
    rule
}

async fn get_topic_rule(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let rule = emu.registry.get_topic_rule(&name)?;
    Ok(Json(json!({
        "ruleArn": emu.registry.account().rule_arn(&name),
        "rule": rule_json(&rule),
    })))
}

async fn delete_topic_rule(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_topic_rule(&name)?;
    Ok(empty())
}

async fn enable_topic_rule(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.set_topic_rule_disabled(&name, false)?;
    Ok(empty())
}

async fn disable_topic_rule(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.set_topic_rule_disabled(&name, true)?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRulesQuery {
    topic: Option<String>,
    max_results: Option<u32>,
    next_token: Option<String>,
    rule_disabled: Option<bool>,
}

/// ListTopicRules: `maxResults` is 1..=10000 in the model; one page holds at most
/// [`super::extract::UNDOCUMENTED_PAGE`] rules (AWS may return fewer than asked).
async fn list_topic_rules(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListRulesQuery>,
) -> ApiResult<Json<Value>> {
    let max = check_max(q.max_results, 10_000)?;
    let account = emu.registry.account().clone();
    let items: Vec<Value> = emu
        .registry
        .topic_rules()
        .into_iter()
        .filter(|r| q.topic.is_none() || r.topic_pattern == q.topic)
        .filter(|r| q.rule_disabled.is_none_or(|d| r.rule_disabled == d))
        .map(|r| {
            json!({
                "ruleArn": account.rule_arn(&r.rule_name),
                "ruleName": r.rule_name,
                "topicPattern": r.topic_pattern,
                "createdAt": epoch(r.created_at_ms),
                "ruleDisabled": r.rule_disabled,
            })
        })
        .collect();
    let (page, next) = paginate_by(items, q.next_token.as_deref(), max, 250)?;
    Ok(page_reply("rules", page, "nextToken", next))
}

/// A model bound on `maxResults`, then the largest page the paginator serves.
fn check_max(max: Option<u32>, bound: u32) -> ApiResult<Option<u32>> {
    match max {
        Some(m) if !(1..=bound).contains(&m) => Err(ApiError(IotError::invalid(format!(
            "1 validation error detected: Value '{m}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and {bound}"
        )))),
        other => Ok(other.map(|m| m.min(250))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateDestinationBody {
    destination_configuration: Option<DestinationConfiguration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DestinationConfiguration {
    http_url_configuration: Option<HttpUrlConfiguration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpUrlConfiguration {
    confirmation_url: Option<String>,
}

fn destination_json(d: &TopicRuleDestination) -> Value {
    json!({
        "arn": d.arn,
        "status": d.status.as_str(),
        "statusReason": d.status_reason,
        "createdAt": epoch(d.created_at_ms),
        "lastUpdatedAt": epoch(d.last_updated_at_ms),
        "httpUrlProperties": {"confirmationUrl": d.confirmation_url},
    })
}

async fn create_destination(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<CreateDestinationBody>,
) -> ApiResult<Json<Value>> {
    let url = body
        .destination_configuration
        .and_then(|c| c.http_url_configuration)
        .and_then(|h| h.confirmation_url)
        .ok_or_else(|| {
            // VPC and InfluxDB destinations are refused: only HTTP ones exist locally.
            IotError::invalid("iot-emulator supports only httpUrlConfiguration destinations")
        })?;
    let d = emu.registry.create_topic_rule_destination(&url)?;
    send_confirmations(&emu, vec![d.clone()]);
    Ok(Json(
        json!({ "topicRuleDestination": destination_json(&d) }),
    ))
}

async fn get_destination(
    State(emu): State<Emulator>,
    AwsPath(arn): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let d = emu.registry.get_topic_rule_destination(&arn)?;
    Ok(Json(
        json!({ "topicRuleDestination": destination_json(&d) }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListDestinationsQuery {
    max_results: Option<u32>,
    next_token: Option<String>,
}

async fn list_destinations(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListDestinationsQuery>,
) -> ApiResult<Json<Value>> {
    let max = check_max(q.max_results, 1000)?;
    let items: Vec<Value> = emu
        .registry
        .topic_rule_destinations()
        .iter()
        .map(|d| {
            json!({
                "arn": d.arn,
                "status": d.status.as_str(),
                "statusReason": d.status_reason,
                "createdAt": epoch(d.created_at_ms),
                "lastUpdatedAt": epoch(d.last_updated_at_ms),
                "httpUrlSummary": {"confirmationUrl": d.confirmation_url},
            })
        })
        .collect();
    let (page, next) = paginate_by(items, q.next_token.as_deref(), max, 250)?;
    Ok(page_reply("destinationSummaries", page, "nextToken", next))
}

#[derive(Deserialize)]
struct UpdateDestinationBody {
    arn: Option<String>,
    status: Option<DestinationStatus>,
}

async fn update_destination(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<UpdateDestinationBody>,
) -> ApiResult<Json<Value>> {
    let (Some(arn), Some(status)) = (body.arn, body.status) else {
        return Err(IotError::invalid("arn and status are required").into());
    };
    let resend = emu.registry.update_topic_rule_destination(&arn, status)?;
    send_confirmations(&emu, resend.into_iter().collect());
    Ok(empty())
}

/// ConfirmTopicRuleDestination, and the `enableUrl` of a confirmation message (the same
/// route, unsigned).
async fn confirm_destination(
    State(emu): State<Emulator>,
    AwsPath(token): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.confirm_topic_rule_destination(&token)?;
    Ok(empty())
}

/// Sends new or re-confirming destinations their confirmation message.
fn send_confirmations(emu: &Emulator, destinations: Vec<TopicRuleDestination>) {
    if destinations.is_empty() {
        return;
    }
    let api_url = emu.lambda.api_url().unwrap_or_default();
    crate::rules::confirmation::send(&emu.registry, destinations, &api_url);
}

async fn delete_destination(
    State(emu): State<Emulator>,
    AwsPath(arn): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_topic_rule_destination(&arn)?;
    Ok(empty())
}
