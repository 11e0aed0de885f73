//! Control-plane operations on thing types.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{empty, epoch, AwsJson, AwsPath, AwsQuery};
use super::things::{page, put_opt};
use crate::registry::thing_type::{ThingType, ThingTypeProperties};
use crate::registry::Registry;
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/thing-types", get(list_thing_types))
        .route(
            "/thing-types/{thingTypeName}",
            get(describe_thing_type)
                .post(create_thing_type)
                .patch(update_thing_type)
                .delete(delete_thing_type),
        )
        .route(
            "/thing-types/{thingTypeName}/deprecate",
            post(deprecate_thing_type),
        )
}

/// The `ThingTypeMetadata` shape.
fn metadata(t: &ThingType) -> Value {
    let mut v = json!({
        "deprecated": t.deprecated,
        "creationDate": epoch(t.creation_date_ms),
    });
    put_opt(&mut v, "deprecationDate", t.deprecation_date_ms.map(epoch));
    v
}

/// The `ThingTypeDefinition` shape (DescribeThingType adds `thingTypeId`).
fn definition(registry: &Registry, t: &ThingType) -> Value {
    json!({
        "thingTypeName": t.thing_type_name,
        "thingTypeArn": registry.account().thing_type_arn(&t.thing_type_name),
        "thingTypeProperties": t.properties,
        "thingTypeMetadata": metadata(t),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateThingTypeBody {
    thing_type_properties: Option<ThingTypeProperties>,
    tags: Option<Vec<super::tags::Tag>>,
}

async fn create_thing_type(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(body): AwsJson<CreateThingTypeBody>,
) -> ApiResult<Json<Value>> {
    let tags = super::tags::pairs(body.tags)?;
    let t = emu
        .registry
        .create_thing_type(&name, body.thing_type_properties)?;
    let arn = emu.registry.account().thing_type_arn(&t.thing_type_name);
    super::tags::store(&emu, &arn, tags)?;
    Ok(Json(json!({
        "thingTypeName": t.thing_type_name,
        "thingTypeArn": arn,
        "thingTypeId": t.thing_type_id,
    })))
}

async fn describe_thing_type(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let t = emu.registry.describe_thing_type(&name)?;
    let mut v = definition(&emu.registry, &t);
    put_opt(&mut v, "thingTypeId", Some(t.thing_type_id));
    Ok(Json(v))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListThingTypesQuery {
    next_token: Option<String>,
    max_results: Option<u32>,
    thing_type_name: Option<String>,
}

async fn list_thing_types(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListThingTypesQuery>,
) -> ApiResult<Json<Value>> {
    let types = emu.registry.list_thing_types(q.thing_type_name.as_deref());
    let r = &emu.registry;
    page(
        "thingTypes",
        types,
        q.next_token.as_deref(),
        q.max_results,
        |t| definition(r, &t),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeprecateBody {
    undo_deprecate: Option<bool>,
}

async fn deprecate_thing_type(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(body): AwsJson<DeprecateBody>,
) -> ApiResult<Json<Value>> {
    let undo = body.undo_deprecate.unwrap_or(false);
    emu.registry.deprecate_thing_type(&name, undo)?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateThingTypeBody {
    thing_type_properties: Option<ThingTypeProperties>,
}

async fn update_thing_type(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(body): AwsJson<UpdateThingTypeBody>,
) -> ApiResult<Json<Value>> {
    emu.registry
        .update_thing_type(&name, body.thing_type_properties)?;
    Ok(empty())
}

async fn delete_thing_type(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_thing_type(&name)?;
    Ok(empty())
}
