//! Control-plane operations on provisioning templates and their versions.
//! (CreateProvisioningClaim lives with the certificates.)

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{empty, epoch, page_reply, paginate, AwsJson, AwsPath, AwsQuery};
use crate::provisioning::template::Template;
use crate::registry::template::{check, CreateTemplate, ProvisioningTemplate, UpdateTemplate};
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/provisioning-templates",
            get(list_provisioning_templates).post(create_provisioning_template),
        )
        .route(
            "/provisioning-templates/{templateName}",
            get(describe_provisioning_template)
                .patch(update_provisioning_template)
                .delete(delete_provisioning_template),
        )
        .route(
            "/provisioning-templates/{templateName}/versions",
            get(list_provisioning_template_versions).post(create_provisioning_template_version),
        )
        .route(
            "/provisioning-templates/{templateName}/versions/{versionId}",
            get(describe_provisioning_template_version)
                .delete(delete_provisioning_template_version),
        )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageQuery {
    next_token: Option<String>,
    max_results: Option<u32>,
    set_as_default: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodyOnly {
    template_body: Option<String>,
}

/// The template language's checks at creation; the registry checks the size and the JSON
/// first, so a body that fails those is left to it.
fn check_template_body(body: Option<&str>) -> ApiResult<()> {
    if let Some(body) = body.filter(|b| check::body(b).is_ok()) {
        Template::parse(body)?;
    }
    Ok(())
}

fn arn(emu: &Emulator, name: &str) -> String {
    emu.registry.account().template_arn(name)
}

/// The `ProvisioningTemplateSummary` shape.
fn summary(emu: &Emulator, t: &ProvisioningTemplate) -> Value {
    let mut out = json!({
        "templateArn": arn(emu, &t.template_name),
        "templateName": t.template_name,
        "creationDate": epoch(t.creation_date_ms),
        "lastModifiedDate": epoch(t.last_modified_date_ms),
        "enabled": t.enabled,
        "type": t.template_type,
    });
    if let Some(d) = &t.description {
        out["description"] = json!(d);
    }
    out
}

/// `items` under `key`, with `nextToken` when more remain.
fn token_page(key: &str, items: Vec<Value>, q: &PageQuery) -> ApiResult<Json<Value>> {
    let (page, next) = paginate(items, q.next_token.as_deref(), q.max_results)?;
    Ok(page_reply(key, page, "nextToken", next))
}

async fn create_provisioning_template(
    State(emu): State<Emulator>,
    AwsJson(input): AwsJson<CreateTemplate>,
) -> ApiResult<Json<Value>> {
    check_template_body(input.template_body.as_deref())?;
    let tags: Option<Vec<super::tags::Tag>> = match &input.tags {
        None | Some(Value::Null) => None,
        Some(v) => Some(serde_json::from_value(v.clone()).map_err(|e| {
            crate::registry::IotError::invalid(format!("Invalid request body: tags: {e}"))
        })?),
    };
    let tags = super::tags::pairs(tags)?;
    let t = emu.registry.create_provisioning_template(input)?;
    super::tags::store(&emu, &arn(&emu, &t.template_name), tags)?;
    Ok(Json(json!({
        "templateArn": arn(&emu, &t.template_name),
        "templateName": t.template_name,
        "defaultVersionId": t.default_version_id,
    })))
}

async fn describe_provisioning_template(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let t = emu.registry.describe_provisioning_template(&name)?;
    let mut out = summary(&emu, &t);
    out["defaultVersionId"] = json!(t.default_version_id);
    out["templateBody"] = json!(t.default_body());
    out["provisioningRoleArn"] = json!(t.provisioning_role_arn);
    if let Some(hook) = &t.pre_provisioning_hook {
        out["preProvisioningHook"] = json!(hook);
    }
    Ok(Json(out))
}

async fn list_provisioning_templates(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let all = emu.registry.list_provisioning_templates();
    let items = all.iter().map(|t| summary(&emu, t)).collect();
    token_page("templates", items, &q)
}

async fn update_provisioning_template(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(update): AwsJson<UpdateTemplate>,
) -> ApiResult<Json<Value>> {
    emu.registry.update_provisioning_template(&name, update)?;
    Ok(empty())
}

async fn delete_provisioning_template(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_provisioning_template(&name)?;
    Ok(empty())
}

async fn create_provisioning_template_version(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<PageQuery>,
    AwsJson(body): AwsJson<BodyOnly>,
) -> ApiResult<Json<Value>> {
    let set_as_default = q.set_as_default.unwrap_or(false);
    check_template_body(body.template_body.as_deref())?;
    let (t, id) = emu.registry.create_provisioning_template_version(
        &name,
        body.template_body,
        set_as_default,
    )?;
    Ok(Json(json!({
        "templateArn": arn(&emu, &name),
        "templateName": t.template_name,
        "versionId": id,
        "isDefaultVersion": t.default_version_id == id,
    })))
}

async fn describe_provisioning_template_version(
    State(emu): State<Emulator>,
    AwsPath((name, id)): AwsPath<(String, u32)>,
) -> ApiResult<Json<Value>> {
    let (t, v) = emu
        .registry
        .describe_provisioning_template_version(&name, id)?;
    Ok(Json(json!({
        "versionId": id,
        "creationDate": epoch(v.creation_date_ms),
        "templateBody": v.template_body,
        "isDefaultVersion": t.default_version_id == id,
    })))
}

async fn list_provisioning_template_versions(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let t = emu.registry.list_provisioning_template_versions(&name)?;
    let items = t
        .versions
        .iter()
        .map(|(id, v)| {
            json!({
                "versionId": id,
                "creationDate": epoch(v.creation_date_ms),
                "isDefaultVersion": *id == t.default_version_id,
            })
        })
        .collect();
    token_page("versions", items, &q)
}

async fn delete_provisioning_template_version(
    State(emu): State<Emulator>,
    AwsPath((name, id)): AwsPath<(String, u32)>,
) -> ApiResult<Json<Value>> {
    emu.registry
        .delete_provisioning_template_version(&name, id)?;
    Ok(empty())
}
