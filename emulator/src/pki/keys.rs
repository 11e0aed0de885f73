//! RSA-2048 key pairs for CreateKeysAndCertificate: derived from the seed under `--seed`
//! (reproducible, pure Rust), otherwise fresh from AWS-LC (about twice as fast).

use std::sync::Arc;

use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;

use super::PkiError;
use crate::basis::Entropy;

/// The entropy domain whose counter numbers derived keys.
pub(crate) const DOMAIN: &str = "rsa";
const BITS: usize = 2048;

/// A generated key in the encodings AWS returns.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// PKCS#1 `BEGIN RSA PRIVATE KEY` PEM.
    pub private_key_pem: String,
    /// SPKI `BEGIN PUBLIC KEY` PEM.
    pub public_key_pem: String,
    /// SPKI DER, for the certificate.
    pub public_key_der: Vec<u8>,
    /// PKCS#8 DER, for signing.
    pub pkcs8_der: Vec<u8>,
}

impl GeneratedKey {
    /// The encodings of a PKCS#8 DER private key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, PkiError> {
        let key = RsaPrivateKey::from_pkcs8_der(der)
            .map_err(|e| PkiError::Malformed(format!("pooled key: {e}")))?;
        Ok(encode(&key))
    }
}

/// Where a pool's keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Key number `i` derives only from the seed and `i` (`--seed`), so the pool's timing
    /// never changes which key a request receives.
    Derived(Arc<Entropy>),
    /// Fresh random keys from AWS-LC.
    Fresh,
}

impl KeySource {
    /// Makes key number `index` as PKCS#8 DER (`index` matters only when derived).
    pub fn make(&self, index: u64) -> Vec<u8> {
        match self {
            KeySource::Derived(entropy) => derive_key(entropy, index).pkcs8_der,
            KeySource::Fresh => fresh_pkcs8(),
        }
    }
}

/// Derives key number `index` of `entropy`'s RSA stream.
pub fn derive_key(entropy: &Entropy, index: u64) -> GeneratedKey {
    let mut rng = entropy.rng_at(DOMAIN, index);
    let key = RsaPrivateKey::new(&mut rng, BITS).expect("RSA-2048 generation cannot fail");
    encode(&key)
}

/// A fresh RSA-2048 key from AWS-LC, as PKCS#8 DER.
fn fresh_pkcs8() -> Vec<u8> {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA-2048 generation cannot fail");
    let der: Pkcs8V1Der<'static> = pair.as_der().expect("a generated key encodes");
    der.as_ref().to_vec()
}

fn encode(key: &RsaPrivateKey) -> GeneratedKey {
    let public = key.to_public_key();
    GeneratedKey {
        private_key_pem: key
            .to_pkcs1_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        public_key_pem: public.to_public_key_pem(LineEnding::LF).unwrap_or_default(),
        public_key_der: public
            .to_public_key_der()
            .map(|d| d.into_vec())
            .unwrap_or_default(),
        pkcs8_der: key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_keys_are_rsa_2048_and_distinct() {
        let a = GeneratedKey::from_pkcs8(&KeySource::Fresh.make(0)).unwrap();
        let b = GeneratedKey::from_pkcs8(&KeySource::Fresh.make(0)).unwrap();
        assert_ne!(a.private_key_pem, b.private_key_pem);
        assert!(a
            .private_key_pem
            .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        let key = RsaPrivateKey::from_pkcs8_der(&a.pkcs8_der).unwrap();
        assert_eq!(rsa::traits::PublicKeyParts::size(&key), BITS / 8);
    }

    #[test]
    fn derived_keys_round_trip_through_pkcs8() {
        let entropy = Arc::new(Entropy::new(7));
        let direct = derive_key(&entropy, 3);
        let pooled = GeneratedKey::from_pkcs8(&KeySource::Derived(entropy).make(3)).unwrap();
        assert_eq!(direct.private_key_pem, pooled.private_key_pem);
        assert_eq!(direct.public_key_der, pooled.public_key_der);
    }
}
