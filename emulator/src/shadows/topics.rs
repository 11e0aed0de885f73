//! The shadow topics: `$aws/things/<thing>/shadow[/name/<shadow>]/<op>` requests and the
//! service's reply and event topics below them.

/// What a request asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Get,
    Update,
    Delete,
}

impl Operation {
    fn parse(segment: &str) -> Option<Self> {
        match segment {
            "get" => Some(Operation::Get),
            "update" => Some(Operation::Update),
            "delete" => Some(Operation::Delete),
            _ => None,
        }
    }

    fn segment(self) -> &'static str {
        match self {
            Operation::Get => "get",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// Which shadow: a thing's classic shadow (`shadow: None`) or one of its named shadows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShadowId {
    pub thing: String,
    pub shadow: Option<String>,
}

impl ShadowId {
    /// `$aws/things/<thing>/shadow[/name/<shadow>]`
    pub fn prefix(&self) -> String {
        match &self.shadow {
            None => format!("$aws/things/{}/shadow", self.thing),
            Some(name) => format!("$aws/things/{}/shadow/name/{name}", self.thing),
        }
    }

    /// The name a 404 quotes: the shadow's, or the thing's for the classic shadow.
    pub fn display_name(&self) -> &str {
        self.shadow.as_deref().unwrap_or(&self.thing)
    }
}

/// A request on a shadow topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowRequest {
    pub id: ShadowId,
    pub operation: Operation,
}

impl ShadowRequest {
    /// The topic the request came on.
    pub fn topic(&self) -> String {
        format!("{}/{}", self.id.prefix(), self.operation.segment())
    }

    /// `<request topic>/accepted`
    pub fn accepted(&self) -> String {
        format!("{}/accepted", self.topic())
    }

    /// `<request topic>/rejected`
    pub fn rejected(&self) -> String {
        format!("{}/rejected", self.topic())
    }
}

/// `P/update/delta`
pub fn delta_topic(id: &ShadowId) -> String {
    format!("{}/update/delta", id.prefix())
}

/// `P/update/documents`
pub fn documents_topic(id: &ShadowId) -> String {
    format!("{}/update/documents", id.prefix())
}

/// What a topic is to the shadow service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A request the service answers.
    Request(ShadowRequest),
    /// One of the service's own reply or event topics (only it publishes there).
    Reply,
    /// Not a shadow topic.
    Other,
}

/// Classifies `topic`.
pub fn classify(topic: &str) -> Kind {
    let Some(rest) = topic.strip_prefix("$aws/things/") else {
        return Kind::Other;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let (thing, shadow, tail) = match parts.as_slice() {
        [thing, "shadow", "name", name, tail @ ..] if !tail.is_empty() => {
            (thing, Some(*name), tail)
        }
        [thing, "shadow", tail @ ..] => (thing, None, tail),
        _ => return Kind::Other,
    };
    let id = ShadowId {
        thing: thing.to_string(),
        shadow: shadow.map(str::to_string),
    };
    match tail {
        [op] => match Operation::parse(op) {
            Some(operation) => Kind::Request(ShadowRequest { id, operation }),
            None => Kind::Other,
        },
        [op, "accepted" | "rejected"] if Operation::parse(op).is_some() => Kind::Reply,
        ["update", "delta" | "documents"] => Kind::Reply,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(thing: &str, shadow: Option<&str>, operation: Operation) -> Kind {
        let id = ShadowId {
            thing: thing.into(),
            shadow: shadow.map(str::to_string),
        };
        Kind::Request(ShadowRequest { id, operation })
    }

    #[test]
    fn requests_replies_and_others() {
        use Operation::*;
        let cases = [
            ("$aws/things/t/shadow/get", request("t", None, Get)),
            ("$aws/things/t/shadow/update", request("t", None, Update)),
            ("$aws/things/t/shadow/delete", request("t", None, Delete)),
            (
                "$aws/things/t/shadow/name/n/update",
                request("t", Some("n"), Update),
            ),
            (
                "$aws/things/t/shadow/name/n/get",
                request("t", Some("n"), Get),
            ),
            ("$aws/things/t/shadow/get/accepted", Kind::Reply),
            ("$aws/things/t/shadow/update/rejected", Kind::Reply),
            ("$aws/things/t/shadow/update/delta", Kind::Reply),
            ("$aws/things/t/shadow/name/n/update/documents", Kind::Reply),
            ("$aws/things/t/shadow/name/n/delete/accepted", Kind::Reply),
            ("$aws/things/t/shadow/other", Kind::Other),
            ("$aws/things/t/shadow/get/x", Kind::Other),
            ("$aws/things/t/jobs/get", Kind::Other),
            ("things/t/shadow/get", Kind::Other),
        ];
        for (topic, kind) in cases {
            assert_eq!(classify(topic), kind, "{topic}");
        }
        let Kind::Request(r) = classify("$aws/things/t/shadow/name/n/update") else {
            panic!("a request");
        };
        assert_eq!(r.accepted(), "$aws/things/t/shadow/name/n/update/accepted");
        assert_eq!(
            delta_topic(&r.id),
            "$aws/things/t/shadow/name/n/update/delta"
        );
    }
}
