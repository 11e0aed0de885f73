//! Input checks for provisioning templates, following the model's lengths, patterns and
//! enums, plus the shallow template-body check (deep checks belong to the template engine).

use serde_json::Value;

use super::ProvisioningHook;
use crate::registry::{IotError, IotResult};

/// The model's limit on `templateBody`.
pub const MAX_BODY_CHARS: usize = 10240;
/// The only payload version AWS documents; used when the hook names none.
pub const DEFAULT_PAYLOAD_VERSION: &str = "2020-04-01";
/// `type` values.
pub const FLEET_PROVISIONING: &str = "FLEET_PROVISIONING";
pub const JITP: &str = "JITP";

/// The value of a required member, or AWS's not-null validation error.
pub fn required<T>(field: &str, value: Option<T>) -> IotResult<T> {
    value.ok_or_else(|| {
        IotError::invalid(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// A length check whose message leaves the (possibly long) value out.
pub fn length(field: &str, value: &str, min: usize, max: usize) -> IotResult<()> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(IotError::invalid(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length between {min} and {max}"
        )));
    }
    Ok(())
}

/// `description`: 0..500 characters, pattern `[^\p{C}]*`.
pub fn description(value: &str) -> IotResult<()> {
    length("description", value, 0, 500)?;
    if value.chars().any(char::is_control) {
        return Err(IotError::invalid(format!(
            "1 validation error detected: Value '{value}' at 'description' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\p{{C}}]*"
        )));
    }
    Ok(())
}

/// `provisioningRoleArn`: 20..2048 characters.
pub fn role_arn(value: &str) -> IotResult<()> {
    length("provisioningRoleArn", value, 20, 2048)
}

/// `type`: FLEET_PROVISIONING (the default) or JITP.
pub fn template_type(value: Option<&str>) -> IotResult<String> {
    match value {
        None => Ok(FLEET_PROVISIONING.to_string()),
        Some(t @ (FLEET_PROVISIONING | JITP)) => Ok(t.to_string()),
        Some(other) => Err(IotError::invalid(format!(
            "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [FLEET_PROVISIONING, JITP]"
        ))),
    }
}

/// Checks a hook and fills in the default payload version. Hooks are Lambda functions on
/// fleet-provisioning templates only (dataplane §1.9); the messages are the emulator's.
pub fn hook(mut hook: ProvisioningHook, template_type: &str) -> IotResult<ProvisioningHook> {
    if template_type != FLEET_PROVISIONING {
        return Err(IotError::invalid(
            "Pre-provisioning hooks are only supported for FLEET_PROVISIONING templates",
        ));
    }
    length("preProvisioningHook.targetArn", &hook.target_arn, 1, 2048)?;
    if hook.target_arn.split(':').nth(2) != Some("lambda") || !hook.target_arn.starts_with("arn:") {
        return Err(IotError::invalid(format!(
            "Invalid pre-provisioning hook target {}: only AWS Lambda functions are supported",
            hook.target_arn
        )));
    }
    let version = hook
        .payload_version
        .take()
        .unwrap_or_else(|| DEFAULT_PAYLOAD_VERSION.to_string());
    crate::registry::validate::pattern(
        "preProvisioningHook.payloadVersion",
        &version,
        10,
        32,
        |c| c.is_ascii_digit() || c == '-',
    )?;
    hook.payload_version = Some(version);
    Ok(hook)
}

/// `templateBody`: at most 10240 characters, a JSON object with a `Resources` object.
pub fn body(body: &str) -> IotResult<()> {
    length("templateBody", body, 0, MAX_BODY_CHARS)?;
    let value: Value = serde_json::from_str(body)
        .map_err(|e| IotError::invalid(format!("The template body is not valid JSON: {e}")))?;
    let Value::Object(top) = value else {
        return Err(IotError::invalid("The template body must be a JSON object"));
    };
    match top.get("Resources") {
        Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(IotError::invalid(
            "The template body's Resources section must be a JSON object",
        )),
        None => Err(IotError::invalid(
            "The template body must contain a Resources section",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook_to(arn: &str, version: Option<&str>) -> ProvisioningHook {
        ProvisioningHook {
            target_arn: arn.into(),
            payload_version: version.map(str::to_string),
        }
    }

    #[test]
    fn bodies() {
        assert!(body(r#"{"Parameters": {}, "Resources": {}}"#).is_ok());
        for bad in ["", "not json", "[]", "{}", r#"{"Resources": []}"#] {
            assert!(body(bad).is_err(), "{bad}");
        }
        let big = format!(
            r#"{{"Resources": {{}}, "x": "{}"}}"#,
            "a".repeat(MAX_BODY_CHARS)
        );
        assert!(body(&big).is_err());
    }

    #[test]
    fn hooks() {
        let lambda = "arn:aws:lambda:us-east-1:123456789012:function:hook";
        let h = hook(hook_to(lambda, None), FLEET_PROVISIONING).unwrap();
        assert_eq!(h.payload_version.as_deref(), Some(DEFAULT_PAYLOAD_VERSION));
        assert!(hook(hook_to(lambda, None), JITP).is_err());
        assert!(hook(
            hook_to("arn:aws:sns:us-east-1:1:t", None),
            FLEET_PROVISIONING
        )
        .is_err());
        assert!(hook(hook_to(lambda, Some("2020")), FLEET_PROVISIONING).is_err());
        assert!(hook(hook_to(lambda, Some("2020-04-01x")), FLEET_PROVISIONING).is_err());
    }

    #[test]
    fn scalars() {
        assert_eq!(template_type(None).unwrap(), FLEET_PROVISIONING);
        assert!(template_type(Some("OTHER")).is_err());
        assert!(role_arn("arn:aws:iam::1:role/r").is_ok());
        assert!(role_arn("short").is_err());
        assert!(description("a\u{7}").is_err());
        assert!(required::<u8>("templateBody", None).is_err());
    }
}
