//! Control-plane operations on policies: documents, versions, attachments, and the
//! deprecated principal-policy operations (header-bound, spec C.1).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{
    empty, epoch, page_reply, paginate, required_header, AwsJson, AwsPath, AwsQuery,
};
use crate::registry::policy::Policy;
use crate::registry::IotError;
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/policies", get(list_policies))
        .route(
            "/policies/{policyName}",
            post(create_policy).get(get_policy).delete(delete_policy),
        )
        .route(
            "/policies/{policyName}/version",
            post(create_policy_version).get(list_policy_versions),
        )
        .route(
            "/policies/{policyName}/version/{policyVersionId}",
            get(get_policy_version)
                .delete(delete_policy_version)
                .patch(set_default_policy_version),
        )
        .route(
            "/target-policies/{policyName}",
            put(attach_policy).post(detach_policy),
        )
        .route("/attached-policies/{target}", post(list_attached_policies))
        .route(
            "/policy-targets/{policyName}",
            post(list_targets_for_policy),
        )
        .route("/principal-policies", get(list_principal_policies))
        .route(
            "/principal-policies/{policyName}",
            put(attach_principal_policy).delete(detach_principal_policy),
        )
        .route("/policy-principals", get(list_policy_principals))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocumentBody {
    policy_document: Option<String>,
    /// CreatePolicy's (CreatePolicyVersion has none).
    tags: Option<Vec<super::tags::Tag>>,
}

impl DocumentBody {
    fn required(self) -> Result<String, IotError> {
        self.policy_document.ok_or_else(|| {
            IotError::invalid("1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null")
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    marker: Option<String>,
    page_size: Option<u32>,
    is_ascending_order: Option<bool>,
    recursive: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetAsDefault {
    set_as_default: Option<bool>,
}

#[derive(Deserialize)]
struct TargetBody {
    target: Option<String>,
}

impl TargetBody {
    fn required(self) -> Result<String, IotError> {
        self.target.ok_or_else(|| {
            IotError::invalid("1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null")
        })
    }
}

/// The `Policy` shape: name and ARN.
fn policy_ref(emu: &Emulator, name: &str) -> Value {
    json!({ "policyName": name, "policyArn": emu.registry.account().policy_arn(name) })
}

/// A page of `Policy` shapes under `policies`, with `nextMarker`.
fn policy_page(emu: &Emulator, names: Vec<String>, q: &ListQuery) -> ApiResult<Json<Value>> {
    let (page, next) = paginate(names, q.marker.as_deref(), q.page_size)?;
    let policies: Vec<Value> = page.iter().map(|n| policy_ref(emu, n)).collect();
    Ok(page_reply("policies", policies, "nextMarker", next))
}

/// A page of strings under `key`, with `nextMarker`.
fn string_page(key: &str, items: Vec<String>, q: &ListQuery) -> ApiResult<Json<Value>> {
    let (page, next) = paginate(items, q.marker.as_deref(), q.page_size)?;
    Ok(page_reply(key, page, "nextMarker", next))
}

async fn create_policy(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(body): AwsJson<DocumentBody>,
) -> ApiResult<Json<Value>> {
    let tags = super::tags::pairs(body.tags.clone())?;
    let policy = emu.registry.create_policy(&name, &body.required()?)?;
    super::tags::store(&emu, &emu.registry.account().policy_arn(&name), tags)?;
    Ok(Json(json!({
        "policyName": policy.policy_name,
        "policyArn": emu.registry.account().policy_arn(&name),
        "policyDocument": policy.default_document(),
        "policyVersionId": policy.default_version_id.to_string(),
    })))
}

async fn get_policy(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let p: Policy = emu.registry.get_policy(&name)?;
    Ok(Json(json!({
        "policyName": p.policy_name,
        "policyArn": emu.registry.account().policy_arn(&name),
        "policyDocument": p.default_document(),
        "defaultVersionId": p.default_version_id.to_string(),
        "creationDate": epoch(p.creation_date_ms),
        "lastModifiedDate": epoch(p.last_modified_date_ms),
        "generationId": p.generation_id,
    })))
}

async fn delete_policy(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_policy(&name)?;
    Ok(empty())
}

async fn list_policies(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let names = emu
        .registry
        .list_policies(q.is_ascending_order.unwrap_or(true));
    policy_page(&emu, names, &q)
}

async fn create_policy_version(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<SetAsDefault>,
    AwsJson(body): AwsJson<DocumentBody>,
) -> ApiResult<Json<Value>> {
    let document = body.required()?;
    let set_as_default = q.set_as_default.unwrap_or(false);
    let (policy, id) = emu
        .registry
        .create_policy_version(&name, &document, set_as_default)?;
    Ok(Json(json!({
        "policyArn": emu.registry.account().policy_arn(&name),
        "policyDocument": document,
        "policyVersionId": id.to_string(),
        "isDefaultVersion": policy.default_version_id == id,
    })))
}

async fn get_policy_version(
    State(emu): State<Emulator>,
    AwsPath((name, id)): AwsPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (policy, id, version) = emu.registry.get_policy_version(&name, &id)?;
    Ok(Json(json!({
        "policyArn": emu.registry.account().policy_arn(&name),
        "policyName": policy.policy_name,
        "policyDocument": version.document,
        "policyVersionId": id.to_string(),
        "isDefaultVersion": policy.default_version_id == id,
        "creationDate": epoch(version.creation_date_ms),
        "lastModifiedDate": epoch(version.creation_date_ms),
        "generationId": policy.generation_id,
    })))
}

/// Newest version first, as AWS's CLI examples show.
async fn list_policy_versions(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let policy = emu.registry.list_policy_versions(&name)?;
    let versions: Vec<Value> = policy
        .versions
        .iter()
        .rev()
        .map(|(id, v)| {
            json!({
                "versionId": id.to_string(),
                "isDefaultVersion": *id == policy.default_version_id,
                "createDate": epoch(v.creation_date_ms),
            })
        })
        .collect();
    Ok(Json(json!({ "policyVersions": versions })))
}

async fn delete_policy_version(
    State(emu): State<Emulator>,
    AwsPath((name, id)): AwsPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_policy_version(&name, &id)?;
    Ok(empty())
}

async fn set_default_policy_version(
    State(emu): State<Emulator>,
    AwsPath((name, id)): AwsPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    emu.registry.set_default_policy_version(&name, &id)?;
    Ok(empty())
}

async fn attach_policy(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(body): AwsJson<TargetBody>,
) -> ApiResult<Json<Value>> {
    emu.registry.attach_policy(&name, &body.required()?)?;
    Ok(empty())
}

async fn detach_policy(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsJson(body): AwsJson<TargetBody>,
) -> ApiResult<Json<Value>> {
    emu.registry.detach_policy(&name, &body.required()?)?;
    Ok(empty())
}

/// The target is one percent-encoded path segment (`arn%3Aaws%3A...%2F...`).
async fn list_attached_policies(
    State(emu): State<Emulator>,
    AwsPath(target): AwsPath<String>,
    AwsQuery(q): AwsQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let recursive = q.recursive.unwrap_or(false);
    let names = emu.registry.list_attached_policies(&target, recursive)?;
    policy_page(&emu, names, &q)
}

async fn list_targets_for_policy(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    AwsQuery(q): AwsQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let targets = emu.registry.list_targets_for_policy(&name)?;
    string_page("targets", targets, &q)
}

async fn attach_principal_policy(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = required_header(&headers, "x-amzn-iot-principal")?;
    emu.registry.attach_policy(&name, &principal)?;
    Ok(empty())
}

async fn detach_principal_policy(
    State(emu): State<Emulator>,
    AwsPath(name): AwsPath<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = required_header(&headers, "x-amzn-iot-principal")?;
    emu.registry.detach_principal_policy(&name, &principal)?;
    Ok(empty())
}

async fn list_principal_policies(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = required_header(&headers, "x-amzn-iot-principal")?;
    let mut names = emu.registry.list_attached_policies(&principal, false)?;
    if q.is_ascending_order == Some(false) {
        names.reverse();
    }
    policy_page(&emu, names, &q)
}

async fn list_policy_principals(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let name = required_header(&headers, "x-amzn-iot-policy")?;
    let mut principals = emu.registry.list_policy_principals(&name)?;
    if q.is_ascending_order == Some(false) {
        principals.reverse();
    }
    string_page("principals", principals, &q)
}
