//! The fleet provisioning operations a device calls over MQTT: CreateKeysAndCertificate,
//! CreateCertificateFromCsr (each with an ownership token) and RegisterThing by token.

use std::collections::BTreeMap;

use super::register::{register_thing, RegisterRequest, Registered};
use crate::pki::{self, PkiError};
use crate::registry::{IotError, IotResult};
use crate::state::Emulator;

/// A new certificate for the device, with the token that proves it owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedCertificate {
    pub certificate_id: String,
    pub certificate_pem: String,
    /// Only for CreateKeysAndCertificate (PKCS#1 PEM).
    pub private_key: Option<String>,
    pub ownership_token: String,
}

/// Who sent a request: the connection's certificate and client id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub certificate_id: String,
    pub client_id: String,
}

fn pki_error(e: PkiError) -> IotError {
    match e {
        PkiError::InvalidKey(m) | PkiError::Malformed(m) => IotError::invalid(m),
        PkiError::Internal(m) => {
            tracing::error!(cause = %m, "PKI failure");
            IotError::internal("An internal error occurred")
        }
    }
}

fn join_error(e: tokio::task::JoinError) -> IotError {
    IotError::internal(format!("certificate issuing failed: {e}"))
}

/// Expired tokens are swept lazily, whenever provisioning is used: deterministic, and
/// AWS's own deletion of unclaimed certificates is not instantaneous either.
fn sweep(emulator: &Emulator) {
    if let Err(e) = emulator.registry.expire_ownership_tokens() {
        tracing::warn!(%e, "ownership token sweep failed");
    }
}

/// CreateKeysAndCertificate: an RSA-2048 key and a PENDING_ACTIVATION certificate.
pub async fn create_keys_and_certificate(
    emulator: &Emulator,
    caller: &Caller,
) -> IotResult<CreatedCertificate> {
    sweep(emulator);
    let pki = emulator.pki.clone();
    let (key, issued) = tokio::task::spawn_blocking(move || pki.create_keys_and_certificate())
        .await
        .map_err(join_error)?
        .map_err(pki_error)?;
    let (cert, token) = emulator
        .registry
        .create_fleet_certificate(&issued, &caller.certificate_id)?;
    Ok(CreatedCertificate {
        certificate_id: cert.certificate_id,
        certificate_pem: cert.certificate_pem,
        private_key: Some(key.private_key_pem),
        ownership_token: token,
    })
}

/// CreateCertificateFromCsr: a PENDING_ACTIVATION certificate keeping the CSR's subject
/// and key.
pub async fn create_certificate_from_csr(
    emulator: &Emulator,
    caller: &Caller,
    csr_pem: &str,
) -> IotResult<CreatedCertificate> {
    sweep(emulator);
    let csr = pki::csr::parse_csr(csr_pem).map_err(pki_error)?;
    let pki = emulator.pki.clone();
    let issued = tokio::task::spawn_blocking(move || {
        pki.sign(csr.subject, &csr.spki_der, pki::ca::aws_not_after())
    })
    .await
    .map_err(join_error)?
    .map_err(pki_error)?;
    let (cert, token) = emulator
        .registry
        .create_fleet_certificate(&issued, &caller.certificate_id)?;
    Ok(CreatedCertificate {
        certificate_id: cert.certificate_id,
        certificate_pem: cert.certificate_pem,
        private_key: None,
        ownership_token: token,
    })
}

/// RegisterThing: resolves the ownership token, then provisions its certificate.
pub async fn register_thing_with_token(
    emulator: &Emulator,
    caller: &Caller,
    template_name: &str,
    token: &str,
    parameters: BTreeMap<String, String>,
) -> IotResult<Registered> {
    sweep(emulator);
    let owned = emulator.registry.resolve_ownership_token(token)?;
    let request = RegisterRequest {
        template_name: template_name.to_string(),
        certificate_id: owned.certificate_id,
        claim_certificate_id: caller.certificate_id.clone(),
        client_id: caller.client_id.clone(),
        parameters,
    };
    register_thing(emulator, request).await
}
