//! Control-plane operations on static thing groups and their membership.

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{empty, epoch, AwsJson, AwsPath, AwsQuery};
use super::things::{page, put_opt, PageQuery, VersionQuery};
use crate::registry::thing_group::ThingGroupProperties;
use crate::registry::thing_group_members::{MembershipInput, UpdateGroupsForThingInput};
use crate::registry::{IotError, Registry};
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/thing-groups", get(list_thing_groups))
        .route(
            "/thing-groups/{thingGroupName}",
            get(describe_thing_group)
                .post(create_thing_group)
                .patch(update_thing_group)
                .delete(delete_thing_group),
        )
        .route(
            "/thing-groups/{thingGroupName}/things",
            get(list_things_in_thing_group),
        )
        .route(
            "/thing-groups/addThingToThingGroup",
            put(add_thing_to_thing_group),
        )
        .route(
            "/thing-groups/removeThingFromThingGroup",
            put(remove_thing_from_thing_group),
        )
        .route(
            "/thing-groups/updateThingGroupsForThing",
            put(update_thing_groups_for_thing),
        )
        .route(
            "/things/{thingName}/thing-groups",
            get(list_thing_groups_for_thing),
        )
}

/// The `GroupNameAndArn` shape.
fn name_and_arn(registry: &Registry, name: &str) -> Value {
    json!({ "groupName": name, "groupArn": registry.account().thing_group_arn(name) })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateThingGroupBody {
    parent_group_name: Option<String>,
    thing_group_properties: Option<ThingGroupProperties>,
    tags: Option<Vec<super::tags::Tag>>,
}

async fn create_thing_group(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(body): AwsJson<CreateThingGroupBody>,
) -> ApiResult<Json<Value>> {
    let tags = super::tags::pairs(body.tags)?;
    let g = emu.registry.create_thing_group(
        &name,
        body.parent_group_name.as_deref(),
        body.thing_group_properties,
    )?;
    let arn = emu.registry.account().thing_group_arn(&g.thing_group_name);
    super::tags::store(&emu, &arn, tags)?;
    Ok(Json(json!({
        "thingGroupName": g.thing_group_name,
        "thingGroupArn": arn,
        "thingGroupId": g.thing_group_id,
    })))
}

async fn describe_thing_group(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let r = &emu.registry;
    let g = r.describe_thing_group(&name)?;
    let mut metadata = json!({ "creationDate": epoch(g.creation_date_ms) });
    if let Some(parent) = &g.parent_group_name {
        let mut chain = r.thing_group_ancestors(parent);
        chain.reverse();
        let chain: Vec<Value> = chain.iter().map(|n| name_and_arn(r, n)).collect();
        put_opt(&mut metadata, "parentGroupName", Some(parent.as_str()));
        put_opt(&mut metadata, "rootToParentThingGroups", Some(chain));
    }
    Ok(Json(json!({
        "thingGroupName": g.thing_group_name,
        "thingGroupId": g.thing_group_id,
        "thingGroupArn": r.account().thing_group_arn(&g.thing_group_name),
        "version": g.version,
        "thingGroupProperties": g.properties,
        "thingGroupMetadata": metadata,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateThingGroupBody {
    thing_group_properties: Option<ThingGroupProperties>,
    expected_version: Option<i64>,
}

async fn update_thing_group(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(body): AwsJson<UpdateThingGroupBody>,
) -> ApiResult<Json<Value>> {
    let props = body.thing_group_properties.ok_or_else(|| {
        IotError::invalid("1 validation error detected: Value null at 'thingGroupProperties' failed to satisfy constraint: Member must not be null")
    })?;
    let version = emu
        .registry
        .update_thing_group(&name, &props, body.expected_version)?;
    Ok(Json(json!({ "version": version })))
}

async fn delete_thing_group(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<VersionQuery>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_thing_group(&name, q.expected_version)?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListThingGroupsQuery {
    next_token: Option<String>,
    max_results: Option<u32>,
    parent_group: Option<String>,
    name_prefix_filter: Option<String>,
    recursive: Option<bool>,
}

async fn list_thing_groups(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListThingGroupsQuery>,
) -> ApiResult<Json<Value>> {
    let r = &emu.registry;
    let groups = r.list_thing_groups(
        q.parent_group.as_deref(),
        q.name_prefix_filter.as_deref(),
        q.recursive,
    )?;
    page(
        "thingGroups",
        groups,
        q.next_token.as_deref(),
        q.max_results,
        |g| name_and_arn(r, &g.thing_group_name),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThingsInGroupQuery {
    next_token: Option<String>,
    max_results: Option<u32>,
    recursive: Option<bool>,
}

async fn list_things_in_thing_group(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<ThingsInGroupQuery>,
) -> ApiResult<Json<Value>> {
    let recursive = q.recursive.unwrap_or(false);
    let things = emu.registry.list_things_in_thing_group(&name, recursive)?;
    page(
        "things",
        things,
        q.next_token.as_deref(),
        q.max_results,
        |t| json!(t),
    )
}

async fn add_thing_to_thing_group(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<MembershipInput>,
) -> ApiResult<Json<Value>> {
    emu.registry.add_thing_to_thing_group(&body)?;
    Ok(empty())
}

async fn remove_thing_from_thing_group(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<MembershipInput>,
) -> ApiResult<Json<Value>> {
    emu.registry.remove_thing_from_thing_group(&body)?;
    Ok(empty())
}

async fn update_thing_groups_for_thing(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<UpdateGroupsForThingInput>,
) -> ApiResult<Json<Value>> {
    emu.registry.update_thing_groups_for_thing(&body)?;
    Ok(empty())
}

async fn list_thing_groups_for_thing(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let r = &emu.registry;
    let groups = r.list_thing_groups_for_thing(&name)?;
    page(
        "thingGroups",
        groups,
        q.next_token.as_deref(),
        q.max_results,
        |g| name_and_arn(r, &g),
    )
}
