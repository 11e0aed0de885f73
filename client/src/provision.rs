//! Fleet provisioning over MQTT: CreateKeysAndCertificate, CreateCertificateFromCsr and
//! RegisterThing on one connection, one request at a time, and the claim flow that
//! chains them into a provisioned device.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ClientError, Result};
use crate::mqtt::{Connection, MqttConfig, Qos};
use crate::store::Device;
use crate::tls::Identity;
use crate::wire::{
    CreateCertificateFromCsrRequest, CreateCertificateFromCsrResponse,
    CreateKeysAndCertificateRequest, CreateKeysAndCertificateResponse, ErrorResponse, Format,
    Operation, RegisterThingRequest, RegisterThingResponse,
};

/// The provisioning API on an open connection.
pub struct Provisioner<'a> {
    connection: &'a mut Connection,
    format: Format,
}

impl<'a> Provisioner<'a> {
    pub fn new(connection: &'a mut Connection, format: Format) -> Self {
        Provisioner { connection, format }
    }

    /// CreateKeysAndCertificate: AWS generates the key pair.
    pub async fn create_keys_and_certificate(
        &mut self,
    ) -> Result<CreateKeysAndCertificateResponse> {
        let request = CreateKeysAndCertificateRequest {};
        self.call(Operation::CreateKeysAndCertificate, &request)
            .await
    }

    /// CreateCertificateFromCsr: the device keeps its private key.
    pub async fn create_certificate_from_csr(
        &mut self,
        csr_pem: &str,
    ) -> Result<CreateCertificateFromCsrResponse> {
        let request = CreateCertificateFromCsrRequest {
            certificate_signing_request: csr_pem.to_string(),
        };
        self.call(Operation::CreateCertificateFromCsr, &request)
            .await
    }

    /// RegisterThing with `template_name`, the ownership token and parameters.
    pub async fn register_thing(
        &mut self,
        template_name: &str,
        token: &str,
        parameters: Option<BTreeMap<String, String>>,
    ) -> Result<RegisterThingResponse> {
        let request = RegisterThingRequest {
            certificate_ownership_token: token.to_string(),
            parameters,
        };
        let op = Operation::RegisterThing {
            template_name: template_name.to_string(),
        };
        self.call(op, &request).await
    }

    /// Subscribes to both answers, publishes the request, waits for one answer, then
    /// unsubscribes (as the AWS SDK does).
    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &mut self,
        op: Operation,
        request: &Req,
    ) -> Result<Resp> {
        let (accepted, rejected) = (
            op.accepted_topic(self.format),
            op.rejected_topic(self.format),
        );
        let payload = self
            .format
            .encode(request)
            .map_err(|error| ClientError::Payload {
                topic: op.request_topic(self.format),
                error,
            })?;
        let c = &mut *self.connection;
        let name = op.name();
        let topic = op.request_topic(self.format);
        c.subscribe(&accepted, Qos::AtLeastOnce)
            .await
            .map_err(during(name, "subscribing to", &accepted))?;
        c.subscribe(&rejected, Qos::AtLeastOnce)
            .await
            .map_err(during(name, "subscribing to", &rejected))?;
        c.publish(&topic, payload, Qos::AtLeastOnce)
            .await
            .map_err(during(name, "publishing to", &topic))?;
        let answer = c
            .recv_on(&[&accepted, &rejected])
            .await
            .map_err(during(name, "awaiting", &accepted))?;
        c.unsubscribe(&accepted).await?;
        c.unsubscribe(&rejected).await?;
        let decode_error = |error| ClientError::Payload {
            topic: answer.topic.clone(),
            error,
        };
        if answer.topic == rejected {
            let e: ErrorResponse = self.format.decode(&answer.payload).map_err(decode_error)?;
            return Err(ClientError::Rejected {
                operation: op.name(),
                status_code: e.status_code,
                error_code: e.error_code,
                error_message: e.error_message,
            });
        }
        self.format.decode(&answer.payload).map_err(decode_error)
    }
}

/// Adds the step to a lost connection: AWS closes the connection of a client whose
/// policy denies a publish or subscribe, so that is the usual cause.
fn during<'a>(
    op: &'a str,
    step: &'a str,
    topic: &'a str,
) -> impl Fn(ClientError) -> ClientError + 'a {
    move |e| match e {
        ClientError::Disconnected(reason) => ClientError::Disconnected(format!(
            "{reason} while {step} {topic} for {op} (does the policy allow it?)"
        )),
        other => other,
    }
}

/// How the new certificate is made.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KeySource {
    /// CreateKeysAndCertificate.
    #[default]
    AwsGenerated,
    /// CreateCertificateFromCsr with a fresh P-256 key; the CSR's CN is this name.
    Csr { common_name: String },
}

/// Everything a claim (or trusted-user) provisioning run needs.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// Connection settings carrying the claim certificate as identity.
    pub mqtt: MqttConfig,
    pub template_name: String,
    pub parameters: BTreeMap<String, String>,
    pub keys: KeySource,
    pub format: Format,
}

/// Connects with the claim certificate, creates a certificate, registers the thing, and
/// returns the provisioned device (not yet saved).
pub async fn provision_by_claim(request: &ClaimRequest) -> Result<Device> {
    let mut connection = Connection::connect(&request.mqtt).await?;
    let result = run_claim(&mut connection, request).await;
    connection.disconnect().await;
    result
}

async fn run_claim(connection: &mut Connection, request: &ClaimRequest) -> Result<Device> {
    let mut api = Provisioner::new(connection, request.format);
    let (certificate_id, identity, token) = match &request.keys {
        KeySource::AwsGenerated => {
            let made = api.create_keys_and_certificate().await?;
            let identity = Identity {
                cert_pem: made.certificate_pem,
                key_pem: made.private_key,
            };
            (
                made.certificate_id,
                identity,
                made.certificate_ownership_token,
            )
        }
        KeySource::Csr { common_name } => {
            let (csr_pem, key_pem) = generate_csr(common_name)?;
            let made = api.create_certificate_from_csr(&csr_pem).await?;
            let identity = Identity {
                cert_pem: made.certificate_pem,
                key_pem,
            };
            (
                made.certificate_id,
                identity,
                made.certificate_ownership_token,
            )
        }
    };
    let parameters = (!request.parameters.is_empty()).then(|| request.parameters.clone());
    let registered = api
        .register_thing(&request.template_name, &token, parameters)
        .await?;
    Ok(Device {
        certificate_id,
        identity,
        thing_name: registered.thing_name,
        device_configuration: registered.device_configuration,
    })
}

/// A fresh EC P-256 key and a PEM CSR whose subject is `CN=<common_name>`.
pub fn generate_csr(common_name: &str) -> Result<(String, String)> {
    let fail = |e: rcgen::Error| ClientError::Config(format!("cannot make a CSR: {e}"));
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let csr = params.serialize_request(&key).map_err(fail)?;
    Ok((csr.pem().map_err(fail)?, key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_is_pem_with_a_pkcs8_key() {
        let (csr, key) = generate_csr("bulb-0003").unwrap();
        assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    }
}
