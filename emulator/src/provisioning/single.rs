//! Single-thing provisioning, the control plane's RegisterThing: a template body evaluated
//! with the caller's parameters and applied in ONE registry write, together with the
//! certificate the template names by CSR (issued here) or PEM (registered here). Nothing
//! is left behind when any step fails.

use std::collections::BTreeMap;

use super::apply;
use super::template::{CertificateSource, Plan, Template};
use crate::pki;
use crate::registry::template::check;
use crate::registry::{ErrorKind, Inner, IotError, IotResult, Registry, Tx};
use crate::state::Emulator;

/// RegisterThing's reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SingleRegistered {
    /// The certificate the template provisioned, if it has one.
    pub certificate_pem: Option<String>,
    /// Logical id → ARN of every resource.
    pub resource_arns: BTreeMap<String, String>,
}

/// The model's limits on `parameters` (keys 2048, values 4096 characters).
const MAX_KEY: usize = 2048;
const MAX_VALUE: usize = 4096;

/// RegisterThing exposes only InvalidRequest and ResourceRegistrationFailure for what
/// the caller got wrong; the template engine's finer kinds are folded into those.
fn control_plane_error(e: IotError) -> IotError {
    use ErrorKind::*;
    let kind = match e.kind {
        InvalidParameters | CertificateValidation | InvalidPayload => InvalidRequest,
        ResourceNotFound | ResourceConflicts | ResourceAlreadyExists | CertificateState => {
            ResourceRegistrationFailure
        }
        other => other,
    };
    IotError::new(kind, e.message)
}

fn check_parameters(parameters: &BTreeMap<String, String>) -> IotResult<()> {
    let too_long = parameters
        .iter()
        .find(|(k, v)| k.chars().count() > MAX_KEY || v.chars().count() > MAX_VALUE);
    match too_long {
        Some((k, _)) => Err(IotError::invalid(format!(
            "The parameter {k} is longer than the model allows"
        ))),
        None => Ok(()),
    }
}

/// Provisions what `body` declares, evaluated with `parameters`.
pub async fn register_thing(
    emulator: &Emulator,
    body: &str,
    parameters: &BTreeMap<String, String>,
) -> IotResult<SingleRegistered> {
    check::body(body)?;
    check_parameters(parameters)?;
    let plan = Template::parse(body)
        .and_then(|t| t.evaluate(parameters, &BTreeMap::new()))
        .map_err(control_plane_error)?;
    let issued_pem = match plan.certificate.as_ref().map(|c| &c.source) {
        Some(CertificateSource::Csr(csr)) => Some(issue_for_csr(emulator, csr).await?),
        _ => None,
    };
    let registry = &emulator.registry;
    registry
        .write(|inner, tx| apply_single(registry, inner, tx, plan, issued_pem.as_deref()))
        .map_err(control_plane_error)
}

/// Signs the template's CSR (the certificate is stored only if the whole write succeeds).
async fn issue_for_csr(emulator: &Emulator, csr_pem: &str) -> IotResult<String> {
    let csr = pki::csr::parse_csr(csr_pem).map_err(|e| IotError::invalid(e.to_string()))?;
    let pki = emulator.pki.clone();
    let issued = tokio::task::spawn_blocking(move || {
        pki.sign(csr.subject, &csr.spki_der, pki::ca::aws_not_after())
    })
    .await
    .map_err(|e| IotError::internal(format!("signing failed: {e}")))?
    .map_err(|e| IotError::internal(e.to_string()))?;
    Ok(issued.certificate_pem)
}

/// Inside the write: stores the certificate (if new), names it by id, applies the plan.
fn apply_single(
    registry: &Registry,
    inner: &mut Inner,
    tx: &mut Tx,
    mut plan: Plan,
    issued_pem: Option<&str>,
) -> IotResult<SingleRegistered> {
    let certificate_id = match plan.certificate.as_mut() {
        None => String::new(),
        Some(cert) => {
            let id = match (&cert.source, issued_pem) {
                (CertificateSource::Id(id), _) => id.clone(),
                (CertificateSource::Pem { pem, .. }, _) => {
                    registry.provision_certificate_tx(inner, tx, pem, false)?
                }
                (CertificateSource::Csr(_), Some(pem)) => {
                    registry.provision_certificate_tx(inner, tx, pem, true)?
                }
                (CertificateSource::Csr(_), None) => {
                    return Err(IotError::internal("the CSR was not signed"))
                }
            };
            cert.source = CertificateSource::Id(id.clone());
            id
        }
    };
    let applied = apply::apply_tx(registry, inner, tx, &plan, &certificate_id)?;
    let certificate_pem = inner
        .certificates
        .get(&certificate_id)
        .map(|c| c.certificate_pem.clone());
    Ok(SingleRegistered {
        certificate_pem,
        resource_arns: applied.resource_arns,
    })
}
