//! Dry runs for the template fuzzer: what applying a provisioning plan for a freshly
//! created certificate would do, every existence check and conflict included, with
//! nothing kept (the write is always rolled back).

use super::certificate::{CertStatus, Certificate, CertificateMode};
use super::plan::Plan;
use super::provision::{apply_tx, Applied};
use super::{IotError, IotResult, Registry};

impl Registry {
    /// Applies `plan` for a PENDING_ACTIVATION certificate `certificate_id` (a stand-in
    /// record when the registry lacks it) and rolls everything back: the outcome of
    /// [`Registry::apply_plan`] without its effects.
    pub fn dry_run_plan(&self, plan: &Plan, certificate_id: &str) -> IotResult<Applied> {
        let mut outcome = None;
        let _ = self.write(|inner, tx| {
            if !inner.certificates.contains(certificate_id) {
                inner
                    .certificates
                    .put(tx, certificate_id, stand_in(self, certificate_id));
            }
            outcome = Some(apply_tx(self, inner, tx, plan, certificate_id));
            Err::<(), _>(IotError::internal("dry run"))
        });
        outcome.unwrap_or_else(|| Err(IotError::internal("the dry run did not run")))
    }
}

/// A certificate as fleet provisioning's Create* calls leave it.
fn stand_in(registry: &Registry, id: &str) -> Certificate {
    Certificate {
        certificate_id: id.to_string(),
        certificate_pem: String::new(),
        ca_certificate_id: None,
        status: CertStatus::PendingActivation,
        owned_by: registry.account().account_id.clone(),
        creation_date_ms: 0,
        last_modified_date_ms: 0,
        customer_version: 1,
        generation_id: String::new(),
        not_before_ms: 0,
        not_after_ms: 0,
        certificate_mode: CertificateMode::Default,
        expires_at_ms: None,
        claim_template: None,
    }
}
