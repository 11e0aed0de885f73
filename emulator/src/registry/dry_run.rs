//! Dry runs for the template fuzzer: what applying a provisioning plan for a freshly
//! created certificate would do, every existence check and conflict included, with
//! nothing kept. The plan is applied under the registry lock with a dry [`Tx`] and rolled
//! back before the lock is released, so no reader ever sees it; nothing is encoded for
//! the store and no id is drawn.

use super::certificate::{CertStatus, Certificate, CertificateMode};
use super::plan::Plan;
use super::provision::{apply_tx, Applied};
use super::{IotResult, Registry, Tx};
use crate::basis::Entropy;

impl Registry {
    /// Applies `plan` for a PENDING_ACTIVATION certificate `certificate_id` (a stand-in
    /// record when the registry lacks it) and rolls everything back: the outcome of
    /// [`Registry::apply_plan`] without its effects.
    pub fn dry_run_plan(&self, plan: &Plan, certificate_id: &str) -> IotResult<Applied> {
        let mut inner = self.lock();
        let mut tx = Tx::dry();
        if !inner.certificates.contains(certificate_id) {
            inner
                .certificates
                .put(&mut tx, certificate_id, stand_in(self, certificate_id));
        }
        let outcome = apply_tx(self, &mut inner, &mut tx, plan, certificate_id);
        // Back exactly as it was, under the same lock: no authorization cache needs to
        // hear of it.
        inner.rollback(tx);
        outcome
    }

    /// An id drawn by `draw` from the registry's entropy, or an empty one in a dry run
    /// (see [`Tx::dry`]).
    pub(super) fn draw(&self, tx: &Tx, draw: impl FnOnce(&Entropy) -> String) -> String {
        match tx.dry {
            true => String::new(),
            false => draw(self.entropy()),
        }
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
