//! Persistent MQTT sessions as the registry stores them, so that they survive a restart:
//! the session (subscriptions, expiry, since when it is offline) and its queued QoS 1
//! messages. The broker writes them; nothing else reads them.

use serde::{Deserialize, Serialize};

use super::retained::RetainedMessage;
use super::{IotResult, Pending, Registry};

/// One persistent session, keyed by client id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSession {
    pub client_id: String,
    /// The MQTT protocol level that created it (4 or 5).
    pub version: u8,
    /// Seconds it outlives its connection.
    pub expiry_s: u32,
    pub session_identifier: String,
    pub subscriptions: Vec<StoredSubscription>,
    /// When its connection ended (emulator clock); `None` while connected.
    pub offline_since_ms: Option<i64>,
}

/// One subscription of a stored session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSubscription {
    /// The filter as the client wrote it (`$share/...` included).
    pub filter: String,
    /// Granted QoS, 0 or 1.
    pub qos: u8,
    #[serde(default)]
    pub no_local: bool,
}

/// One queued QoS 1 message of a stored session, keyed by client id and sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMessage {
    pub client_id: String,
    /// Orders a session's messages; unique across sessions.
    pub seq: u64,
    /// The message; `lastModifiedTime` is when the broker accepted it.
    pub message: RetainedMessage,
    /// Already sent once without being acknowledged.
    #[serde(default)]
    pub dup: bool,
}

/// The key of message `seq` of `client_id` (a session's messages sort together, in order).
pub fn message_key(client_id: &str, seq: u64) -> String {
    format!("{client_id}\n{seq:020}")
}

impl Registry {
    /// Stores (or replaces) a session.
    pub fn put_session(&self, session: StoredSession) -> IotResult<()> {
        self.write(|inner, tx| {
            let key = session.client_id.clone();
            inner.sessions.put(tx, key, session);
            Ok(())
        })
    }

    /// Deletes the session of `client_id` and its messages.
    pub fn delete_session(&self, client_id: &str) -> IotResult<()> {
        self.write(|inner, tx| {
            inner.sessions.remove(tx, client_id);
            let keys: Vec<String> = (inner.session_messages.iter())
                .filter(|(_, m)| m.client_id == client_id)
                .map(|(k, _)| k.clone())
                .collect();
            for key in keys {
                inner.session_messages.remove(tx, &key);
            }
            Ok(())
        })
    }

    /// Stores queued messages, and `session` if given, in one durable write.
    pub fn put_session_messages(
        &self,
        messages: Vec<StoredMessage>,
        session: Option<StoredSession>,
    ) -> IotResult<()> {
        let pending = self.queue_session_messages(messages, session)?;
        self.settle(pending)
    }

    /// [`Registry::put_session_messages`], applied now and durable once `settle`d.
    pub fn queue_session_messages(
        &self,
        messages: Vec<StoredMessage>,
        session: Option<StoredSession>,
    ) -> IotResult<Pending> {
        let ((), pending) = self.write_pending(|inner, tx| {
            for m in messages {
                inner
                    .session_messages
                    .put(tx, message_key(&m.client_id, m.seq), m);
            }
            if let Some(s) = session {
                let key = s.client_id.clone();
                inner.sessions.put(tx, key, s);
            }
            Ok(())
        })?;
        Ok(pending)
    }

    /// Deletes the queued messages `seqs` of `client_id` (absent ones are ignored).
    pub fn delete_session_messages(&self, client_id: &str, seqs: &[u64]) -> IotResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        self.write(|inner, tx| {
            for seq in seqs {
                inner
                    .session_messages
                    .remove(tx, &message_key(client_id, *seq));
            }
            Ok(())
        })
    }

    /// Every stored session with its messages, oldest first.
    pub fn stored_sessions(&self) -> Vec<(StoredSession, Vec<StoredMessage>)> {
        self.read(|inner| {
            let sessions = inner.sessions.values().cloned();
            let with_messages = sessions.map(|s| {
                let mut own: Vec<StoredMessage> = (inner.session_messages.values())
                    .filter(|m| m.client_id == s.client_id)
                    .cloned()
                    .collect();
                own.sort_by_key(|m| m.seq);
                (s, own)
            });
            with_messages.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::testing::registry_at;

    fn session(client_id: &str) -> StoredSession {
        StoredSession {
            client_id: client_id.into(),
            version: 4,
            expiry_s: 3600,
            session_identifier: "sid".into(),
            subscriptions: vec![StoredSubscription {
                filter: "a/#".into(),
                qos: 1,
                no_local: false,
            }],
            offline_since_ms: Some(5),
        }
    }

    fn queued(client_id: &str, seq: u64) -> StoredMessage {
        StoredMessage {
            client_id: client_id.into(),
            seq,
            message: RetainedMessage {
                topic: "a/b".into(),
                payload: seq.to_string().into_bytes(),
                qos: 1,
                last_modified_time: 1,
                user_properties: Vec::new(),
                content_type: None,
                response_topic: None,
                correlation_data: None,
                payload_format_utf8: None,
                expires_at_ms: None,
            },
            dup: false,
        }
    }

    #[test]
    fn sessions_keep_their_messages_in_order_until_deleted() {
        let reg = registry_at(1_000);
        reg.put_session(session("b")).expect("put");
        let messages = vec![queued("a", 10), queued("a", 2), queued("b", 3)];
        reg.put_session_messages(messages, Some(session("a")))
            .expect("put");
        let stored = reg.stored_sessions();
        let seqs: Vec<(String, Vec<u64>)> = (stored.iter())
            .map(|(s, m)| (s.client_id.clone(), m.iter().map(|m| m.seq).collect()))
            .collect();
        assert_eq!(seqs, vec![("a".into(), vec![2, 10]), ("b".into(), vec![3])]);
        reg.delete_session_messages("a", &[2, 99]).expect("delete");
        reg.delete_session("b").expect("delete");
        let stored = reg.stored_sessions();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].1.len(), 1);
        assert!(reg.read(|inner| inner.session_messages.len()) == 1);
    }
}
