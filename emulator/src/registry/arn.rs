//! The account and region, their partition, and the one place resource ARNs are built.

use serde::{Deserialize, Serialize};

/// The AWS account and region the emulator pretends to be.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub region: String,
    pub account_id: String,
}

/// The partition a region belongs to: `cn-*` is `aws-cn`, `us-gov-*` is `aws-us-gov`,
/// everything else `aws`.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The DNS suffix of a region's endpoints: `amazonaws.com.cn` in China, else
/// `amazonaws.com`.
pub fn dns_suffix(region: &str) -> &'static str {
    match partition_of(region) {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    }
}

impl Account {
    /// The partition of this account's region.
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    /// `arn:<partition>:iot:<region>:<account>`, the prefix of every IoT ARN here.
    pub fn iot_prefix(&self) -> String {
        format!(
            "arn:{}:iot:{}:{}",
            self.partition(),
            self.region,
            self.account_id
        )
    }

    /// `arn:<partition>:iot:<region>:<account>:<kind>/<name>`.
    pub fn arn(&self, kind: &str, name: &str) -> String {
        format!("{}:{kind}/{name}", self.iot_prefix())
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
    pub fn rule_arn(&self, name: &str) -> String {
        self.arn("rule", name)
    }

    /// Splits an IoT ARN of this partition and region into `(kind, name)`: another
    /// region's resource is not this region's to name.
    pub fn parse_arn<'a>(&self, arn: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = arn
            .strip_prefix("arn:")?
            .strip_prefix(self.partition())?
            .strip_prefix(":iot:")?;
        let mut parts = rest.splitn(3, ':');
        if parts.next()? != self.region {
            return None;
        }
        let _account = parts.next()?;
        parts.next()?.split_once('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(region: &str) -> Account {
        Account {
            region: region.into(),
            account_id: "111122223333".into(),
        }
    }

    #[test]
    fn arns_follow_the_region_partition() {
        let cn = account("cn-north-1");
        assert_eq!(
            cn.thing_arn("t"),
            "arn:aws-cn:iot:cn-north-1:111122223333:thing/t"
        );
        assert_eq!(cn.parse_arn(&cn.cert_arn("c")), Some(("cert", "c")));
        assert_eq!(cn.parse_arn("arn:aws:iot:cn-north-1:1:cert/c"), None);
        assert_eq!(cn.parse_arn("arn:aws-cn:iot:cn-northwest-1:1:cert/c"), None);
        let gov = account("us-gov-west-1");
        assert!(gov.policy_arn("p").starts_with("arn:aws-us-gov:iot:"));
        assert_eq!(account("ap-northeast-1").partition(), "aws");
        assert_eq!(dns_suffix("cn-northwest-1"), "amazonaws.com.cn");
        assert_eq!(dns_suffix("us-gov-east-1"), "amazonaws.com");
    }
}
