//! Temporary AWS credentials the credentials provider has handed out, kept so that tests
//! and users can see which role each device obtained, and until when.

use serde::{Deserialize, Serialize};

use super::{IotResult, Registry};

/// One issue of credentials, keyed by access key id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub role_alias: String,
    pub role_arn: String,
    pub certificate_id: String,
    /// The `x-amzn-iot-thingname` the device sent, if any.
    pub thing_name: Option<String>,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

impl Registry {
    /// Records credentials before they are returned (so none is ever handed out unseen).
    pub fn record_issued_credentials(&self, issued: IssuedCredentials) -> IotResult<()> {
        self.write(|inner, tx| {
            let key = issued.access_key_id.clone();
            inner.issued_credentials.put(tx, key, issued);
            Ok(())
        })
    }

    /// Every issue, oldest first.
    pub fn list_issued_credentials(&self) -> Vec<IssuedCredentials> {
        let mut all: Vec<IssuedCredentials> =
            self.read(|inner| inner.issued_credentials.values().cloned().collect());
        all.sort_by(|a, b| {
            (a.issued_at_ms, &a.access_key_id).cmp(&(b.issued_at_ms, &b.access_key_id))
        });
        all
    }
}
