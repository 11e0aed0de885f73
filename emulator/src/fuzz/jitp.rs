//! JITP templates: the values fuzzed are certificate subjects, since a JITP device sends
//! nothing else (dataplane §3.4: the subject fields JITP injects as
//! `AWS::IoT::Certificate::<Field>`), and a failure is what AWS does with a JITP template
//! it cannot satisfy: the certificate stays PENDING_ACTIVATION, nothing else is created,
//! the connection is closed as every first JITP connection is, and the failure is counted
//! in the `ProvisionThing.ClientError` metric (dataplane §3.3). The device never sees an
//! error code, so a JITP class id reads `ProvisionThing.ClientError:<fault>:<shape>`
//! (`ServerError` for a 5xx), its `statusCode` the one RegisterThing's rejection carries.

use super::classify::{classify, Class};
use super::trace::Use;
use crate::registry::IotError;

/// The subject fields JITP injects, with the X.509 upper bound of each (RFC 5280
/// `ub-*`; none for dnQualifier). `Id` is injected too but is no subject field.
const SUBJECT: [(&str, Option<usize>); 7] = [
    ("CommonName", Some(64)),
    ("Country", Some(2)),
    ("Organization", Some(64)),
    ("OrganizationalUnit", Some(64)),
    ("DistinguishedNameQualifier", None),
    ("StateName", Some(128)),
    ("SerialNumber", Some(64)),
];

const PREFIX: &str = "AWS::IoT::Certificate::";

fn field(name: &str) -> Option<(&'static str, Option<usize>)> {
    let short = name.strip_prefix(PREFIX)?;
    SUBJECT.into_iter().find(|(f, _)| *f == short)
}

/// Whether `name` is a parameter JITP fills from the certificate subject.
pub fn is_subject(name: &str) -> bool {
    field(name).is_some()
}

/// Whether a template reads any subject field, or any other `AWS::IoT::Certificate::`
/// name (e.g. `::Locality`, which JITP never injects): a JITP template, then.
pub fn is_jitp_template(names: impl IntoIterator<Item = impl AsRef<str>>) -> bool {
    names.into_iter().any(|n| {
        let n = n.as_ref();
        n.starts_with(PREFIX) && n != crate::provisioning::template::CERTIFICATE_ID
    })
}

/// A value a CA would plausibly put in the field, when its uses ask nothing special.
pub(super) fn plausible(name: &str, uses: &[Use]) -> Option<String> {
    let (f, _) = field(name)?;
    let plain = uses.iter().all(|u| u.via.is_empty());
    match f {
        "Country" if plain => Some("US".into()),
        _ => None,
    }
}

/// The field's own boundaries: its X.509 length bound and one past it, one character,
/// and the two-letter shape of a country.
pub(super) fn extend(name: &str, list: &mut Vec<String>) {
    let Some((f, bound)) = field(name) else {
        return;
    };
    if let Some(n) = bound {
        list.push("a".repeat(n));
        list.push("a".repeat(n + 1));
    }
    list.push("a".into());
    if f == "Country" {
        list.extend(["US".into(), "us".into(), "USA".into()]);
    }
}

/// The JITP class of `error`.
pub fn classify_jitp(error: &IotError) -> Class {
    let mut class = classify(error);
    let metric = match class.status_code {
        500.. => "ProvisionThing.ServerError",
        _ => "ProvisionThing.ClientError",
    };
    class.id = format!(
        "{metric}:{}",
        class.id.split_once(':').map_or("", |(_, rest)| rest)
    );
    class.error_code = metric.into();
    class
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::ErrorKind;

    #[test]
    fn subject_fields_and_jitp_classes() {
        assert!(is_subject("AWS::IoT::Certificate::CommonName"));
        assert!(!is_subject("AWS::IoT::Certificate::Id"));
        assert!(!is_subject("AWS::IoT::Certificate::Locality"));
        assert!(is_jitp_template(["AWS::IoT::Certificate::Locality"]));
        assert!(!is_jitp_template([
            "AWS::IoT::Certificate::Id",
            "SerialNumber"
        ]));
        let e = IotError::new(
            ErrorKind::InvalidParameters,
            "Cannot resolve reference value: AWS::IoT::Certificate::Country",
        );
        let class = classify_jitp(&e);
        assert_eq!(
            class.id,
            "ProvisionThing.ClientError:Parameters.AWS::IoT::Certificate::Country:unresolved"
        );
        assert_eq!(class.status_code, 400);
    }
}
