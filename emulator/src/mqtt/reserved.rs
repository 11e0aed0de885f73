//! Reserved `$aws/...` topics that the broker itself answers: which topics a handler owns,
//! the JSON/CBOR payload formats, and the replies that go only to the requesting
//! connection.

use serde_json::Value;

/// The payload format named by a topic's `<fmt>` segment; replies use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Cbor,
}

/// A request a handler owns, parsed from its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `$aws/certificates/create/<fmt>`
    CreateKeysAndCertificate,
    /// `$aws/certificates/create-from-csr/<fmt>`
    CreateCertificateFromCsr,
    /// `$aws/provisioning-templates/<name>/provision/<fmt>`
    RegisterThing { template_name: String },
}

/// A routed request: what it asks, in which format, and the topic it came on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub request: Request,
    pub format: Format,
    pub topic: String,
}

impl Route {
    /// `<request topic>/accepted`
    pub fn accepted_topic(&self) -> String {
        format!("{}/accepted", self.topic)
    }

    /// `<request topic>/rejected`
    pub fn rejected_topic(&self) -> String {
        format!("{}/rejected", self.topic)
    }
}

/// What the broker does with a PUBLISH on `topic`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// An ordinary topic: route it to subscribers.
    Route,
    /// A request a handler answers.
    Handle(Route),
    /// A publish under `$aws/things/<thing>/jobs/` (see [`super::jobs_topics`]).
    Jobs(super::jobs_topics::JobsRoute),
    /// A reserved topic clients may not publish to (a handler's reply topic); dropped, so
    /// that nobody can forge replies for other devices.
    Drop,
    /// A device shadow request: routed like any publish, then answered by the shadow
    /// service (`super::shadow_topics`), whose replies go through the broker.
    Shadow(crate::shadows::ShadowRequest),
}

fn format(segment: &str) -> Option<Format> {
    match segment {
        "json" => Some(Format::Json),
        "cbor" => Some(Format::Cbor),
        _ => None,
    }
}

/// Classifies the topic of an inbound PUBLISH.
pub fn classify(topic: &str) -> Disposition {
    let Some(rest) = topic.strip_prefix("$aws/") else {
        return Disposition::Route;
    };
    match crate::shadows::topics::classify(topic) {
        crate::shadows::topics::Kind::Request(request) => return Disposition::Shadow(request),
        crate::shadows::topics::Kind::Reply => return Disposition::Drop,
        crate::shadows::topics::Kind::Other => {}
    }
    let parts: Vec<&str> = rest.split('/').collect();
    if let ["things", thing, "jobs", tail @ ..] = parts.as_slice() {
        return super::jobs_topics::classify(thing, tail, topic);
    }
    let request = match parts.as_slice() {
        ["certificates", "create", f] => format(f).map(|f| (Request::CreateKeysAndCertificate, f)),
        ["certificates", "create-from-csr", f] => {
            format(f).map(|f| (Request::CreateCertificateFromCsr, f))
        }
        ["provisioning-templates", name, "provision", f] => format(f).map(|f| {
            let template_name = name.to_string();
            (Request::RegisterThing { template_name }, f)
        }),
        _ => None,
    };
    if let Some((request, format)) = request {
        return Disposition::Handle(Route {
            request,
            format,
            topic: topic.to_string(),
        });
    }
    if is_reply_topic(&parts) {
        Disposition::Drop
    } else {
        Disposition::Route
    }
}

fn is_reply_topic(parts: &[&str]) -> bool {
    let owned = matches!(parts.first(), Some(&"certificates"))
        || matches!(parts.first(), Some(&"provisioning-templates"));
    owned && matches!(parts.last(), Some(&"accepted") | Some(&"rejected"))
}

/// Decodes a request payload. An empty payload is an empty object (devices send either).
pub fn decode(format: Format, payload: &[u8]) -> Option<Value> {
    if payload.is_empty() {
        return Some(Value::Object(Default::default()));
    }
    match format {
        Format::Json => serde_json::from_slice(payload).ok(),
        Format::Cbor => ciborium::de::from_reader::<Value, _>(payload).ok(),
    }
}

/// Encodes a reply payload in `format`.
pub fn encode(format: Format, value: &Value) -> Vec<u8> {
    match format {
        Format::Json => value.to_string().into_bytes(),
        Format::Cbor => {
            let mut out = Vec::new();
            // Writing a serde_json::Value into a Vec cannot fail.
            let _ = ciborium::ser::into_writer(value, &mut out);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn handled(topic: &str) -> Option<(Request, Format)> {
        match classify(topic) {
            Disposition::Handle(r) => Some((r.request, r.format)),
            _ => None,
        }
    }

    #[test]
    fn the_six_request_topics_are_handled() {
        use Request::*;
        let cases = [
            (
                "$aws/certificates/create/json",
                CreateKeysAndCertificate,
                Format::Json,
            ),
            (
                "$aws/certificates/create/cbor",
                CreateKeysAndCertificate,
                Format::Cbor,
            ),
            (
                "$aws/certificates/create-from-csr/json",
                CreateCertificateFromCsr,
                Format::Json,
            ),
            (
                "$aws/certificates/create-from-csr/cbor",
                CreateCertificateFromCsr,
                Format::Cbor,
            ),
        ];
        for (topic, request, format) in cases {
            assert_eq!(handled(topic), Some((request, format)), "{topic}");
        }
        let name = "T-1".to_string();
        assert_eq!(
            handled("$aws/provisioning-templates/T-1/provision/cbor"),
            Some((
                RegisterThing {
                    template_name: name
                },
                Format::Cbor
            ))
        );
    }

    #[test]
    fn replies_are_dropped_and_others_routed() {
        for topic in [
            "$aws/certificates/create/json/accepted",
            "$aws/certificates/create-from-csr/cbor/rejected",
            "$aws/provisioning-templates/T/provision/json/accepted",
            "$aws/things/x/shadow/update/accepted",
            "$aws/things/x/shadow/name/n/update/delta",
        ] {
            assert_eq!(classify(topic), Disposition::Drop, "{topic}");
        }
        for topic in [
            "$aws/certificates/create/xml",
            "a/b",
            "$aws/certificates/create",
        ] {
            assert_eq!(classify(topic), Disposition::Route, "{topic}");
        }
    }

    #[test]
    fn payloads_round_trip_and_garbage_is_none() {
        let value = json!({"certificateOwnershipToken": "t", "parameters": {"a": "b"}});
        for format in [Format::Json, Format::Cbor] {
            let bytes = encode(format, &value);
            assert_eq!(decode(format, &bytes), Some(value.clone()));
            assert_eq!(decode(format, b""), Some(json!({})));
        }
        assert_eq!(decode(Format::Json, b"{not json"), None);
        assert_eq!(decode(Format::Cbor, &[0xff, 0x00, 0x13]), None);
    }
}
