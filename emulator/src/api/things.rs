//! Control-plane operations on things and their principals.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{empty, page_reply, paginate, required_header, AwsJson, AwsPath, AwsQuery};
use crate::registry::thing::Thing;
use crate::registry::thing_ops::{CreateThingInput, ListThingsFilter, UpdateThingInput};
use crate::registry::Registry;
use crate::state::Emulator;

/// The header AttachThingPrincipal and friends carry the principal in.
const PRINCIPAL_HEADER: &str = "x-amzn-principal";

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/things", get(list_things))
        .route(
            "/things/{thingName}",
            get(describe_thing)
                .post(create_thing)
                .patch(update_thing)
                .delete(delete_thing),
        )
        .route(
            "/things/{thingName}/principals",
            get(list_thing_principals)
                .put(attach_thing_principal)
                .delete(detach_thing_principal),
        )
        .route(
            "/things/{thingName}/principals-v2",
            get(list_thing_principals_v2),
        )
        .route("/principals/things", get(list_principal_things))
        .route("/principals/things-v2", get(list_principal_things_v2))
}

/// `nextToken` / `maxResults`, with an optional `thingPrincipalType` filter.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageQuery {
    pub next_token: Option<String>,
    pub max_results: Option<u32>,
    pub thing_principal_type: Option<String>,
}

/// One page of `items` as `{ <key>: [...], "nextToken": ... }`.
pub(crate) fn page<T>(
    key: &str,
    items: Vec<T>,
    token: Option<&str>,
    max: Option<u32>,
    render: impl Fn(T) -> Value,
) -> ApiResult<Json<Value>> {
    let (items, next) = paginate(items, token, max)?;
    let items: Vec<Value> = items.into_iter().map(render).collect();
    Ok(page_reply(key, items, "nextToken", next))
}

/// Inserts `value` under `key` when present.
pub(crate) fn put_opt(body: &mut Value, key: &str, value: Option<impl Into<Value>>) {
    if let (Some(v), Some(map)) = (value, body.as_object_mut()) {
        map.insert(key.into(), v.into());
    }
}

/// The `ThingAttribute` shape.
fn thing_attribute(registry: &Registry, t: Thing) -> Value {
    let mut v = json!({
        "thingName": t.thing_name,
        "thingArn": registry.account().thing_arn(&t.thing_name),
        "attributes": t.attributes,
        "version": t.version,
    });
    put_opt(&mut v, "thingTypeName", t.thing_type_name);
    v
}

async fn create_thing(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(input): AwsJson<CreateThingInput>,
) -> ApiResult<Json<Value>> {
    let t = emu.registry.create_thing(&name, input)?;
    Ok(Json(json!({
        "thingName": t.thing_name,
        "thingArn": emu.registry.account().thing_arn(&t.thing_name),
        "thingId": t.thing_id,
    })))
}

async fn describe_thing(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let t = emu.registry.describe_thing(&name)?;
    let mut v = json!({
        "defaultClientId": t.thing_name,
        "thingName": t.thing_name,
        "thingId": t.thing_id,
        "thingArn": emu.registry.account().thing_arn(&t.thing_name),
        "attributes": t.attributes,
        "version": t.version,
    });
    put_opt(&mut v, "thingTypeName", t.thing_type_name);
    put_opt(&mut v, "billingGroupName", t.billing_group_name);
    Ok(Json(v))
}

async fn update_thing(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(input): AwsJson<UpdateThingInput>,
) -> ApiResult<Json<Value>> {
    emu.registry.update_thing(&name, input)?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VersionQuery {
    pub expected_version: Option<i64>,
}

async fn delete_thing(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<VersionQuery>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_thing(&name, q.expected_version)?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListThingsQuery {
    next_token: Option<String>,
    max_results: Option<u32>,
    attribute_name: Option<String>,
    attribute_value: Option<String>,
    thing_type_name: Option<String>,
    use_prefix_attribute_value: Option<bool>,
}

async fn list_things(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListThingsQuery>,
) -> ApiResult<Json<Value>> {
    let filter = ListThingsFilter {
        attribute_name: q.attribute_name,
        attribute_value: q.attribute_value,
        thing_type_name: q.thing_type_name,
        use_prefix_attribute_value: q.use_prefix_attribute_value,
    };
    let things = emu.registry.list_things(&filter)?;
    let r = &emu.registry;
    page(
        "things",
        things,
        q.next_token.as_deref(),
        q.max_results,
        |t| thing_attribute(r, t),
    )
}

async fn attach_thing_principal(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = required_header(&headers, PRINCIPAL_HEADER)?;
    emu.registry
        .attach_thing_principal(&name, &principal, q.thing_principal_type.as_deref())?;
    Ok(empty())
}

async fn detach_thing_principal(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = required_header(&headers, PRINCIPAL_HEADER)?;
    emu.registry.detach_thing_principal(&name, &principal)?;
    Ok(empty())
}

async fn list_thing_principals(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let items = emu.registry.list_thing_principals(&name, None)?;
    page(
        "principals",
        items,
        q.next_token.as_deref(),
        q.max_results,
        |(p, _)| json!(p),
    )
}

async fn list_thing_principals_v2(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let kind = q.thing_principal_type.as_deref();
    let items = emu.registry.list_thing_principals(&name, kind)?;
    let render = |(p, k)| json!({ "principal": p, "thingPrincipalType": k });
    page(
        "thingPrincipalObjects",
        items,
        q.next_token.as_deref(),
        q.max_results,
        render,
    )
}

async fn list_principal_things(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = required_header(&headers, PRINCIPAL_HEADER)?;
    let items = emu.registry.list_principal_things(&principal, None)?;
    page(
        "things",
        items,
        q.next_token.as_deref(),
        q.max_results,
        |(t, _)| json!(t),
    )
}

async fn list_principal_things_v2(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = required_header(&headers, PRINCIPAL_HEADER)?;
    let kind = q.thing_principal_type.as_deref();
    let items = emu.registry.list_principal_things(&principal, kind)?;
    let render = |(t, k)| json!({ "thingName": t, "thingPrincipalType": k });
    page(
        "principalThingObjects",
        items,
        q.next_token.as_deref(),
        q.max_results,
        render,
    )
}
