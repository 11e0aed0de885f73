//! The account and region, and the one place resource ARNs are built.

use serde::{Deserialize, Serialize};

/// The AWS account and region the emulator pretends to be.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub region: String,
    pub account_id: String,
}

impl Account {
    /// `arn:aws:iot:<region>:<account>:<kind>/<name>`.
    pub fn arn(&self, kind: &str, name: &str) -> String {
        format!(
            "arn:aws:iot:{}:{}:{}/{}",
            self.region, self.account_id, kind, name
        )
    }

    pub fn cert_arn(&self, id: &str) -> String {
        self.arn("cert", id)
    }
    pub fn cacert_arn(&self, id: &str) -> String {
        self.arn("cacert", id)
    }
    pub fn thing_arn(&self, name: &str) -> String {
        self.arn("thing", name)
    }
    pub fn thing_type_arn(&self, name: &str) -> String {
        self.arn("thingtype", name)
    }
    pub fn thing_group_arn(&self, name: &str) -> String {
        self.arn("thinggroup", name)
    }
    pub fn policy_arn(&self, name: &str) -> String {
        self.arn("policy", name)
    }
    pub fn role_alias_arn(&self, alias: &str) -> String {
        self.arn("rolealias", alias)
    }
    pub fn template_arn(&self, name: &str) -> String {
        self.arn("provisioningtemplate", name)
    }

    /// Splits an IoT ARN of this account into `(kind, name)`.
    pub fn parse_arn<'a>(&self, arn: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = arn.strip_prefix("arn:aws:iot:")?;
        let mut parts = rest.splitn(3, ':');
        let _region = parts.next()?;
        let _account = parts.next()?;
        parts.next()?.split_once('/')
    }
}
