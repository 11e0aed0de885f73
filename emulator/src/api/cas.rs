//! Control-plane operations on CA certificates and the registration code.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::certificates::{required, MarkerQuery};
use super::error::ApiResult;
use super::extract::{
    empty, epoch, page_reply, paginate_by, AwsJson, AwsPath, AwsQuery, DOCUMENTED_PAGE,
};
use crate::registry::ca::{CaCertificate, RegistrationConfig};
use crate::registry::ca_ops::{RegisterCa, UpdateCa};
use crate::registry::{validate, Account};
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/registrationcode",
            get(get_registration_code).delete(delete_registration_code),
        )
        .route("/cacertificate", post(register_ca_certificate))
        .route("/cacertificates", get(list_ca_certificates))
        .route(
            "/cacertificate/{caCertificateId}",
            get(describe_ca_certificate)
                .put(update_ca_certificate)
                .delete(delete_ca_certificate),
        )
}

async fn get_registration_code(State(emu): State<Emulator>) -> ApiResult<Json<Value>> {
    let code = emu.registry.get_registration_code()?;
    Ok(Json(json!({ "registrationCode": code })))
}

async fn delete_registration_code(State(emu): State<Emulator>) -> ApiResult<Json<Value>> {
    emu.registry.delete_registration_code()?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterQuery {
    set_as_active: Option<bool>,
    allow_auto_registration: Option<bool>,
}

/// The model's `Tag` shape.
#[derive(Deserialize)]
struct Tag {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterBody {
    ca_certificate: Option<String>,
    verification_certificate: Option<String>,
    registration_config: Option<RegistrationConfig>,
    #[serde(default)]
    tags: Vec<Tag>,
    certificate_mode: Option<String>,
}

fn tag_map(tags: Vec<Tag>) -> ApiResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for tag in tags {
        validate::pattern("tags.member.Key", &tag.key, 1, 128, |_| true)?;
        let value = tag.value.unwrap_or_default();
        validate::pattern("tags.member.Value", &value, 0, 256, |_| true)?;
        out.insert(tag.key, value);
    }
    Ok(out)
}

async fn register_ca_certificate(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<RegisterQuery>,
    AwsJson(body): AwsJson<RegisterBody>,
) -> ApiResult<Json<Value>> {
    let ca_certificate = required("caCertificate", body.ca_certificate, 65536)?;
    if let Some(v) = &body.verification_certificate {
        validate::pattern("verificationCertificate", v, 1, 65536, |_| true)?;
    }
    let input = RegisterCa {
        ca_certificate,
        verification_certificate: body.verification_certificate,
        registration_config: body.registration_config,
        tags: tag_map(body.tags)?,
        certificate_mode: body.certificate_mode,
        set_as_active: q.set_as_active.unwrap_or(false),
        allow_auto_registration: q.allow_auto_registration.unwrap_or(false),
    };
    let tags: Vec<(String, String)> = input.tags.clone().into_iter().collect();
    crate::registry::tags::check(&tags)?;
    let ca = emu.registry.register_ca_certificate(input)?;
    let arn = emu.registry.account().cacert_arn(&ca.certificate_id);
    super::tags::store(&emu, &arn, tags)?;
    Ok(Json(json!({
        "certificateArn": emu.registry.account().cacert_arn(&ca.certificate_id),
        "certificateId": ca.certificate_id,
    })))
}

/// The `CACertificateDescription` shape.
fn description(account: &Account, ca: &CaCertificate) -> Value {
    json!({
        "certificateArn": account.cacert_arn(&ca.certificate_id),
        "certificateId": ca.certificate_id,
        "status": ca.status.as_str(),
        "certificatePem": ca.certificate_pem,
        "ownedBy": ca.owned_by,
        "creationDate": epoch(ca.creation_date_ms),
        "autoRegistrationStatus": ca.auto_registration_status.as_str(),
        "lastModifiedDate": epoch(ca.last_modified_date_ms),
        "customerVersion": ca.customer_version,
        "generationId": ca.generation_id,
        "validity": {
            "notBefore": epoch(ca.not_before_ms),
            "notAfter": epoch(ca.not_after_ms),
        },
        "certificateMode": ca.certificate_mode.as_str(),
    })
}

async fn describe_ca_certificate(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let ca = emu.registry.describe_ca_certificate(&id)?;
    let mut out = json!({ "certificateDescription": description(emu.registry.account(), &ca) });
    if let Some(config) = &ca.registration_config {
        out["registrationConfig"] = json!(config);
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateQuery {
    new_status: Option<String>,
    new_auto_registration_status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    registration_config: Option<RegistrationConfig>,
    remove_auto_registration: Option<bool>,
}

async fn update_ca_certificate(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
    AwsQuery(q): AwsQuery<UpdateQuery>,
    AwsJson(body): AwsJson<UpdateBody>,
) -> ApiResult<Json<Value>> {
    let update = UpdateCa {
        new_status: q.new_status,
        new_auto_registration_status: q.new_auto_registration_status,
        registration_config: body.registration_config,
        remove_auto_registration: body.remove_auto_registration.unwrap_or(false),
    };
    emu.registry.update_ca_certificate(&id, update)?;
    Ok(empty())
}

async fn delete_ca_certificate(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.delete_ca_certificate(&id)?;
    Ok(empty())
}

async fn list_ca_certificates(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<MarkerQuery>,
) -> ApiResult<Json<Value>> {
    let account = emu.registry.account();
    let cas = emu.registry.list_ca_certificates(
        q.template_name.as_deref(),
        q.is_ascending_order.unwrap_or(false),
    )?;
    let (page, next) = paginate_by(cas, q.marker.as_deref(), q.page_size, DOCUMENTED_PAGE)?;
    let items: Vec<Value> = page
        .iter()
        .map(|ca| {
            json!({
                "certificateArn": account.cacert_arn(&ca.certificate_id),
                "certificateId": ca.certificate_id,
                "status": ca.status.as_str(),
                "creationDate": epoch(ca.creation_date_ms),
            })
        })
        .collect();
    Ok(page_reply("certificates", items, "nextMarker", next))
}
