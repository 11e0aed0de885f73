//! PKI engine: the emulator's CA (P-256, or RSA from an older data directory), the RSA key
//! pool, and issuing certificates as AWS does.

pub mod ca;
pub mod ca_key;
pub mod csr;
pub mod keys;
pub mod parse;
pub mod pool;
mod shelf;

use std::sync::Arc;

use rcgen::{DistinguishedName, DnType};

pub use ca::{RootCa, ServerIdentity};
pub use keys::{GeneratedKey, KeySource};
pub use pool::{KeyPool, PoolConfig};

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

/// How long a CreateProvisioningClaim certificate is valid after it is issued (AWS: five
/// minutes); its `expiration` and its notAfter are both issue time plus this.
pub const CLAIM_LIFETIME: time::Duration = time::Duration::minutes(5);
/// How far before the issue time a claim certificate's notBefore lies: the captured claim
/// certificate is valid for seven minutes in all, ending at its `expiration`.
pub const CLAIM_BACKDATE: time::Duration = time::Duration::minutes(2);

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
    /// Wraps a CA with a key pool drawing on `keys`.
    pub fn new(
        ca: RootCa,
        entropy: Arc<Entropy>,
        clock: Clock,
        keys: KeySource,
        pool: PoolConfig,
    ) -> Self {
        let pool = KeyPool::start(keys, pool);
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
        let key = self.pool.take()?;
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, "AWS IoT Certificate");
        let cert = self.sign(subject, &key.public_key_der, ca::aws_not_after())?;
        Ok((key, cert))
    }

    /// CreateProvisioningClaim's temporary certificate: a new RSA-2048 key, subject CN a
    /// random 64-hex string (not the certificate id), valid from [`CLAIM_BACKDATE`] before
    /// now until [`CLAIM_LIFETIME`] after, as the captured claim certificate is (dataplane
    /// §1.11: notBefore 16:44:06, notAfter 16:51:06, which is also the `expiration`).
    pub fn create_provisioning_claim(&self) -> Result<(GeneratedKey, IssuedCertificate), PkiError> {
        let key = self.pool.take()?;
        let mut cn = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut self.entropy.rng("claim-subject"), &mut cn);
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, hex::encode(cn));
        let now = self.now_whole_seconds();
        let cert = self.sign_between(
            subject,
            &key.public_key_der,
            now - CLAIM_BACKDATE,
            now + CLAIM_LIFETIME,
        )?;
        Ok((key, cert))
    }

    /// Signs `spki_der` under `subject`, valid from now until `not_after`.
    pub fn sign(
        &self,
        subject: DistinguishedName,
        spki_der: &[u8],
        not_after: time::OffsetDateTime,
    ) -> Result<IssuedCertificate, PkiError> {
        let not_before = self.now_whole_seconds();
        self.sign_between(subject, spki_der, not_before, not_after)
    }

    fn now_whole_seconds(&self) -> time::OffsetDateTime {
        let now = self.clock.now();
        now.replace_millisecond(0).unwrap_or(now)
    }

    /// Signs `spki_der` under `subject`, valid from `not_before` until `not_after`.
    fn sign_between(
        &self,
        subject: DistinguishedName,
        spki_der: &[u8],
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> Result<IssuedCertificate, PkiError> {
        let serial = ca::positive(self.entropy.rng("serial"));
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
