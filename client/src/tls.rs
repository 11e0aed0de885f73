//! TLS material: PEM certificates and keys into a rustls client configuration (ring
//! provider), the same for AWS (Amazon root CA) and the emulator (its root CA).

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, InconsistentKeys, RootCertStore};

use crate::error::{ClientError, Result};

/// The ALPN protocol AWS IoT requires for MQTT over port 443.
pub const MQTT_ALPN: &[u8] = b"x-amzn-mqtt-ca";

/// A device identity: certificate chain and private key, both PEM.
#[derive(Clone)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

impl Identity {
    /// Reads a certificate file and a key file.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Self> {
        Ok(Identity {
            cert_pem: read_text(cert)?,
            key_pem: read_text(key)?,
        })
    }
}

/// Reads a text file, naming it on failure.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|error| ClientError::Io {
        path: path.display().to_string(),
        error,
    })
}

/// A client configuration trusting only `ca_pem`, presenting `identity`, and offering
/// `alpn` when given.
pub fn client_config(
    ca_pem: &str,
    identity: &Identity,
    alpn: Option<&[u8]>,
) -> Result<Arc<ClientConfig>> {
    let roots = root_store(ca_pem)?;
    let chain = certificates(&identity.cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())
        .map_err(|e| ClientError::Config(format!("no usable private key in the key PEM: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certified = certified_key(chain, key, &provider)?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    if let Some(protocol) = alpn {
        config.alpn_protocols = vec![protocol.to_vec()];
    }
    Ok(Arc::new(config))
}

/// The chain and its key. rustls' `with_client_auth_cert` refuses a certificate webpki
/// cannot read, which includes X.509 v1 (what `openssl x509 -req` makes without an
/// extension file, and AWS IoT accepts); such a certificate is presented as it is, and
/// only a key that provably does not match is an error.
fn certified_key(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    provider: &CryptoProvider,
) -> Result<CertifiedKey> {
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| ClientError::Config(format!("unusable private key: {e}")))?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => Err(
            ClientError::Config("certificate and key do not match".into()),
        ),
        _ => Ok(certified),
    }
}

fn root_store(ca_pem: &str) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(ca_pem)? {
        roots
            .add(cert)
            .map_err(|e| ClientError::Config(format!("bad CA certificate: {e}")))?;
    }
    Ok(roots)
}

fn certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| ClientError::Config(format!("bad certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ClientError::Config("no certificate in the PEM".into()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed() -> Identity {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    #[test]
    fn builds_with_and_without_alpn() {
        let id = self_signed();
        let plain = client_config(&id.cert_pem, &id, None).unwrap();
        assert!(plain.alpn_protocols.is_empty());
        let alpn = client_config(&id.cert_pem, &id, Some(MQTT_ALPN)).unwrap();
        assert_eq!(alpn.alpn_protocols, vec![MQTT_ALPN.to_vec()]);
    }

    #[test]
    fn bad_material_is_a_config_error() {
        let id = self_signed();
        let no_key = Identity {
            key_pem: "nothing".into(),
            ..id.clone()
        };
        let cases = [
            ("not pem", id.clone()),
            (id.cert_pem.as_str(), no_key),
            (
                id.cert_pem.as_str(),
                Identity {
                    cert_pem: String::new(),
                    ..id.clone()
                },
            ),
        ];
        for (ca, identity) in cases {
            let err = client_config(ca, &identity, None).unwrap_err();
            assert!(matches!(err, ClientError::Config(_)), "{err}");
        }
    }
}
