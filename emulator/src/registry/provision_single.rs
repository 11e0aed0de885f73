//! Single-thing provisioning (control-plane RegisterThing) in ONE registry write: the
//! certificate the plan names by PEM, or the one issued for its CSR, is stored unless
//! known, and the plan is applied (see [`super::provision`]). Nothing is left behind when
//! any step fails.

use std::collections::BTreeMap;

use super::plan::{CertificateSource, Plan};
use super::provision::apply_tx;
use super::{Inner, IotError, IotResult, Registry, Tx};

/// What single-thing provisioning (control-plane RegisterThing) did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SingleApplied {
    /// The certificate the plan provisioned, if it has one.
    pub certificate_pem: Option<String>,
    /// Logical id → ARN of every resource.
    pub resource_arns: BTreeMap<String, String>,
}

impl Registry {
    /// Single-thing provisioning in ONE write: stores the certificate the plan names by PEM
    /// (or the one issued for its CSR, `issued_pem`) unless it is known, names it by id,
    /// and applies the plan. Nothing is left behind when any step fails.
    pub fn apply_single_plan(
        &self,
        plan: Plan,
        issued_pem: Option<&str>,
    ) -> IotResult<SingleApplied> {
        self.write(|inner, tx| apply_single(self, inner, tx, plan, issued_pem))
    }
}

/// Inside the write: stores the certificate (if new), names it by id, applies the plan.
fn apply_single(
    registry: &Registry,
    inner: &mut Inner,
    tx: &mut Tx,
    mut plan: Plan,
    issued_pem: Option<&str>,
) -> IotResult<SingleApplied> {
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
    let applied = apply_tx(registry, inner, tx, &plan, &certificate_id)?;
    let certificate_pem = inner
        .certificates
        .get(&certificate_id)
        .map(|c| c.certificate_pem.clone());
    Ok(SingleApplied {
        certificate_pem,
        resource_arns: applied.resource_arns,
    })
}
