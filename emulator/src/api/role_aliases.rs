//! Control-plane operations on role aliases (the credentials provider's configuration).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{empty, epoch, page_reply, paginate, AwsJson, AwsPath, AwsQuery};
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/role-aliases", get(list_role_aliases))
        .route(
            "/role-aliases/{roleAlias}",
            post(create_role_alias)
                .get(describe_role_alias)
                .put(update_role_alias)
                .delete(delete_role_alias),
        )
}

/// CreateRoleAlias and UpdateRoleAlias bodies (`tags`: CreateRoleAlias's).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AliasBody {
    role_arn: Option<String>,
    credential_duration_seconds: Option<u32>,
    tags: Option<Vec<super::tags::Tag>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    marker: Option<String>,
    page_size: Option<u32>,
    is_ascending_order: Option<bool>,
}

fn reply(emu: &Emulator, alias: &str) -> Json<Value> {
    Json(json!({
        "roleAlias": alias,
        "roleAliasArn": emu.registry.account().role_alias_arn(alias),
    }))
}

async fn create_role_alias(
    State(emu): State<Emulator>,
    AwsPath(alias): AwsPath<String>,
    AwsJson(body): AwsJson<AliasBody>,
) -> ApiResult<Json<Value>> {
    let tags = super::tags::pairs(body.tags)?;
    emu.registry
        .create_role_alias(&alias, body.role_arn, body.credential_duration_seconds)?;
    super::tags::store(&emu, &emu.registry.account().role_alias_arn(&alias), tags)?;
    Ok(reply(&emu, &alias))
}

async fn describe_role_alias(
    State(emu): State<Emulator>,
    AwsPath(alias): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let a = emu.registry.describe_role_alias(&alias)?;
    Ok(Json(json!({
        "roleAliasDescription": {
            "roleAlias": a.role_alias,
            "roleAliasArn": emu.registry.account().role_alias_arn(&alias),
            "roleArn": a.role_arn,
            "owner": a.owner,
            "credentialDurationSeconds": a.credential_duration_seconds,
            "creationDate": epoch(a.creation_date_ms),
            "lastModifiedDate": epoch(a.last_modified_date_ms),
        }
    })))
}

async fn update_role_alias(
    State(emu): State<Emulator>,
    AwsPath(alias): AwsPath<String>,
    AwsJson(body): AwsJson<AliasBody>,
) -> ApiResult<Json<Value>> {
    emu.registry
        .update_role_alias(&alias, body.role_arn, body.credential_duration_seconds)?;
    Ok(reply(&emu, &alias))
}

async fn delete_role_alias(
    State(emu): State<Emulator>,
    AwsPath(alias): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_role_alias(&alias)?;
    Ok(empty())
}

async fn list_role_aliases(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let names = emu
        .registry
        .list_role_aliases(q.is_ascending_order.unwrap_or(true));
    let (page, next) = paginate(names, q.marker.as_deref(), q.page_size)?;
    Ok(page_reply("roleAliases", page, "nextMarker", next))
}
