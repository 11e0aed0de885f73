//! Control-plane tagging: TagResource, UntagResource and ListTagsForResource, and the
//! `tags` member the Create operations share (checked before the create, stored after).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{empty, page_reply, paginate, AwsJson, AwsQuery};
use crate::registry::{tags, IotError};
use crate::state::Emulator;

/// Routes of tagging.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/tags", get(list_tags_for_resource).post(tag_resource))
        .route("/untag", post(untag_resource))
}

/// The `Tag` shape: `{"Key", "Value"}` (Value optional).
#[derive(Debug, Clone, Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

/// `(key, value)` pairs of a `tags` list, checked.
pub fn pairs(tags: Option<Vec<Tag>>) -> ApiResult<Vec<(String, String)>> {
    let pairs: Vec<(String, String)> = tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value.unwrap_or_default()))
        .collect();
    tags::check(&pairs)?;
    Ok(pairs)
}

/// Stores a just-created resource's tags.
pub fn store(emu: &Emulator, arn: &str, tags: Vec<(String, String)>) -> ApiResult<()> {
    if !tags.is_empty() {
        emu.registry.tag_resource(arn, tags)?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagBody {
    resource_arn: Option<String>,
    tags: Option<Vec<Tag>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagBody {
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    resource_arn: Option<String>,
    next_token: Option<String>,
}

fn required<T>(value: Option<T>, member: &str) -> ApiResult<T> {
    value.ok_or_else(|| {
        IotError::invalid(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
        .into()
    })
}

async fn tag_resource(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<TagBody>,
) -> ApiResult<Json<Value>> {
    let arn = required(body.resource_arn, "resourceArn")?;
    let tags = pairs(Some(required(body.tags, "tags")?))?;
    emu.registry.tag_resource(&arn, tags)?;
    Ok(empty())
}

async fn untag_resource(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<UntagBody>,
) -> ApiResult<Json<Value>> {
    let arn = required(body.resource_arn, "resourceArn")?;
    let keys = required(body.tag_keys, "tagKeys")?;
    emu.registry.untag_resource(&arn, &keys)?;
    Ok(empty())
}

async fn list_tags_for_resource(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let arn = required(q.resource_arn, "resourceArn")?;
    let tags: Vec<Value> = emu
        .registry
        .list_tags_for_resource(&arn)?
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    // ListTagsForResource has no page size member; pages are the emulator's default.
    let (page, next) = paginate(tags, q.next_token.as_deref(), None)?;
    Ok(page_reply("tags", page, "nextToken", next))
}
