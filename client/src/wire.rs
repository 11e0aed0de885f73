//! The fleet provisioning MQTT API on the wire: topics, request and response payloads
//! (JSON and CBOR), written from the AWS documentation, not shared with any server.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The `<fmt>` topic segment; it sets the encoding of the request and the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Cbor,
}

impl Format {
    /// The topic segment, `json` or `cbor`.
    pub fn segment(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Cbor => "cbor",
        }
    }

    /// Encodes `value` in this format.
    pub fn encode<T: Serialize>(self, value: &T) -> Result<Vec<u8>, WireError> {
        match self {
            Format::Json => serde_json::to_vec(value).map_err(|e| WireError(e.to_string())),
            Format::Cbor => {
                let mut out = Vec::new();
                ciborium::into_writer(value, &mut out).map_err(|e| WireError(e.to_string()))?;
                Ok(out)
            }
        }
    }

    /// Decodes a payload in this format.
    pub fn decode<T: DeserializeOwned>(self, payload: &[u8]) -> Result<T, WireError> {
        match self {
            Format::Json => serde_json::from_slice(payload).map_err(|e| WireError(e.to_string())),
            Format::Cbor => ciborium::from_reader(payload).map_err(|e| WireError(e.to_string())),
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "json" => Ok(Format::Json),
            "cbor" => Ok(Format::Cbor),
            other => Err(format!("unknown payload format {other:?} (json or cbor)")),
        }
    }
}

/// A payload that does not decode as the documented shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WireError(pub String);

/// One of the three fleet provisioning operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    CreateKeysAndCertificate,
    CreateCertificateFromCsr,
    RegisterThing { template_name: String },
}

impl Operation {
    /// The AWS name of the operation, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::CreateKeysAndCertificate => "CreateKeysAndCertificate",
            Operation::CreateCertificateFromCsr => "CreateCertificateFromCsr",
            Operation::RegisterThing { .. } => "RegisterThing",
        }
    }

    /// The topic the device publishes the request on.
    pub fn request_topic(&self, format: Format) -> String {
        let fmt = format.segment();
        match self {
            Operation::CreateKeysAndCertificate => format!("$aws/certificates/create/{fmt}"),
            Operation::CreateCertificateFromCsr => {
                format!("$aws/certificates/create-from-csr/{fmt}")
            }
            Operation::RegisterThing { template_name } => {
                format!("$aws/provisioning-templates/{template_name}/provision/{fmt}")
            }
        }
    }

    /// The topic AWS answers on when the request succeeds.
    pub fn accepted_topic(&self, format: Format) -> String {
        format!("{}/accepted", self.request_topic(format))
    }

    /// The topic AWS answers on when the request fails.
    pub fn rejected_topic(&self, format: Format) -> String {
        format!("{}/rejected", self.request_topic(format))
    }
}

/// CreateKeysAndCertificate request: AWS accepts an empty object (and an empty payload).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeysAndCertificateRequest {}

/// CreateKeysAndCertificate accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateKeysAndCertificateResponse {
    pub certificate_id: String,
    pub certificate_pem: String,
    pub private_key: String,
    pub certificate_ownership_token: String,
}

/// CreateCertificateFromCsr request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCertificateFromCsrRequest {
    pub certificate_signing_request: String,
}

/// CreateCertificateFromCsr accepted: no private key, the device keeps its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCertificateFromCsrResponse {
    pub certificate_id: String,
    pub certificate_pem: String,
    pub certificate_ownership_token: String,
}

/// RegisterThing request; `parameters` is left out when there are none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterThingRequest {
    pub certificate_ownership_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
}

/// RegisterThing accepted. AWS sends `deviceConfiguration: {}` when the template has
/// none; whether `thingName` is present without a thing resource is unconfirmed, so it
/// is optional here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterThingResponse {
    #[serde(default)]
    pub device_configuration: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thing_name: Option<String>,
}

/// The `/rejected` payload of every operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    pub status_code: u16,
    pub error_code: String,
    pub error_message: String,
}

/// The credentials provider's 200 body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsResponse {
    pub credentials: Credentials,
}

/// Temporary AWS credentials; `expiration` is ISO-8601 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: String,
}

/// The credentials provider's error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsError {
    pub message: String,
}

#[cfg(test)]
mod tests;
