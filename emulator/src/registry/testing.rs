//! Test support for the registry's unit tests: an in-memory registry and stand-in records.

use std::sync::Arc;

use super::certificate::{CertStatus, Certificate, CertificateMode};
use super::{Account, Registry};
use crate::basis::{Clock, Entropy};

/// An in-memory registry for account 123456789012 in us-east-1, its clock frozen at `now_ms`.
pub(crate) fn registry_at(now_ms: i64) -> Registry {
    let account = Account {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
    };
    Registry::open(
        None,
        account,
        Clock::frozen(now_ms),
        Arc::new(Entropy::new(1)),
    )
    .expect("in-memory registry")
}

/// Inserts an ACTIVE certificate record with `id` (no PEM) and returns its ARN.
pub(crate) fn insert_certificate(reg: &Registry, id: &str) -> String {
    let cert = Certificate {
        certificate_id: id.into(),
        certificate_pem: String::new(),
        ca_certificate_id: None,
        status: CertStatus::Active,
        owned_by: "123456789012".into(),
        creation_date_ms: 0,
        last_modified_date_ms: 0,
        customer_version: 1,
        generation_id: String::new(),
        not_before_ms: 0,
        not_after_ms: 0,
        certificate_mode: CertificateMode::Default,
        expires_at_ms: None,
        claim_template: None,
    };
    reg.write(|inner, tx| {
        inner.certificates.put(tx, id, cert);
        Ok(())
    })
    .expect("insert certificate");
    reg.account().cert_arn(id)
}
