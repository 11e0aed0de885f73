//! The X.509 certificate policy variables (`iot:Certificate.Subject.CommonName`, `….1`,
//! `….List`, alternative names, serial number) read once from a certificate, with AWS's
//! substitution rules (spec A.4).

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

/// At most this many values of one attribute are kept.
const MAX_VALUES: usize = 5;
/// Longer values are not substituted.
const MAX_LEN: usize = 1024;

/// Subject/Issuer attribute names in policies and their OIDs.
const ATTRIBUTES: &[(&str, &str)] = &[
    ("CommonName", "2.5.4.3"),
    ("Country", "2.5.4.6"),
    ("Organization", "2.5.4.10"),
    ("OrganizationalUnit", "2.5.4.11"),
    ("State", "2.5.4.8"),
    ("SerialNumber", "2.5.4.5"),
    ("DistinguishedNameQualifier", "2.5.4.46"),
    ("Title", "2.5.4.12"),
    ("Surname", "2.5.4.4"),
    ("GivenName", "2.5.4.42"),
    ("Initials", "2.5.4.43"),
    ("Pseudonym", "2.5.4.65"),
    ("GenerationQualifier", "2.5.4.44"),
];

/// The variable values of one certificate: `(name, values)` where name is the part after
/// `iot:Certificate.`, e.g. `Subject.CommonName` or `Subject.AlternativeName.DNSName`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateVars {
    entries: Vec<(String, Vec<String>)>,
}

impl CertificateVars {
    /// Reads the variables of a DER certificate (empty when it does not parse).
    pub fn from_der(der: &[u8]) -> Self {
        let Ok((_, cert)) = X509Certificate::from_der(der) else {
            return Self::default();
        };
        let mut entries = Vec::new();
        names(&mut entries, "Subject", cert.subject());
        names(&mut entries, "Issuer", cert.issuer());
        for ext in cert.extensions() {
            let (side, general) = match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => ("Subject", &san.general_names),
                ParsedExtension::IssuerAlternativeName(ian) => ("Issuer", &ian.general_names),
                _ => continue,
            };
            alternative_names(&mut entries, side, general);
        }
        entries.push(("SerialNumber".into(), vec![cert.serial.to_string()]));
        CertificateVars { entries }
    }

    /// Reads the variables of the first certificate of a PEM text.
    pub fn from_pem(pem: &str) -> Self {
        crate::pki::parse::pem_to_der(pem)
            .map(|der| Self::from_der(&der))
            .unwrap_or_default()
    }

    /// The values of `iot:Certificate.<rest>`: the first value for a plain name, the
    /// N-th (counted from 0) for `name.N`, all for `name.List`. A value AWS would not
    /// substitute (too long, or holding `* $ + ? #`) leaves the reference as written.
    pub fn lookup(&self, rest: &str) -> Option<Vec<String>> {
        let (name, selector) = match self.find(rest) {
            Some(values) => (rest, Selector::First(values)),
            None => {
                let (name, suffix) = rest.rsplit_once('.')?;
                let values = self.find(name)?;
                match suffix {
                    "List" => (name, Selector::All(values)),
                    n => (name, Selector::Index(values, n.parse().ok()?)),
                }
            }
        };
        let picked: Vec<&String> = match selector {
            Selector::First(values) => values.iter().take(1).collect(),
            Selector::All(values) => values.iter().take(MAX_VALUES).collect(),
            Selector::Index(values, n) => values
                .get(n)
                .filter(|_| n < MAX_VALUES)
                .into_iter()
                .collect(),
        };
        if picked.is_empty() {
            return None;
        }
        let shown =
            |v: &String| substitutable(v).unwrap_or_else(|| format!("${{iot:Certificate.{name}}}"));
        Some(picked.into_iter().map(shown).collect())
    }

    fn find(&self, name: &str) -> Option<&Vec<String>> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

enum Selector<'a> {
    First(&'a Vec<String>),
    All(&'a Vec<String>),
    Index(&'a Vec<String>, usize),
}

/// The value as substituted (`, " \ = < > ;` backslash-escaped), or `None` when AWS keeps
/// the variable reference instead.
fn substitutable(value: &str) -> Option<String> {
    if value.len() > MAX_LEN || value.contains(['*', '$', '+', '?', '#']) {
        return None;
    }
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, ',' | '"' | '\\' | '=' | '<' | '>' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    Some(out)
}

fn push(entries: &mut Vec<(String, Vec<String>)>, name: String, value: String) {
    match entries.iter_mut().find(|(n, _)| *n == name) {
        Some((_, values)) => values.push(value),
        None => entries.push((name, vec![value])),
    }
}

fn names(entries: &mut Vec<(String, Vec<String>)>, side: &str, name: &X509Name<'_>) {
    for attr in name.iter_attributes() {
        let oid = attr.attr_type().to_id_string();
        let Some((label, _)) = ATTRIBUTES.iter().find(|(_, o)| *o == oid) else {
            continue;
        };
        if let Ok(value) = attr.as_str() {
            push(entries, format!("{side}.{label}"), value.to_string());
        }
    }
}

fn alternative_names(
    entries: &mut Vec<(String, Vec<String>)>,
    side: &str,
    general: &[GeneralName<'_>],
) {
    for name in general {
        let (label, value) = match name {
            GeneralName::RFC822Name(v) => ("RFC822Name", v.to_string()),
            GeneralName::DNSName(v) => ("DNSName", v.to_string()),
            GeneralName::URI(v) => ("UniformResourceIdentifier", v.to_string()),
            GeneralName::DirectoryName(n) => ("DirectoryName", n.to_string()),
            GeneralName::IPAddress(bytes) => match ip_text(bytes) {
                Some(ip) => ("IPAddress", ip),
                None => continue,
            },
            _ => continue,
        };
        push(entries, format!("{side}.AlternativeName.{label}"), value);
    }
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    fn cert() -> CertificateVars {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["dev.example.com".into()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "device-1");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Acme, Inc");
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, "a+b");
        params
            .subject_alt_names
            .push(SanType::IpAddress("192.0.2.1".parse().unwrap()));
        let pem = params.self_signed(&key).unwrap().pem();
        CertificateVars::from_pem(&pem)
    }

    #[test]
    fn subject_issuer_and_alternative_names() {
        let c = cert();
        let one = |s: &str| Some(vec![s.to_string()]);
        assert_eq!(c.lookup("Subject.CommonName"), one("device-1"));
        // Self-signed: the issuer is the subject.
        assert_eq!(c.lookup("Issuer.CommonName"), one("device-1"));
        assert_eq!(c.lookup("Subject.CommonName.0"), one("device-1"));
        assert_eq!(c.lookup("Subject.CommonName.1"), None);
        assert_eq!(c.lookup("Subject.CommonName.List"), one("device-1"));
        assert_eq!(c.lookup("Subject.Organization"), one("Acme\\, Inc"));
        assert_eq!(
            c.lookup("Subject.OrganizationalUnit"),
            one("${iot:Certificate.Subject.OrganizationalUnit}")
        );
        assert_eq!(
            c.lookup("Subject.AlternativeName.DNSName"),
            one("dev.example.com")
        );
        assert_eq!(
            c.lookup("Subject.AlternativeName.IPAddress"),
            one("192.0.2.1")
        );
        assert_eq!(c.lookup("Subject.Country"), None);
        assert!(c.lookup("SerialNumber").is_some());
        assert_eq!(
            CertificateVars::from_pem("junk"),
            CertificateVars::default()
        );
        assert_eq!(substitutable(&"a".repeat(1025)), None);
    }
}
