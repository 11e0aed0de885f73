//! Name and value checks from the AWS model's patterns and lengths.

use super::{IotError, IotResult};

/// `[a-zA-Z0-9:_-]+`, 1..=128: thing, thing type and thing group names.
pub fn thing_name(field: &str, value: &str) -> IotResult<()> {
    pattern(field, value, 1, 128, |c| {
        c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-')
    })
}

/// `[\w+=,.@-]+`, 1..=128: policy names.
pub fn policy_name(value: &str) -> IotResult<()> {
    pattern("policyName", value, 1, 128, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
    })
}

/// `^[0-9A-Za-z_-]+$`, 1..=36: provisioning template names.
pub fn template_name(value: &str) -> IotResult<()> {
    pattern("templateName", value, 1, 36, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
    })
}

/// `[\w=,@-]+`, 1..=128: role alias names.
pub fn role_alias(value: &str) -> IotResult<()> {
    pattern("roleAlias", value, 1, 128, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '=' | ',' | '@' | '-')
    })
}

/// 64 hex characters: certificate ids.
pub fn certificate_id(field: &str, value: &str) -> IotResult<()> {
    pattern(field, value, 64, 64, |c| c.is_ascii_hexdigit())
}

/// Checks `value` against a length range and a per-character rule, with AWS's message.
pub fn pattern(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> IotResult<()> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(IotError::invalid(format!(
            "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must have length between {min} and {max}"
        )));
    }
    if !value.chars().all(allowed) {
        return Err(IotError::invalid(format!(
            "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aws_patterns() {
        assert!(thing_name("thingName", "Fleet_Provisioned_1:a-b").is_ok());
        assert!(thing_name("thingName", "bad name").is_err());
        assert!(thing_name("thingName", "").is_err());
        assert!(thing_name("thingName", &"x".repeat(129)).is_err());
        assert!(template_name(&"t".repeat(37)).is_err());
        assert!(policy_name("a.b@c=d").is_ok());
        assert!(certificate_id("certificateId", &"a".repeat(64)).is_ok());
        assert!(certificate_id("certificateId", "zz").is_err());
    }
}
