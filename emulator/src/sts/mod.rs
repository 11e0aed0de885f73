//! STS, as far as the emulator has it: who the caller is. It knows the account and the
//! partition and nothing else; the query front end ([`crate::query`]) carries it.

use crate::registry::arn::partition_of;

/// What GetCallerIdentity answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// The STS engine: the account and the partition its ARNs are in.
#[derive(Debug, Clone)]
pub struct Sts {
    account_id: String,
    partition: &'static str,
}

impl Sts {
    pub fn new(account_id: &str, region: &str) -> Self {
        Sts {
            account_id: account_id.to_string(),
            partition: partition_of(region),
        }
    }

    /// The caller, whatever key signed the request.
    ///
    /// Emulator choice (AWS has no equivalent): the emulator does not check signatures,
    /// so every caller is the account's root user. AWS answers root credentials with
    /// `Arn` `arn:<partition>:iam::<account>:root` and `UserId` equal to the account id;
    /// the emulator answers exactly that, which keeps `Account`, `Arn` and `UserId`
    /// consistent with one another.
    pub fn caller_identity(&self) -> CallerIdentity {
        CallerIdentity {
            account: self.account_id.clone(),
            arn: format!("arn:{}:iam::{}:root", self.partition, self.account_id),
            user_id: self.account_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_is_the_root_of_the_account_in_the_region_partition() {
        let id = Sts::new("111122223333", "cn-north-1").caller_identity();
        assert_eq!(id.arn, "arn:aws-cn:iam::111122223333:root");
        assert_eq!(id.user_id, "111122223333");
        assert_eq!(id.account, "111122223333");
    }
}
