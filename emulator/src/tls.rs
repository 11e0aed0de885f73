//! TLS shared by the listeners: the server certificate, the rustls configuration and the
//! client-certificate verifier (any chain is accepted; the registry decides afterwards),
//! and [`RegionTls`], which picks the region of a connection by its SNI name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, PeerMisbehaved, SignatureScheme,
};

use crate::bootstrap::StartError;
use tokio::net::TcpStream;

use crate::pki::parse::{subject_key, SubjectKey};
use crate::regions::{region_of_host, Regions};
use crate::state::Emulator;

/// ALPN protocol AWS IoT clients send on port 443.
pub const ALPN_MQTT: &[u8] = b"x-amzn-mqtt-ca";
/// ALPN protocol of HTTPS clients (the credentials provider speaks HTTP/1.1 only).
pub const ALPN_HTTP1: &[u8] = b"http/1.1";

/// The hostnames and addresses the server certificate covers.
pub fn server_hosts(emulator: &Emulator) -> Vec<String> {
    let e = &emulator.endpoints;
    vec![
        "localhost".into(),
        "127.0.0.1".into(),
        "::1".into(),
        e.data.clone(),
        e.data_ats.clone(),
        e.credentials.clone(),
        e.jobs.clone(),
    ]
}

/// Requires a client certificate and accepts any chain: whether the certificate may
/// connect is decided after the handshake, against the registry (as AWS does, the
/// handshake itself never fails for an unknown certificate). The handshake signatures
/// are still verified, so the client proves it holds the certificate's private key; that
/// works for X.509 v1 certificates too ([`client_key`]).
#[derive(Debug)]
pub struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AnyClientCertificate {
    pub fn new(provider: &rustls::crypto::CryptoProvider) -> Self {
        AnyClientCertificate {
            algorithms: provider.signature_verification_algorithms,
        }
    }

    /// Checks the client's handshake signature against its certificate's public key, read
    /// with x509-parser ([`client_key`]) so that X.509 v1 certificates work too; the
    /// cryptography is the provider's (ring) verification algorithms, as rustls' own
    /// `verify_tls1x_signature` would use.
    fn verify(
        &self,
        cert: &[u8],
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
        version: Tls,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let unadvertised =
            rustls::Error::PeerMisbehaved(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme);
        if version == Tls::V13 && !allowed_in_tls13(scheme) {
            return Err(unadvertised);
        }
        let key = client_key(cert)?;
        let algorithms = self
            .algorithms
            .mapping
            .iter()
            .find(|(known, _)| *known == scheme)
            .map(|(_, algorithms)| *algorithms)
            .ok_or(unadvertised)?;
        // TLS 1.3 names one algorithm per scheme; TLS 1.2 does not bind the curve to the
        // scheme, so every algorithm of the scheme is a candidate for this key's type.
        let candidates = match version {
            Tls::V13 => &algorithms[..algorithms.len().min(1)],
            Tls::V12 => algorithms,
        };
        let algorithm = candidates
            .iter()
            .find(|alg| alg.public_key_alg_id().as_ref() == key.algorithm_id.as_slice())
            .ok_or(rustls::Error::InvalidCertificate(
                CertificateError::BadSignature,
            ))?;
        algorithm
            .verify_signature(&key.key, message, signature)
            .map(|()| HandshakeSignatureValid::assertion())
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadSignature))
    }
}

impl ClientCertVerifier for AnyClientCertificate {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify(cert, dss.scheme, message, dss.signature(), Tls::V12)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify(cert, dss.scheme, message, dss.signature(), Tls::V13)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The TLS version a handshake signature belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    V12,
    V13,
}

/// TLS 1.3 forbids PKCS#1 v1.5 and SHA-1 in CertificateVerify (RFC 8446 4.4.3, 4.2.3).
fn allowed_in_tls13(scheme: SignatureScheme) -> bool {
    !matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA1
            | SignatureScheme::ECDSA_SHA1_Legacy
            | SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
    )
}

/// The public key of a client certificate, of any X.509 version. rustls' own
/// `verify_tls1x_signature` go through webpki, which refuses v1 certificates (those
/// `openssl x509 -req` makes without an extension file, which AWS IoT accepts).
fn client_key(cert: &[u8]) -> Result<SubjectKey, rustls::Error> {
    subject_key(cert).ok_or(rustls::Error::InvalidCertificate(
        CertificateError::BadEncoding,
    ))
}

/// Whether a listener asks for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Mutual TLS: a client certificate is required ([`AnyClientCertificate`]).
    Certificate,
    /// Server authentication only (MQTT over WebSockets, which SigV4 authenticates).
    None,
}

/// A rustls server configuration on the ring provider, presenting the emulator's
/// server certificate and, for [`ClientAuth::Certificate`], requiring a client
/// certificate. `alpn` lists the protocols accepted when the client offers ALPN (not
/// offering ALPN is fine too): `x-amzn-mqtt-ca` for the broker, `http/1.1` for the
/// credentials provider and WebSockets.
pub fn server_config(
    emulator: &Emulator,
    alpn: &[&[u8]],
    client_auth: ClientAuth,
) -> Result<Arc<rustls::ServerConfig>, StartError> {
    let tls = |e: &dyn std::fmt::Display| StartError::Tls(e.to_string());
    let identity = emulator
        .pki
        .ca
        .server_identity(&server_hosts(emulator))
        .map_err(|e| tls(&e))?;
    let mut chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(identity.cert_chain_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| tls(&e))?;
    chain.push(CertificateDer::from(emulator.pki.ca.cert_der.clone()));
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).map_err(|e| tls(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?;
    let builder = match client_auth {
        ClientAuth::Certificate => {
            builder.with_client_cert_verifier(Arc::new(AnyClientCertificate::new(&provider)))
        }
        ClientAuth::None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| tls(&e))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// Every region's server configuration for one listener, the region chosen by the SNI
/// host name the client sends (see [`crate::regions::region_of_host`]) before the
/// handshake: each region presents a certificate for its own endpoint names. Without SNI,
/// or with a name that names no region (an IP address, `localhost`), `--region` applies.
#[derive(Clone)]
pub struct RegionTls {
    regions: Regions,
    alpn: &'static [&'static [u8]],
    client_auth: ClientAuth,
    configs: Arc<Mutex<HashMap<String, Arc<rustls::ServerConfig>>>>,
}

impl RegionTls {
    /// The mutual-TLS configurations of `regions`, offering `alpn`; the default region's
    /// is built now, so that a broken setup fails at start-up.
    pub fn new(regions: Regions, alpn: &'static [&'static [u8]]) -> Result<Self, StartError> {
        Self::with_client_auth(regions, alpn, ClientAuth::Certificate)
    }

    /// [`RegionTls::new`], asking for a client certificate or not.
    pub fn with_client_auth(
        regions: Regions,
        alpn: &'static [&'static [u8]],
        client_auth: ClientAuth,
    ) -> Result<Self, StartError> {
        let tls = RegionTls {
            regions,
            alpn,
            client_auth,
            configs: Default::default(),
        };
        let default = tls.regions.default_region().to_string();
        tls.config(&default, &tls.regions.default_emulator())?;
        Ok(tls)
    }

    fn config(
        &self,
        region: &str,
        emulator: &Emulator,
    ) -> Result<Arc<rustls::ServerConfig>, StartError> {
        let mut configs = self.configs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(config) = configs.get(region) {
            return Ok(config.clone());
        }
        let config = server_config(emulator, self.alpn, self.client_auth)?;
        configs.insert(region.to_string(), config.clone());
        Ok(config)
    }

    /// The TLS handshake on `socket`, in the region its SNI name selects. `None` when the
    /// handshake fails or the name is of an AWS IoT host in no valid region.
    pub async fn accept(
        &self,
        socket: TcpStream,
    ) -> Option<(String, Emulator, tokio_rustls::server::TlsStream<TcpStream>)> {
        let acceptor = rustls::server::Acceptor::default();
        let start = tokio_rustls::LazyConfigAcceptor::new(acceptor, socket)
            .await
            .ok()?;
        let sni = start.client_hello().server_name().map(str::to_string);
        let region = sni
            .as_deref()
            .and_then(region_of_host)
            .unwrap_or(self.regions.default_region())
            .to_string();
        let emulator = match self.regions.get(&region) {
            Ok(emulator) => emulator,
            Err(e) => {
                tracing::info!(%e, ?sni, "TLS connection for no region refused");
                return None;
            }
        };
        let config = match self.config(&region, &emulator) {
            Ok(config) => config,
            Err(e) => {
                tracing::warn!(%e, region, "no TLS configuration for the region");
                return None;
            }
        };
        let stream = start.into_stream(config).await.ok()?;
        Some((region, emulator, stream))
    }
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
