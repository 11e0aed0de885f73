//! PKI engine: the emulator's CA (P-256, or RSA from an older data directory), the RSA key
//! pool, and issuing certificates as AWS does.

pub mod ca;
pub mod ca_key;
pub mod csr;
pub mod keys;
pub mod parse;

use std::sync::Arc;

use rcgen::{DistinguishedName, DnType};

pub use ca::{RootCa, ServerIdentity};
pub use keys::{GeneratedKey, KeyPool};

use crate::basis::{Clock, Entropy};

/// Why a PKI operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// The input is not a usable key.
    #[error("{0}")]
    InvalidKey(String),
    /// The input PEM or DER could not be parsed.
    #[error("{0}")]
    Malformed(String),
    /// A failure of our own.
    #[error("internal PKI error: {0}")]
    Internal(String),
}

/// A certificate the emulator has just signed.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    pub certificate_id: String,
    pub certificate_pem: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
}

/// The PKI handle shared by the front ends.
#[derive(Debug, Clone)]
pub struct Pki {
    pub ca: Arc<RootCa>,
    pool: KeyPool,
    entropy: Arc<Entropy>,
    clock: Clock,
}

impl Pki {
    /// Wraps a CA with a key pool of `workers` threads.
    pub fn new(ca: RootCa, entropy: Arc<Entropy>, clock: Clock, workers: usize) -> Self {
        let pool = KeyPool::start(entropy.clone(), workers, 8);
        Pki {
            ca: Arc::new(ca),
            pool,
            entropy,
            clock,
        }
    }

    /// A new RSA-2048 key and a certificate `CN=AWS IoT Certificate` for it (blocking).
    pub fn create_keys_and_certificate(
        &self,
    ) -> Result<(GeneratedKey, IssuedCertificate), PkiError> {
        let key = self.pool.take();
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, "AWS IoT Certificate");
        let cert = self.sign(subject, &key.public_key_der, ca::aws_not_after())?;
        Ok((key, cert))
    }

    /// Signs `spki_der` under `subject`, valid from now until `not_after`.
    pub fn sign(
        &self,
        subject: DistinguishedName,
        spki_der: &[u8],
        not_after: time::OffsetDateTime,
    ) -> Result<IssuedCertificate, PkiError> {
        let serial = ca::positive(self.entropy.rng("serial"));
        let now = self.clock.now();
        let not_before = now.replace_millisecond(0).unwrap_or(now);
        let pem = self
            .ca
            .issue(subject, spki_der, serial, not_before, not_after)?;
        let der = parse::pem_to_der(&pem)
            .ok_or_else(|| PkiError::Internal("issued certificate is not PEM".into()))?;
        Ok(IssuedCertificate {
            certificate_id: parse::certificate_id(&der),
            certificate_pem: pem,
            not_before_ms: not_before.unix_timestamp() * 1000,
            not_after_ms: not_after.unix_timestamp() * 1000,
        })
    }

    /// Stops the key pool's threads.
    pub fn stop(&self) {
        self.pool.stop();
    }
}
