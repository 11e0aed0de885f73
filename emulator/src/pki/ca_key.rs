//! The root CA's signing key: ECDSA P-256 for a CA made now, RSA-2048 for one an older
//! data directory holds. P-256 signatures are deterministic (RFC 6979), so under `--seed`
//! every certificate the CA signs is the same bytes on every run.
//!
//! Why P-256: an RSA-2048 key derived from the seed costs 50 to 500 ms of prime search at
//! every fresh start; a P-256 key is one scalar. AWS itself serves an ECC P-256 root
//! (Amazon Root CA 3) beside its RSA one. Choice of ours, documented in the README: device
//! certificates are signed with ecdsa-with-SHA256, where AWS's issuer signs with RSA.

use p256::ecdsa::signature::Signer;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rcgen::{KeyPair, PublicKeyData, SignatureAlgorithm, SigningKey};

use super::PkiError;
use crate::basis::Entropy;

/// Entropy domain of the P-256 CA key.
const DOMAIN: &str = "root-ca-p256";

/// A CA signing key.
#[derive(Debug)]
pub enum CaKey {
    /// P-256 with the SEC1 uncompressed public point.
    Ecdsa {
        key: p256::ecdsa::SigningKey,
        public: Vec<u8>,
    },
    /// RSA-2048, PKCS#1 v1.5 with SHA-256 (CAs created before P-256 was the default).
    Rsa(KeyPair),
}

fn fail(e: impl std::fmt::Display) -> PkiError {
    PkiError::Internal(e.to_string())
}

impl CaKey {
    /// The P-256 key that derives from `entropy`'s seed alone.
    pub fn derive(entropy: &Entropy) -> Self {
        let secret = p256::SecretKey::random(&mut entropy.rng_at(DOMAIN, 0));
        Self::ecdsa(p256::ecdsa::SigningKey::from(secret))
    }

    fn ecdsa(key: p256::ecdsa::SigningKey) -> Self {
        let public = key
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        CaKey::Ecdsa { key, public }
    }

    /// Reads a PKCS#8 PEM key: P-256, or the RSA key of an older CA.
    pub fn from_pem(pem: &str) -> Result<Self, PkiError> {
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::ecdsa(key));
        }
        let rsa = KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).map_err(fail)?;
        Ok(CaKey::Rsa(rsa))
    }

    /// The key as PKCS#8 PEM, the form [`CaKey::from_pem`] reads.
    pub fn to_pem(&self) -> Result<String, PkiError> {
        match self {
            CaKey::Ecdsa { key, .. } => key
                .to_pkcs8_pem(LineEnding::LF)
                .map(|pem| pem.to_string())
                .map_err(fail),
            CaKey::Rsa(key) => Ok(key.serialize_pem()),
        }
    }
}

impl PublicKeyData for CaKey {
    fn der_bytes(&self) -> &[u8] {
        match self {
            CaKey::Ecdsa { public, .. } => public,
            CaKey::Rsa(key) => key.der_bytes(),
        }
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self {
            CaKey::Ecdsa { .. } => &rcgen::PKCS_ECDSA_P256_SHA256,
            CaKey::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

impl SigningKey for CaKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        match self {
            CaKey::Ecdsa { key, .. } => {
                let signature: p256::ecdsa::Signature = key.sign(msg);
                Ok(signature.to_der().as_bytes().to_vec())
            }
            CaKey::Rsa(key) => key.sign(msg),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::RootCa;

    #[test]
    fn seeded_keys_and_signatures_repeat() {
        let a = CaKey::derive(&Entropy::new(7));
        let b = CaKey::from_pem(&a.to_pem().expect("pem")).expect("reads back");
        assert_eq!(a.der_bytes(), b.der_bytes());
        assert_eq!(a.sign(b"tbs").ok(), b.sign(b"tbs").ok());
        let other = CaKey::derive(&Entropy::new(8));
        assert_ne!(a.der_bytes(), other.der_bytes());
    }

    /// Issues a leaf with `ca` and checks its signature against the CA certificate.
    fn issues_verifiable_leaves(ca: &RootCa) {
        let leaf_key = KeyPair::generate().expect("leaf key");
        let mut subject = rcgen::DistinguishedName::new();
        subject.push(rcgen::DnType::CommonName, "leaf");
        let now = time::OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("time");
        let pem = ca
            .issue(
                subject,
                &leaf_key.subject_public_key_info(),
                [1; 20],
                now,
                now,
            )
            .expect("issued");
        let der = crate::pki::parse::pem_to_der(&pem).expect("PEM");
        assert!(crate::pki::parse::is_signed_by(&der, &ca.cert_der));
    }

    #[test]
    fn a_seeded_p256_ca_is_the_same_bytes_and_signs() {
        let a = RootCa::generate(&Entropy::new(7)).expect("CA");
        let b = RootCa::generate(&Entropy::new(7)).expect("CA");
        assert_eq!((&a.cert_pem, &a.key_pem), (&b.cert_pem, &b.key_pem));
        assert!(a.key_pem.contains("BEGIN PRIVATE KEY"));
        issues_verifiable_leaves(&a);
    }

    #[test]
    fn an_rsa_ca_from_an_older_data_dir_still_loads_and_signs() {
        // The seeded RSA key CAs were made with before P-256.
        let rsa = super::super::keys::derive_key(&Entropy::new(1), u64::MAX);
        let key_pem = KeyPair::try_from(rsa.pkcs8_der.as_slice())
            .expect("pkcs8")
            .serialize_pem();
        let key = CaKey::from_pem(&key_pem).expect("RSA CA key");
        assert!(matches!(key, CaKey::Rsa(_)));
        let mut params = rcgen::CertificateParams::default();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("self-signed");
        let ca = RootCa::from_pem(&cert.pem(), &key_pem).expect("RSA CA");
        assert_eq!(ca.key_pem, key_pem);
        issues_verifiable_leaves(&ca);
    }
}
