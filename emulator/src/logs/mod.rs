//! A small CloudWatch Logs: log groups, log streams and their events, in memory. Lambda
//! writes each invocation's log here (`/aws/lambda/NAME`); the JSON 1.1 front end
//! ([`crate::api::logs`]) serves the reads and writes the aws CLI makes; the rules
//! engine's `cloudwatchLogs` action writes through [`Logs::put_events`].
//!
//! Events live in memory only: a restart starts with no logs (the README says so).

pub mod filter;
mod query;

pub use query::{
    group_name, EventPage, FilterQuery, FilteredPage, GetQuery, GroupPage, StreamPage,
};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::basis::Clock;
use crate::registry::Account;

/// CloudWatch Logs' exceptions (all HTTP 400 in the JSON protocol).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogsError {
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceAlreadyExists(String),
    #[error("{0}")]
    InvalidParameter(String),
}

impl LogsError {
    /// The exception name on the wire.
    pub fn exception_name(&self) -> &'static str {
        match self {
            LogsError::ResourceNotFound(_) => "ResourceNotFoundException",
            LogsError::ResourceAlreadyExists(_) => "ResourceAlreadyExistsException",
            LogsError::InvalidParameter(_) => "InvalidParameterException",
        }
    }
}

/// Results of this engine.
pub type LogsResult<T> = Result<T, LogsError>;

/// One event as a writer hands it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEvent {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub message: String,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub timestamp: i64,
    pub message: String,
    pub ingestion_time: i64,
    /// Unique and stable within the group (FilterLogEvents' `eventId`).
    #[serde(skip)]
    pub(crate) seq: u64,
}

/// What PutLogEvents answers: AWS keeps accepting the batch but names the events it
/// refused as too new (over 2 h ahead) or too old (over 14 days back).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutOutcome {
    pub next_sequence_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_log_events_info: Option<Rejected>,
}

/// Indexes of refused events in a PutLogEvents batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub too_new_log_event_start_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub too_old_log_event_end_index: Option<usize>,
}

const TOO_NEW_MS: i64 = 2 * 3600 * 1000;
const TOO_OLD_MS: i64 = 14 * 24 * 3600 * 1000;

#[derive(Debug, Default)]
struct Stream {
    created: i64,
    /// Ordered by timestamp.
    events: Vec<Event>,
    last_ingestion: Option<i64>,
    sequence: u64,
}

#[derive(Debug, Default)]
struct Group {
    created: i64,
    streams: BTreeMap<String, Stream>,
    /// The next event's `seq`.
    next_seq: u64,
}

/// The Logs engine handle (cheap to clone).
#[derive(Debug, Clone)]
pub struct Logs {
    groups: Arc<Mutex<BTreeMap<String, Group>>>,
    account: Account,
    clock: Clock,
}

impl Logs {
    pub fn new(account: Account, clock: Clock) -> Self {
        Logs {
            groups: Default::default(),
            account,
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Group>> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `arn:<partition>:logs:<region>:<account>:log-group:<name>`.
    pub fn group_arn(&self, group: &str) -> String {
        let a = &self.account;
        format!(
            "arn:{}:logs:{}:{}:log-group:{group}",
            a.partition(),
            a.region,
            a.account_id
        )
    }

    /// Forgets every group (the emulator's reset).
    pub fn reset(&self) {
        self.lock().clear();
    }

    /// CreateLogGroup.
    pub fn create_log_group(&self, group: &str) -> LogsResult<()> {
        validate_name(group, "logGroupName", 512)?;
        let now = self.clock.now_ms();
        let mut groups = self.lock();
        if groups.contains_key(group) {
            return Err(LogsError::ResourceAlreadyExists(
                "The specified log group already exists".into(),
            ));
        }
        groups.insert(group.to_string(), Group::new(now));
        Ok(())
    }

    /// DeleteLogGroup.
    pub fn delete_log_group(&self, group: &str) -> LogsResult<()> {
        match self.lock().remove(group) {
            Some(_) => Ok(()),
            None => Err(group_not_found()),
        }
    }

    /// CreateLogStream.
    pub fn create_log_stream(&self, group: &str, stream: &str) -> LogsResult<()> {
        validate_name(stream, "logStreamName", 512)?;
        if stream.contains(':') || stream.contains('*') {
            return Err(LogsError::InvalidParameter(
                "The log stream name may not contain ':' or '*'".into(),
            ));
        }
        let now = self.clock.now_ms();
        let mut groups = self.lock();
        let g = groups.get_mut(group).ok_or_else(group_not_found)?;
        if g.streams.contains_key(stream) {
            return Err(LogsError::ResourceAlreadyExists(
                "The specified log stream already exists".into(),
            ));
        }
        g.streams.insert(stream.to_string(), Stream::new(now));
        Ok(())
    }

    /// PutLogEvents: the group and stream must exist; events in one batch must be in
    /// chronological order.
    pub fn put_events(
        &self,
        group: &str,
        stream: &str,
        events: Vec<InputEvent>,
    ) -> LogsResult<PutOutcome> {
        check_batch(&events)?;
        let now = self.clock.now_ms();
        let mut groups = self.lock();
        let g = groups.get_mut(group).ok_or_else(group_not_found)?;
        let s = g.streams.get_mut(stream).ok_or_else(|| {
            LogsError::ResourceNotFound("The specified log stream does not exist.".into())
        })?;
        Ok(s.append(events, now, &mut g.next_seq))
    }

    /// Writes `events` into `group`/`stream`, creating either if missing: what Lambda
    /// does for its functions' logs.
    pub fn append(&self, group: &str, stream: &str, events: Vec<InputEvent>) {
        let now = self.clock.now_ms();
        let mut groups = self.lock();
        let g = groups
            .entry(group.to_string())
            .or_insert_with(|| Group::new(now));
        let s = g
            .streams
            .entry(stream.to_string())
            .or_insert_with(|| Stream::new(now));
        s.append(events, now, &mut g.next_seq);
    }
}

impl Group {
    fn new(created: i64) -> Self {
        Group {
            created,
            streams: BTreeMap::new(),
            next_seq: 0,
        }
    }
}

impl Stream {
    fn new(created: i64) -> Self {
        Stream {
            created,
            ..Default::default()
        }
    }

    fn append(&mut self, events: Vec<InputEvent>, now: i64, seq: &mut u64) -> PutOutcome {
        let mut rejected = Rejected::default();
        for (i, e) in events.into_iter().enumerate() {
            if e.timestamp > now + TOO_NEW_MS {
                rejected.too_new_log_event_start_index.get_or_insert(i);
                continue;
            }
            if e.timestamp < now - TOO_OLD_MS {
                rejected.too_old_log_event_end_index = Some(i);
                continue;
            }
            let at = self.events.partition_point(|x| x.timestamp <= e.timestamp);
            let event = Event {
                timestamp: e.timestamp,
                message: e.message,
                ingestion_time: now,
                seq: *seq,
            };
            *seq += 1;
            self.events.insert(at, event);
            self.last_ingestion = Some(now);
        }
        self.sequence += 1;
        let any = rejected != Rejected::default();
        PutOutcome {
            next_sequence_token: format!("{:056}", self.sequence),
            rejected_log_events_info: any.then_some(rejected),
        }
    }
}

fn group_not_found() -> LogsError {
    LogsError::ResourceNotFound("The specified log group does not exist.".into())
}

fn validate_name(name: &str, field: &str, max: usize) -> LogsResult<()> {
    if name.is_empty() || name.len() > max {
        return Err(LogsError::InvalidParameter(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must have length between 1 and {max}"
        )));
    }
    Ok(())
}

fn check_batch(events: &[InputEvent]) -> LogsResult<()> {
    if events.is_empty() {
        return Err(LogsError::InvalidParameter(
            "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ));
    }
    if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        return Err(LogsError::InvalidParameter(
            "Log events in a single PutLogEvents request must be in chronological order.".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
