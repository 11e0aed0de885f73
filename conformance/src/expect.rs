//! JSONPath assertions on payloads (jsonpath-rust), with messages that show the document.

use jsonpath_rust::JsonPath;
use serde_json::Value;

/// Every value `path` selects in `doc`; a malformed path panics with its error.
pub fn select<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    doc.query(path)
        .unwrap_or_else(|e| panic!("bad JSONPath {path}: {e}"))
}

/// `path` selects exactly one value, equal to `expected`.
#[track_caller]
pub fn equals(doc: &Value, path: &str, expected: Value) {
    let found = select(doc, path);
    assert_eq!(found, vec![&expected], "{path} in {doc}");
}

/// `path` selects exactly one string, and `check` accepts it.
#[track_caller]
pub fn string_where(doc: &Value, path: &str, what: &str, check: impl Fn(&str) -> bool) {
    let found = select(doc, path);
    let [Value::String(s)] = found.as_slice() else {
        panic!("{path} should be one string in {doc}, found {found:?}");
    };
    assert!(check(s), "{path} should be {what}, got {s:?}");
}

/// `path` selects nothing.
#[track_caller]
pub fn absent(doc: &Value, path: &str) {
    let found = select(doc, path);
    assert!(found.is_empty(), "{path} should be absent from {doc}");
}

/// 64 lowercase hex digits: a certificate id.
pub fn is_certificate_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_nested_values() {
        let doc = json!({"thingName": "MyThing_0002", "deviceConfiguration": {"MyDeviceOption": "Normal"}});
        equals(
            &doc,
            "$.deviceConfiguration.MyDeviceOption",
            json!("Normal"),
        );
        string_where(&doc, "$.thingName", "a MyThing_", |s| {
            s.starts_with("MyThing_")
        });
        absent(&doc, "$.privateKey");
        assert!(is_certificate_id(&"a".repeat(64)));
        assert!(!is_certificate_id(&"A".repeat(64)));
    }
}
