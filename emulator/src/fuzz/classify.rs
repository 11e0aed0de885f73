//! Failure classes: an error is classified by the code a device gets on `/rejected` (the
//! emulator's own MQTT mapping), the field or function at fault, and the shape of the
//! message with the offending values masked. A class id reads
//! `<errorCode>:<fault>:<shape>`, e.g. `InvalidParameters:thingName:pattern`.

use crate::mqtt::fleet::rejection;
use crate::registry::IotError;

/// One way a case fails.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Class {
    /// `<errorCode>:<fault>:<shape>`: what `--allow` takes.
    pub id: String,
    /// The `/rejected` `errorCode`.
    pub error_code: String,
    /// The `/rejected` `statusCode`.
    pub status_code: u16,
    /// The field, parameter, mapping or hook at fault.
    pub fault: String,
    /// The message with the case's values masked as `…`.
    pub pattern: String,
}

/// The class of `error`.
pub fn classify(error: &IotError) -> Class {
    let (status_code, error_code) = rejection(error.kind);
    classify_reply(status_code, error_code, &error.message)
}

/// The classification of a `/rejected` reply seen live.
pub fn classify_reply(status_code: u16, error_code: &str, message: &str) -> Class {
    let (fault, shape, pattern) = describe(message);
    Class {
        id: format!("{error_code}:{fault}:{shape}"),
        error_code: error_code.to_string(),
        status_code,
        fault,
        pattern,
    }
}

/// `(fault, shape, pattern)` of a message.
fn describe(message: &str) -> (String, String, String) {
    if let Some(v) = validation(message) {
        return v;
    }
    if let Some(name) = message.strip_prefix("Cannot resolve reference value: ") {
        let pattern = "Cannot resolve reference value: <name>".to_string();
        return (format!("Parameters.{name}"), "unresolved".into(), pattern);
    }
    if let Some(rest) = message.strip_prefix("Fn::FindInMap cannot find the value for [") {
        let map = rest.split(',').next().unwrap_or_default().trim();
        let pattern = format!("Fn::FindInMap cannot find the value for [{map}, …, …] in Mappings");
        return (format!("Mappings.{map}"), "missing-key".into(), pattern);
    }
    if message.starts_with("Fn::Select") {
        let shape = match () {
            _ if message.contains("out of bounds") => "out-of-bounds",
            _ if message.contains("null") => "null",
            _ => "bad-index",
        };
        return ("Fn::Select".into(), shape.into(), mask(message));
    }
    if message.starts_with("The pre-provisioning hook") {
        let shape = match () {
            _ if message.contains("did not allow") => "denied",
            _ if message.contains("timed out") => "timeout",
            _ if message.contains("invalid response") => "invalid-response",
            _ if message.contains("no local binding") => "unbound",
            _ => "failed",
        };
        let pattern = format!("The pre-provisioning hook … {shape}");
        return ("preProvisioningHook".into(), shape.into(), pattern);
    }
    if let Some(v) = not_found(message) {
        return v;
    }
    let pattern = mask(message);
    ("template".into(), slug(&pattern), pattern)
}

/// AWS's model-validation message: `Value '…' at '<field>' failed to satisfy constraint: …`.
fn validation(message: &str) -> Option<(String, String, String)> {
    let rest = message.strip_prefix("1 validation error detected: Value '")?;
    let at = rest.rfind("' at '")?;
    let after = &rest[at + 6..];
    let field = after.split('\'').next()?.to_string();
    let constraint = after.split("constraint: ").nth(1).unwrap_or_default();
    let shape = if constraint.contains("length") {
        "length"
    } else {
        "pattern"
    };
    let pattern = format!("1 validation error detected: Value '…' at '{field}' failed to satisfy constraint: {constraint}");
    Some((field, shape.into(), pattern))
}

/// `<Kind> <name> cannot be found.` from the registry's existence checks.
fn not_found(message: &str) -> Option<(String, String, String)> {
    let head = message.strip_suffix(" cannot be found.")?;
    let fault = [
        ("Thing group ", "thingGroupName"),
        ("Thing type ", "thingTypeName"),
        ("Billing group ", "billingGroupName"),
        ("Policy ", "policyName"),
    ]
    .into_iter()
    .find(|(prefix, _)| head.starts_with(prefix))?;
    let pattern = format!("{}… cannot be found.", fault.0);
    Some((fault.1.into(), "not-found".into(), pattern))
}

/// Quoted text and numbers masked.
fn mask(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    let mut last_digit = false;
    for c in message.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
                if quoted {
                    out.push('…');
                }
            }
            _ if quoted => {}
            d if d.is_ascii_digit() => {
                if !last_digit {
                    out.push('N');
                }
            }
            _ => out.push(c),
        }
        last_digit = c.is_ascii_digit() && !quoted;
    }
    out
}

/// A short lower-case id from a message pattern.
fn slug(pattern: &str) -> String {
    let words: Vec<String> = pattern
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && *w != "N")
        .take(6)
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::ErrorKind;

    fn id(message: &str) -> String {
        classify(&IotError::new(ErrorKind::InvalidParameters, message)).id
    }

    #[test]
    fn messages_become_stable_class_ids() {
        let v = "1 validation error detected: Value 'a b' at 'thingName' failed to satisfy constraint: Member must satisfy regular expression pattern";
        assert_eq!(id(v), "InvalidParameters:thingName:pattern");
        let find =
            "Fn::FindInMap cannot find the value for [LocationTable, X, LocationUrl] in Mappings";
        assert_eq!(
            id(find),
            "InvalidParameters:Mappings.LocationTable:missing-key"
        );
        assert_eq!(
            id("Cannot resolve reference value: SerialNumber"),
            "InvalidParameters:Parameters.SerialNumber:unresolved"
        );
        assert_eq!(mask("index 12 of 'x y'"), "index N of '…'");
    }
}
