//! The request context of an IoT authorization: the keys policy variables and conditions
//! read (`iot:ClientId`, `iot:Connection.Thing.*`, `iot:Certificate.*`, `iot:CertificateId`,
//! connect-time keys such as `iot:ConnectAttributes`, `aws:CurrentTime`).

use std::collections::BTreeMap;

use super::certvars::CertificateVars;
use super::pattern::Variables;

/// The thing a connection is associated with (spec A.4: attached to the certificate, and
/// named by the client id unless the attachment is exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThingFacts {
    pub name: String,
    pub type_name: Option<String>,
    pub attributes: BTreeMap<String, String>,
}

/// Everything known about one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    pub client_id: Option<&'a str>,
    pub certificate_id: Option<&'a str>,
    /// The associated thing; `None` makes the thing variables unresolvable and
    /// `iot:Connection.Thing.IsAttached` false.
    pub thing: Option<&'a ThingFacts>,
    /// Whether thing keys exist at all (MQTT connections; not the HTTPS data plane).
    pub thing_keys: bool,
    pub certificate: Option<&'a CertificateVars>,
    /// Further keys, e.g. `iot:ConnectAttributes` at CONNECT or `aws:SourceIp`.
    pub extra: &'a [(String, Vec<String>)],
    pub now_ms: Option<i64>,
}

const THING_PREFIX: &str = "iot:Connection.Thing.";
const CERT_PREFIX: &str = "iot:Certificate.";

impl Variables for Context<'_> {
    fn values(&self, key: &str) -> Option<Vec<String>> {
        let one = |v: &str| Some(vec![v.to_string()]);
        if let Some(rest) = key.strip_prefix(THING_PREFIX) {
            return self.thing_key(rest);
        }
        if let Some(rest) = key.strip_prefix(CERT_PREFIX) {
            return self.certificate?.lookup(rest);
        }
        match key {
            "iot:ClientId" => self.client_id.and_then(one),
            "iot:CertificateId" => self.certificate_id.and_then(one),
            "aws:CurrentTime" => self.now_ms.and_then(iso_time).map(|t| vec![t]),
            "aws:EpochTime" => self.now_ms.map(|ms| vec![(ms / 1000).to_string()]),
            _ => self
                .extra
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone()),
        }
    }
}

impl Context<'_> {
    fn thing_key(&self, rest: &str) -> Option<Vec<String>> {
        if !self.thing_keys {
            return None;
        }
        if rest == "IsAttached" {
            return Some(vec![self.thing.is_some().to_string()]);
        }
        let thing = self.thing?;
        let value = match rest {
            "ThingName" => Some(thing.name.clone()),
            "ThingTypeName" => thing.type_name.clone(),
            _ => {
                let name = rest.strip_prefix("Attributes[")?.strip_suffix(']')?;
                thing.attributes.get(name).cloned()
            }
        };
        value.map(|v| vec![v])
    }
}

fn iso_time(ms: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_resolve_from_the_context() {
        let thing = ThingFacts {
            name: "t1".into(),
            type_name: None,
            attributes: BTreeMap::from([("serial".into(), "42".into())]),
        };
        let extra = vec![("iot:ConnectAttributes".to_string(), vec!["LastWill".into()])];
        let ctx = Context {
            client_id: Some("t1"),
            certificate_id: Some("abc"),
            thing: Some(&thing),
            thing_keys: true,
            extra: &extra,
            now_ms: Some(1_700_000_000_123),
            ..Context::default()
        };
        let one = |s: &str| Some(vec![s.to_string()]);
        assert_eq!(ctx.values("iot:ClientId"), one("t1"));
        assert_eq!(ctx.values("iot:CertificateId"), one("abc"));
        assert_eq!(ctx.values("iot:Connection.Thing.ThingName"), one("t1"));
        assert_eq!(ctx.values("iot:Connection.Thing.ThingTypeName"), None);
        assert_eq!(
            ctx.values("iot:Connection.Thing.Attributes[serial]"),
            one("42")
        );
        assert_eq!(ctx.values("iot:Connection.Thing.Attributes[x]"), None);
        assert_eq!(ctx.values("iot:Connection.Thing.IsAttached"), one("true"));
        assert_eq!(ctx.values("iot:ConnectAttributes"), one("LastWill"));
        assert_eq!(ctx.values("aws:EpochTime"), one("1700000000"));
        assert_eq!(ctx.values("aws:CurrentTime"), one("2023-11-14T22:13:20Z"));
        assert_eq!(ctx.values("iot:Certificate.Subject.CommonName"), None);
        let unattached = Context { thing: None, ..ctx };
        assert_eq!(
            unattached.values("iot:Connection.Thing.IsAttached"),
            one("false")
        );
        assert_eq!(unattached.values("iot:Connection.Thing.ThingName"), None);
    }
}
