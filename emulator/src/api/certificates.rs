//! Control-plane operations on device certificates: issuing (keys, CSR, provisioning
//! claims), registering, describing, listing, updating and deleting.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult};
use super::extract::{
    empty, epoch, page_reply, paginate_by, AwsJson, AwsPath, AwsQuery, DOCUMENTED_PAGE,
};
use crate::pki::{self, GeneratedKey, IssuedCertificate};
use crate::registry::certificate::Certificate;
use crate::registry::{validate, Account, IotError};
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/keys-and-certificate", post(create_keys_and_certificate))
        .route(
            "/certificates",
            post(create_certificate_from_csr).get(list_certificates),
        )
        .route("/certificate/register", post(register_certificate))
        .route(
            "/certificate/register-no-ca",
            post(register_certificate_without_ca),
        )
        .route(
            "/certificates/{certificateId}",
            get(describe_certificate)
                .put(update_certificate)
                .delete(delete_certificate),
        )
        .route(
            "/certificates-by-ca/{caCertificateId}",
            get(list_certificates_by_ca),
        )
        .route(
            "/provisioning-templates/{templateName}/provisioning-claim",
            post(create_provisioning_claim),
        )
}

/// A required body member, with the model's "must not be null" message, checked against
/// the model's length range.
pub(super) fn required(field: &str, value: Option<String>, max: usize) -> Result<String, ApiError> {
    let value = value.ok_or_else(|| {
        IotError::invalid(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ))
    })?;
    validate::pattern(field, &value, 1, max, |_| true)?;
    Ok(value)
}

fn key_pair(key: &GeneratedKey) -> Value {
    json!({ "PublicKey": key.public_key_pem, "PrivateKey": key.private_key_pem })
}

/// Issues a new RSA key and certificate off the async runtime (key generation blocks).
async fn issue_keys(emu: &Emulator) -> ApiResult<(GeneratedKey, IssuedCertificate)> {
    let pki = emu.pki.clone();
    tokio::task::spawn_blocking(move || pki.create_keys_and_certificate())
        .await
        .map_err(|e| IotError::internal(format!("key generation failed: {e}")))?
        .map_err(ApiError::from)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetAsActiveQuery {
    set_as_active: Option<bool>,
}

async fn create_keys_and_certificate(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<SetAsActiveQuery>,
) -> ApiResult<Json<Value>> {
    let (key, issued) = issue_keys(&emu).await?;
    let cert = emu
        .registry
        .create_keys_and_certificate(&issued, q.set_as_active.unwrap_or(false))?;
    Ok(Json(json!({
        "certificateArn": emu.registry.account().cert_arn(&cert.certificate_id),
        "certificateId": cert.certificate_id,
        "certificatePem": cert.certificate_pem,
        "keyPair": key_pair(&key),
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CsrBody {
    certificate_signing_request: Option<String>,
}

async fn create_certificate_from_csr(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<SetAsActiveQuery>,
    AwsJson(body): AwsJson<CsrBody>,
) -> ApiResult<Json<Value>> {
    let csr_pem = required(
        "certificateSigningRequest",
        body.certificate_signing_request,
        4096,
    )?;
    let csr = pki::csr::parse_csr(&csr_pem)?;
    let pki = emu.pki.clone();
    let issued = tokio::task::spawn_blocking(move || {
        pki.sign(csr.subject, &csr.spki_der, pki::ca::aws_not_after())
    })
    .await
    .map_err(|e| IotError::internal(format!("signing failed: {e}")))??;
    let cert = emu
        .registry
        .create_certificate_from_csr(&issued, q.set_as_active.unwrap_or(false))?;
    Ok(Json(json!({
        "certificateArn": emu.registry.account().cert_arn(&cert.certificate_id),
        "certificateId": cert.certificate_id,
        "certificatePem": cert.certificate_pem,
    })))
}

async fn create_provisioning_claim(
    State(emu): State<Emulator>,
    AwsPath(template_name): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.registry.require_provisioning_template(&template_name)?;
    let pki = emu.pki.clone();
    let (key, issued) = tokio::task::spawn_blocking(move || pki.create_provisioning_claim())
        .await
        .map_err(|e| IotError::internal(format!("key generation failed: {e}")))?
        .map_err(ApiError::from)?;
    let cert = emu
        .registry
        .create_provisioning_claim(&template_name, &issued)?;
    Ok(Json(json!({
        "certificateId": cert.certificate_id,
        "certificatePem": cert.certificate_pem,
        "keyPair": key_pair(&key),
        "expiration": epoch(cert.expires_at_ms.unwrap_or(cert.creation_date_ms)),
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterBody {
    certificate_pem: Option<String>,
    ca_certificate_pem: Option<String>,
    status: Option<String>,
}

fn registered(account: &Account, cert: &Certificate) -> Json<Value> {
    Json(json!({
        "certificateArn": account.cert_arn(&cert.certificate_id),
        "certificateId": cert.certificate_id,
    }))
}

async fn register_certificate(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<SetAsActiveQuery>,
    AwsJson(body): AwsJson<RegisterBody>,
) -> ApiResult<Json<Value>> {
    let pem = required("certificatePem", body.certificate_pem, 65536)?;
    if let Some(ca) = &body.ca_certificate_pem {
        validate::pattern("caCertificatePem", ca, 1, 65536, |_| true)?;
    }
    let cert = emu.registry.register_certificate(
        &pem,
        body.ca_certificate_pem.as_deref(),
        body.status.as_deref(),
        q.set_as_active,
    )?;
    Ok(registered(emu.registry.account(), &cert))
}

async fn register_certificate_without_ca(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<RegisterBody>,
) -> ApiResult<Json<Value>> {
    let pem = required("certificatePem", body.certificate_pem, 65536)?;
    let cert = emu
        .registry
        .register_certificate_without_ca(&pem, body.status.as_deref())?;
    Ok(registered(emu.registry.account(), &cert))
}

/// The `CertificateDescription` shape.
fn description(account: &Account, c: &Certificate) -> Value {
    let mut d = json!({
        "certificateArn": account.cert_arn(&c.certificate_id),
        "certificateId": c.certificate_id,
        "status": c.status.as_str(),
        "certificatePem": c.certificate_pem,
        "ownedBy": c.owned_by,
        "creationDate": epoch(c.creation_date_ms),
        "lastModifiedDate": epoch(c.last_modified_date_ms),
        "customerVersion": c.customer_version,
        "transferData": {},
        "generationId": c.generation_id,
        "validity": {
            "notBefore": epoch(c.not_before_ms),
            "notAfter": epoch(c.not_after_ms),
        },
        "certificateMode": c.certificate_mode.as_str(),
    });
    if let Some(ca) = &c.ca_certificate_id {
        d["caCertificateId"] = json!(ca);
    }
    d
}

async fn describe_certificate(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let cert = emu.registry.describe_certificate(&id)?;
    Ok(Json(
        json!({ "certificateDescription": description(emu.registry.account(), &cert) }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateQuery {
    new_status: Option<String>,
}

async fn update_certificate(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
    AwsQuery(q): AwsQuery<UpdateQuery>,
) -> ApiResult<Json<Value>> {
    let status = required("newStatus", q.new_status, 64)?;
    emu.registry.update_certificate(&id, &status)?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteQuery {
    force_delete: Option<bool>,
}

async fn delete_certificate(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
    AwsQuery(q): AwsQuery<DeleteQuery>,
) -> ApiResult<Json<Value>> {
    emu.registry
        .delete_certificate(&id, q.force_delete.unwrap_or(false))?;
    Ok(empty())
}

/// `marker` / `pageSize` / `isAscendingOrder`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MarkerQuery {
    pub(super) marker: Option<String>,
    pub(super) page_size: Option<u32>,
    pub(super) is_ascending_order: Option<bool>,
    /// ListCACertificates only.
    pub(super) template_name: Option<String>,
}

fn certificate_list(
    account: &Account,
    certs: Vec<Certificate>,
    q: &MarkerQuery,
) -> ApiResult<Json<Value>> {
    let (page, next) = paginate_by(certs, q.marker.as_deref(), q.page_size, DOCUMENTED_PAGE)?;
    let items: Vec<Value> = page
        .iter()
        .map(|c| {
            json!({
                "certificateArn": account.cert_arn(&c.certificate_id),
                "certificateId": c.certificate_id,
                "status": c.status.as_str(),
                "certificateMode": c.certificate_mode.as_str(),
                "creationDate": epoch(c.creation_date_ms),
            })
        })
        .collect();
    Ok(page_reply("certificates", items, "nextMarker", next))
}

async fn list_certificates(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<MarkerQuery>,
) -> ApiResult<Json<Value>> {
    let certs = emu
        .registry
        .list_certificates(q.is_ascending_order.unwrap_or(false));
    certificate_list(emu.registry.account(), certs, &q)
}

async fn list_certificates_by_ca(
    State(emu): State<Emulator>,
    AwsPath(ca_id): AwsPath<String>,
    AwsQuery(q): AwsQuery<MarkerQuery>,
) -> ApiResult<Json<Value>> {
    let certs = emu
        .registry
        .list_certificates_by_ca(&ca_id, q.is_ascending_order.unwrap_or(false))?;
    certificate_list(emu.registry.account(), certs, &q)
}
