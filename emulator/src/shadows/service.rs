//! The operations: get, update, delete and list, for MQTT requests (answered on their
//! `/accepted` or `/rejected` topic) and for iot-data (answered to the HTTP caller; a
//! successful change is still published, so devices see HTTP updates).

use serde_json::{Map, Value};

use super::documents;
use super::error::{ShadowError, ShadowResult};
use super::limits::{self, UpdateRequest};
use super::merge;
use super::topics::{self, Operation, ShadowId, ShadowRequest};
use super::Shadows;
use crate::registry::shadow::{ShadowDocument, ShadowWrite, StoredShadow};

/// How long a deleted shadow's version carries over to a new one (AWS: 48 hours).
pub const TOMBSTONE_MS: i64 = 48 * 3600 * 1000;

/// A successful answer: the body for the requester and the events that follow it.
struct Reply {
    body: Value,
    events: Vec<(String, Value)>,
}

/// What an update changed.
struct Changed {
    previous: Option<(ShadowDocument, u64)>,
    current: ShadowDocument,
    version: u64,
}

fn check_names(id: &ShadowId) -> ShadowResult<()> {
    limits::thing_name(&id.thing)?;
    id.shadow.as_deref().map_or(Ok(()), limits::shadow_name)
}

fn internal(e: crate::registry::IotError) -> ShadowError {
    tracing::error!(cause = %e.message, "shadow change not stored");
    ShadowError::Internal
}

/// The stored document a request starts from and the version it continues: a live
/// shadow's, a recently deleted one's version, or nothing at 0.
fn base(row: Option<&StoredShadow>, now_ms: i64) -> (Option<(ShadowDocument, u64)>, u64) {
    match row {
        Some(r) => match &r.document {
            Some(doc) => (Some((doc.clone(), r.version)), r.version),
            None if r.deleted_at_ms.is_some_and(|at| now_ms - at < TOMBSTONE_MS) => {
                (None, r.version)
            }
            None => (None, 0),
        },
        None => (None, 0),
    }
}

fn decide(
    id: &ShadowId,
    row: Option<&StoredShadow>,
    request: &UpdateRequest,
    now_ms: i64,
) -> ShadowWrite<ShadowResult<Changed>> {
    let (previous, version) = base(row, now_ms);
    if request.version.is_some_and(|v| v != version) {
        return ShadowWrite::Keep(Err(ShadowError::VersionConflict));
    }
    let mut current = previous
        .as_ref()
        .map(|(d, _)| d.clone())
        .unwrap_or_default();
    merge::apply(
        &mut current,
        request.state.as_ref(),
        now_ms.div_euclid(1000),
    );
    if limits::document_bytes(current.desired.as_ref(), current.reported.as_ref())
        > limits::MAX_DOCUMENT_BYTES
    {
        return ShadowWrite::Keep(Err(ShadowError::TooLarge));
    }
    let row = StoredShadow {
        thing_name: id.thing.clone(),
        shadow_name: id.shadow.clone(),
        version: version + 1,
        document: Some(current.clone()),
        deleted_at_ms: None,
    };
    let changed = Changed {
        previous,
        current,
        version: version + 1,
    };
    ShadowWrite::Put(Box::new(row), Ok(changed))
}

impl Shadows {
    /// Answers a request published on a shadow topic: the reply goes to its `/accepted`
    /// or `/rejected` topic, then (for an accepted update) `/update/documents` and, when
    /// desired and reported differ, `/update/delta`.
    pub fn request(&self, request: &ShadowRequest, payload: &[u8]) {
        let ts = self.now_ms().div_euclid(1000);
        let (token, outcome) =
            match limits::envelope(payload, request.operation != Operation::Update) {
                Ok((body, token)) => {
                    let outcome = self.answer(request, &body, token.as_deref());
                    (token, outcome)
                }
                Err(e) => (None, Err(e)),
            };
        match outcome {
            Ok(reply) => self.send(request.accepted(), reply),
            Err(error) => {
                tracing::info!(topic = %request.topic(), %error, "shadow request rejected");
                let body = documents::rejected(&error, ts, token.as_deref());
                self.publish(request.rejected(), &body);
            }
        }
    }

    fn answer(
        &self,
        request: &ShadowRequest,
        body: &Map<String, Value>,
        token: Option<&str>,
    ) -> ShadowResult<Reply> {
        let id = &request.id;
        match request.operation {
            Operation::Get => self.read(id, token).map(|body| Reply {
                body,
                events: Vec::new(),
            }),
            Operation::Update => self.change(id, body, token),
            Operation::Delete => self.remove(id, token).map(|body| Reply {
                body,
                events: Vec::new(),
            }),
        }
    }

    fn send(&self, topic: String, reply: Reply) {
        self.publish(topic, &reply.body);
        for (topic, body) in reply.events {
            self.publish(topic, &body);
        }
    }

    /// GetThingShadow: the full document.
    pub fn get(&self, id: &ShadowId) -> ShadowResult<Value> {
        self.read(id, None)
    }

    /// UpdateThingShadow: the accepted document. The change is published as an MQTT
    /// update's would be (`/update/accepted`, `/update/documents`, `/update/delta`).
    pub fn update(&self, id: &ShadowId, payload: &[u8]) -> ShadowResult<Value> {
        let (body, token) = limits::envelope(payload, false)?;
        let reply = self.change(id, &body, token.as_deref())?;
        let request = ShadowRequest {
            id: id.clone(),
            operation: Operation::Update,
        };
        let answer = reply.body.clone();
        self.send(request.accepted(), reply);
        Ok(answer)
    }

    /// DeleteThingShadow: `{version, timestamp}`; `/delete/accepted` is published too.
    pub fn delete(&self, id: &ShadowId) -> ShadowResult<Value> {
        let body = self.remove(id, None)?;
        let request = ShadowRequest {
            id: id.clone(),
            operation: Operation::Delete,
        };
        self.publish(request.accepted(), &body);
        Ok(body)
    }

    /// ListNamedShadowsForThing: the live named shadows, in name order (none for an
    /// unknown thing).
    pub fn list_named(&self, thing: &str) -> ShadowResult<Vec<String>> {
        limits::thing_name(thing)?;
        Ok(self.inner.registry.named_shadows(thing))
    }

    fn read(&self, id: &ShadowId, token: Option<&str>) -> ShadowResult<Value> {
        check_names(id)?;
        let ts = self.now_ms().div_euclid(1000);
        let row = self.inner.registry.shadow(&id.thing, id.shadow.as_deref());
        match row.as_ref().and_then(|r| r.live().map(|d| (d, r.version))) {
            Some((doc, version)) => Ok(documents::full(doc, version, ts, token)),
            None => Err(ShadowError::NotFound(id.display_name().to_string())),
        }
    }

    fn change(
        &self,
        id: &ShadowId,
        body: &Map<String, Value>,
        token: Option<&str>,
    ) -> ShadowResult<Reply> {
        check_names(id)?;
        let request = limits::update_request(body)?;
        let now_ms = self.now_ms();
        if !self.inner.rate.admit(&id.thing, now_ms) {
            return Err(ShadowError::Throttled);
        }
        let registry = &self.inner.registry;
        let changed = registry
            .change_shadow(&id.thing, id.shadow.as_deref(), |row| {
                decide(id, row, &request, now_ms)
            })
            .map_err(internal)??;
        let ts = now_ms.div_euclid(1000);
        let (state, metadata) = merge::echo(request.state.as_ref(), ts);
        let body = documents::accepted(state, metadata, changed.version, ts, token);
        let previous = changed
            .previous
            .map(|(doc, v)| documents::snapshot(&doc, v));
        let current = documents::snapshot(&changed.current, changed.version);
        let mut events = vec![(
            topics::documents_topic(id),
            documents::documents(previous, current, ts, token),
        )];
        if let Some((delta, meta)) = documents::delta_of(&changed.current) {
            let event = documents::delta_event(delta, meta, changed.version, ts, token);
            events.push((topics::delta_topic(id), event));
        }
        Ok(Reply { body, events })
    }

    fn remove(&self, id: &ShadowId, token: Option<&str>) -> ShadowResult<Value> {
        check_names(id)?;
        let now_ms = self.now_ms();
        let version = self
            .inner
            .registry
            .change_shadow(&id.thing, id.shadow.as_deref(), |row| match row {
                Some(r) if r.document.is_some() => {
                    let tombstone = StoredShadow {
                        document: None,
                        deleted_at_ms: Some(now_ms),
                        ..r.clone()
                    };
                    ShadowWrite::Put(Box::new(tombstone), Ok(r.version))
                }
                _ => ShadowWrite::Keep(Err(ShadowError::NotFound(id.display_name().to_string()))),
            })
            .map_err(internal)??;
        Ok(documents::deleted(version, now_ms.div_euclid(1000), token))
    }
}
