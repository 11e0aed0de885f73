//! Role aliases for the credentials provider, and their operations.

use serde::{Deserialize, Serialize};

use super::{validate, Inner, IotError, IotResult, Registry};

/// `credentialDurationSeconds` when the request names none.
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;

/// A role alias, keyed by alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleAlias {
    pub role_alias: String,
    pub role_arn: String,
    pub credential_duration_seconds: u32,
    pub owner: String,
    pub creation_date_ms: i64,
    pub last_modified_date_ms: i64,
}

/// `roleArn`: 20..2048 characters.
fn check_role_arn(value: &str) -> IotResult<()> {
    validate::pattern("roleArn", value, 20, 2048, |_| true)
}

/// `credentialDurationSeconds`: 900..43200.
fn check_duration(value: u32) -> IotResult<()> {
    let bound = if value < 900 {
        "greater than or equal to 900"
    } else if value > 43200 {
        "less than or equal to 43200"
    } else {
        return Ok(());
    };
    Err(IotError::invalid(format!(
        "1 validation error detected: Value '{value}' at 'credentialDurationSeconds' failed to satisfy constraint: Member must have value {bound}"
    )))
}

fn existing<'a>(inner: &'a Inner, alias: &str) -> IotResult<&'a RoleAlias> {
    inner
        .role_aliases
        .get(alias)
        .ok_or_else(|| IotError::not_found(format!("Role alias {alias} does not exist")))
}

impl Registry {
    /// CreateRoleAlias. The IAM role is not checked: the emulator has no IAM.
    pub fn create_role_alias(
        &self,
        alias: &str,
        role_arn: Option<String>,
        duration: Option<u32>,
    ) -> IotResult<RoleAlias> {
        validate::role_alias(alias)?;
        let role_arn = role_arn.ok_or_else(|| {
            IotError::invalid("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
        })?;
        check_role_arn(&role_arn)?;
        let duration = duration.unwrap_or(DEFAULT_DURATION_SECONDS);
        check_duration(duration)?;
        let now = self.clock().now_ms();
        let arn = self.account().role_alias_arn(alias);
        let record = RoleAlias {
            role_alias: alias.to_string(),
            role_arn,
            credential_duration_seconds: duration,
            owner: self.account().account_id.clone(),
            creation_date_ms: now,
            last_modified_date_ms: now,
        };
        self.write(|inner, tx| {
            if inner.role_aliases.contains(alias) {
                return Err(IotError::already_exists(
                    format!("Role alias {alias} already exists"),
                    alias,
                    &arn,
                ));
            }
            inner.role_aliases.put(tx, alias, record.clone());
            Ok(record)
        })
    }

    /// The role alias `alias`, if it exists (for the credentials provider).
    pub fn role_alias(&self, alias: &str) -> Option<RoleAlias> {
        self.read(|inner| inner.role_aliases.get(alias).cloned())
    }

    /// DescribeRoleAlias.
    pub fn describe_role_alias(&self, alias: &str) -> IotResult<RoleAlias> {
        validate::role_alias(alias)?;
        self.read(|inner| existing(inner, alias).cloned())
    }

    /// UpdateRoleAlias: changes the members given.
    pub fn update_role_alias(
        &self,
        alias: &str,
        role_arn: Option<String>,
        duration: Option<u32>,
    ) -> IotResult<RoleAlias> {
        validate::role_alias(alias)?;
        if let Some(arn) = &role_arn {
            check_role_arn(arn)?;
        }
        if let Some(d) = duration {
            check_duration(d)?;
        }
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            let mut record = existing(inner, alias)?.clone();
            if let Some(arn) = role_arn {
                record.role_arn = arn;
            }
            if let Some(d) = duration {
                record.credential_duration_seconds = d;
            }
            record.last_modified_date_ms = now;
            inner.role_aliases.put(tx, alias, record.clone());
            Ok(record)
        })
    }

    /// DeleteRoleAlias.
    pub fn delete_role_alias(&self, alias: &str) -> IotResult<()> {
        validate::role_alias(alias)?;
        self.write(|inner, tx| {
            existing(inner, alias)?;
            inner.role_aliases.remove(tx, alias);
            super::tags::forget(inner, tx, &self.account().role_alias_arn(alias));
            Ok(())
        })
    }

    /// ListRoleAliases: aliases in name order (descending when `ascending` is false).
    pub fn list_role_aliases(&self, ascending: bool) -> Vec<String> {
        let mut names: Vec<String> =
            self.read(|inner| inner.role_aliases.iter().map(|(k, _)| k.clone()).collect());
        if !ascending {
            names.reverse();
        }
        names
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    use crate::registry::ErrorKind;

    const ROLE: &str = "arn:aws:iam::123456789012:role/DeviceRole";

    fn registry() -> Registry {
        crate::registry::testing::registry_at(5000)
    }

    #[test]
    fn full_cycle() {
        let reg = registry();
        let a = reg
            .create_role_alias("alias", Some(ROLE.into()), None)
            .unwrap();
        assert_eq!(
            (a.credential_duration_seconds, a.owner.as_str()),
            (3600, "123456789012")
        );
        let e = reg
            .create_role_alias("alias", Some(ROLE.into()), None)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceAlreadyExists);
        reg.create_role_alias("b", Some(ROLE.into()), Some(900))
            .unwrap();
        assert_eq!(reg.list_role_aliases(true), vec!["alias", "b"]);
        assert_eq!(reg.list_role_aliases(false), vec!["b", "alias"]);
        let u = reg.update_role_alias("alias", None, Some(43200)).unwrap();
        assert_eq!(
            (u.credential_duration_seconds, u.role_arn.as_str()),
            (43200, ROLE)
        );
        reg.delete_role_alias("alias").unwrap();
        assert_eq!(
            reg.describe_role_alias("alias").unwrap_err().kind,
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            reg.delete_role_alias("alias").unwrap_err().kind,
            ErrorKind::ResourceNotFound
        );
    }

    #[test]
    fn checks() {
        let reg = registry();
        let kind = |r: IotResult<RoleAlias>| r.unwrap_err().kind;
        assert_eq!(
            kind(reg.create_role_alias("a", None, None)),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            kind(reg.create_role_alias("a", Some("short".into()), None)),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            kind(reg.create_role_alias("a", Some(ROLE.into()), Some(899))),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            kind(reg.create_role_alias("a", Some(ROLE.into()), Some(43201))),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            kind(reg.create_role_alias("a b", Some(ROLE.into()), None)),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            kind(reg.update_role_alias("x", None, None)),
            ErrorKind::ResourceNotFound
        );
    }
}
