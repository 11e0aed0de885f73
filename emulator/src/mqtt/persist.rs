//! Broker sessions as AWS keeps them: subscriptions plus the QoS 1 messages queued while a
//! persistent session is offline, and the rules for when a session persists and expires
//! (MQTT 3.1.1 `cleanSession`, MQTT 5 `Clean Start` and Session Expiry Interval), the
//! bounds of the QoS 1 queue, and the hour after which a QoS 1 message is no longer retried.
//!
//! Memory bound: a session's QoS 1 queue holds at most [`queue_limit`] messages plus one
//! per connection publishing to it (a publisher whose message fills the queue gets no
//! PUBACK until the queue is below the limit again; its later PUBLISH packets wait unrouted,
//! at most 100, then it is not read at all), plus what publishers that cannot be held add
//! meanwhile (HTTP Publish, Wills, the broker's own events). Queued payloads (at most
//! 128 KB each) are shared by every session receiving them.

use std::collections::{BTreeMap, VecDeque};

use super::codec::{QoS, ReasonCode, V311};
use super::limits::MAX_SESSION_EXPIRY;
use super::router::{Delivery, SubOptions};
use super::topic::Filter;

/// QoS 1 messages queued for a connected session beyond which publishers are held.
pub const LIVE_QUEUE_LIMIT: usize = 1_000;
/// The same for an offline session: more room, since nobody drains it until the client
/// comes back (AWS documents a replay rate, not a count).
pub const OFFLINE_QUEUE_LIMIT: usize = 10_000;
/// AWS retries an unacknowledged QoS 1 message for up to an hour, then drops it.
pub const REDELIVERY_WINDOW_MS: i64 = 3_600_000;

/// The QoS 1 queue limit of a connected (`live`) or offline session.
pub fn queue_limit(live: bool) -> usize {
    if live {
        LIVE_QUEUE_LIMIT
    } else {
        OFFLINE_QUEUE_LIMIT
    }
}

/// Whether a QoS 1 delivery has outlived the redelivery window at `now_ms`.
pub fn past_redelivery(delivery: &Delivery, now_ms: i64) -> bool {
    delivery.qos == QoS::AtLeastOnce
        && now_ms >= delivery.routed_at_ms.saturating_add(REDELIVERY_WINDOW_MS)
}

/// What survives of a client between connections (and what a live connection uses).
#[derive(Debug)]
pub struct SessionState {
    /// Keyed by the filter as the client wrote it.
    pub subscriptions: BTreeMap<String, (Filter, SubOptions)>,
    /// QoS 1 deliveries not yet handed to a connection, oldest first.
    pub queue: VecDeque<Delivery>,
    /// The protocol level that created it (sessions do not cross MQTT versions).
    pub version: u8,
    /// Seconds the session outlives its connection; 0 ends it with the connection.
    pub expiry_s: u32,
    /// When the connection ended (emulator clock), `None` while connected.
    pub offline_since_ms: Option<i64>,
    /// Identifies one session across the connections that resume it.
    pub generation: u64,
    /// The lifecycle events' `sessionIdentifier`.
    pub session_identifier: String,
}

impl SessionState {
    /// A fresh, empty session.
    pub fn new(version: u8, expiry_s: u32, generation: u64, session_identifier: String) -> Self {
        SessionState {
            subscriptions: BTreeMap::new(),
            queue: VecDeque::new(),
            version,
            expiry_s,
            offline_since_ms: None,
            generation,
            session_identifier,
        }
    }

    /// Whether an offline session has outlived its expiry at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.offline_since_ms.is_some_and(|since| {
            let lifetime = i64::from(self.expiry_s).saturating_mul(1000);
            now_ms >= since.saturating_add(lifetime)
        })
    }

    /// Whether a CONNECT with `clean_start` at `version` resumes this session.
    pub fn resumable(&self, version: u8, clean_start: bool, now_ms: i64) -> bool {
        !clean_start && self.version == version && !self.expired(now_ms)
    }
}

/// How long a session outlives its connection, in seconds, capped at AWS's default quota
/// (1 h). MQTT 3.1.1: persistent exactly when `cleanSession=0`. MQTT 5: the Session Expiry
/// Interval, absent meaning 0, whatever Clean Start says.
pub fn session_expiry(version: u8, clean_start: bool, requested: Option<u32>) -> u32 {
    if version == V311 {
        return if clean_start { 0 } else { MAX_SESSION_EXPIRY };
    }
    requested.unwrap_or(0).min(MAX_SESSION_EXPIRY)
}

/// An MQTT 5 DISCONNECT's Session Expiry Interval applied to the current one: it may not
/// raise 0 to more (Protocol Error), 0 ends the session, any other value replaces it.
pub fn expiry_on_disconnect(current: u32, requested: Option<u32>) -> Result<u32, ReasonCode> {
    match requested {
        None => Ok(current),
        Some(n) if current == 0 && n > 0 => Err(ReasonCode::ProtocolError),
        Some(n) => Ok(n.min(MAX_SESSION_EXPIRY)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::codec::V5;

    #[test]
    fn expiry_follows_the_protocol_rules_and_aws_quota() {
        let cases = [
            (V311, true, None, 0),
            (V311, false, None, 3600),
            (V311, false, Some(10), 3600),
            (V5, true, None, 0),
            (V5, false, None, 0),
            (V5, true, Some(60), 60),
            (V5, false, Some(60), 60),
            (V5, false, Some(u32::MAX), 3600),
        ];
        for (version, clean, requested, want) in cases {
            assert_eq!(
                session_expiry(version, clean, requested),
                want,
                "{version} {clean} {requested:?}"
            );
        }
    }

    #[test]
    fn disconnect_may_lower_or_end_but_not_raise_from_zero() {
        assert_eq!(expiry_on_disconnect(60, None), Ok(60));
        assert_eq!(expiry_on_disconnect(60, Some(0)), Ok(0));
        assert_eq!(expiry_on_disconnect(60, Some(600)), Ok(600));
        assert_eq!(expiry_on_disconnect(60, Some(99_999)), Ok(3600));
        assert_eq!(expiry_on_disconnect(0, Some(0)), Ok(0));
        assert_eq!(
            expiry_on_disconnect(0, Some(5)),
            Err(ReasonCode::ProtocolError)
        );
    }

    #[test]
    fn sessions_expire_on_the_emulator_clock_and_do_not_cross_versions() {
        let mut s = SessionState::new(V5, 60, 1, "s".into());
        assert!(!s.expired(i64::MAX), "connected sessions never expire");
        s.offline_since_ms = Some(1_000);
        assert!(!s.expired(60_999));
        assert!(s.expired(61_000));
        assert!(s.resumable(V5, false, 2_000));
        assert!(!s.resumable(V5, true, 2_000));
        assert!(!s.resumable(V311, false, 2_000));
        assert!(!s.resumable(V5, false, 61_000));
    }
}
