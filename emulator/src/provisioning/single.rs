//! Single-thing provisioning, the control plane's RegisterThing: a template body evaluated
//! with the caller's parameters and applied in ONE registry write, together with the
//! certificate the template names by CSR (issued here) or PEM (registered here). Nothing
//! is left behind when any step fails.

use std::collections::BTreeMap;

use super::template::{CertificateSource, Template};
use crate::pki;
use crate::registry::provision_single::SingleApplied;
use crate::registry::template::check;
use crate::registry::{ErrorKind, IotError, IotResult};
use crate::state::Emulator;

/// RegisterThing's reply.
pub type SingleRegistered = SingleApplied;

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
    emulator
        .registry
        .apply_single_plan(plan, issued_pem.as_deref())
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
