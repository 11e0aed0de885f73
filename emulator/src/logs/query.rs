//! The reads: DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents,
//! with AWS's paging tokens (opaque to clients; offsets here).

use serde::{Deserialize, Serialize};

use super::filter::FilterPattern;
use super::{group_not_found, Event, Group, Logs, LogsError, LogsResult, Stream};

const DESCRIBE_LIMIT: usize = 50;
const EVENTS_LIMIT: usize = 10_000;

/// One log group as DescribeLogGroups shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub log_group_name: String,
    pub creation_time: i64,
    pub metric_filter_count: u32,
    /// With the `:*` suffix AWS gives it.
    pub arn: String,
    pub log_group_arn: String,
    pub stored_bytes: u64,
    pub log_group_class: &'static str,
}

/// A page of log groups.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupPage {
    pub log_groups: Vec<GroupView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One log stream as DescribeLogStreams shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamView {
    pub log_stream_name: String,
    pub creation_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ingestion_time: Option<i64>,
    pub arn: String,
    pub stored_bytes: u64,
}

/// A page of log streams.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamPage {
    pub log_streams: Vec<StreamView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// GetLogEvents' input (the JSON request body).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetQuery {
    pub log_group_name: Option<String>,
    pub log_group_identifier: Option<String>,
    pub log_stream_name: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub next_token: Option<String>,
    pub limit: Option<usize>,
    pub start_from_head: Option<bool>,
}

/// GetLogEvents' page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub events: Vec<Event>,
    pub next_forward_token: String,
    pub next_backward_token: String,
}

/// FilterLogEvents' input (the JSON request body).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterQuery {
    pub log_group_name: Option<String>,
    pub log_group_identifier: Option<String>,
    pub log_stream_names: Option<Vec<String>>,
    pub log_stream_name_prefix: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub filter_pattern: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<usize>,
    /// Deprecated in AWS and always true there; accepted either way.
    pub interleaved: Option<bool>,
}

/// One matching event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilteredEvent {
    pub log_stream_name: String,
    pub timestamp: i64,
    pub message: String,
    pub ingestion_time: i64,
    pub event_id: String,
}

/// A stream FilterLogEvents looked at.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchedStream {
    pub log_stream_name: String,
    pub searched_completely: bool,
}

/// FilterLogEvents' page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilteredPage {
    pub events: Vec<FilteredEvent>,
    pub searched_log_streams: Vec<SearchedStream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN), exactly
/// one of them.
pub fn group_name(name: Option<&str>, identifier: Option<&str>) -> LogsResult<String> {
    match (name, identifier) {
        (Some(_), Some(_)) => Err(LogsError::InvalidParameter(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.".into(),
        )),
        (Some(name), None) => Ok(name.to_string()),
        (None, Some(id)) => Ok(match id.split_once(":log-group:") {
            Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest).to_string(),
            None => id.to_string(),
        }),
        (None, None) => Err(LogsError::InvalidParameter(
            "Either logGroupName or logGroupIdentifier must be specified.".into(),
        )),
    }
}

fn offset(token: Option<&str>) -> LogsResult<usize> {
    match token {
        None => Ok(0),
        Some(t) => t
            .parse()
            .map_err(|_| LogsError::InvalidParameter("The specified nextToken is invalid.".into())),
    }
}

fn limit(asked: Option<usize>, max: usize) -> LogsResult<usize> {
    match asked {
        None => Ok(max),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(LogsError::InvalidParameter(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {max}"
        ))),
    }
}

/// Slices `items` from the token's offset; the token of the next page if any is left.
fn page<T>(
    items: Vec<T>,
    token: Option<&str>,
    limit: usize,
) -> LogsResult<(Vec<T>, Option<String>)> {
    let start = offset(token)?;
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let end = start + items.len();
    Ok((items, (end < total).then(|| end.to_string())))
}

impl Logs {
    /// DescribeLogGroups: by name prefix or case-insensitive name substring.
    pub fn describe_log_groups(
        &self,
        prefix: Option<&str>,
        pattern: Option<&str>,
        token: Option<&str>,
        asked: Option<usize>,
    ) -> LogsResult<GroupPage> {
        if prefix.is_some() && pattern.is_some() {
            return Err(LogsError::InvalidParameter(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
                    .into(),
            ));
        }
        let limit = limit(asked, DESCRIBE_LIMIT)?;
        let needle = pattern.map(str::to_lowercase);
        let groups = self.lock();
        let views: Vec<GroupView> = groups
            .iter()
            .filter(|(name, _)| prefix.is_none_or(|p| name.starts_with(p)))
            .filter(|(name, _)| {
                needle
                    .as_ref()
                    .is_none_or(|n| name.to_lowercase().contains(n))
            })
            .map(|(name, g)| self.group_view(name, g))
            .collect();
        let (log_groups, next_token) = page(views, token, limit)?;
        Ok(GroupPage {
            log_groups,
            next_token,
        })
    }

    fn group_view(&self, name: &str, g: &Group) -> GroupView {
        let arn = self.group_arn(name);
        GroupView {
            log_group_name: name.to_string(),
            creation_time: g.created,
            metric_filter_count: 0,
            arn: format!("{arn}:*"),
            log_group_arn: arn,
            stored_bytes: 0,
            log_group_class: "STANDARD",
        }
    }

    /// DescribeLogStreams, by name or by last event time.
    pub fn describe_log_streams(
        &self,
        group: &str,
        prefix: Option<&str>,
        order_by_last_event: bool,
        descending: bool,
        token: Option<&str>,
        asked: Option<usize>,
    ) -> LogsResult<StreamPage> {
        if order_by_last_event && prefix.is_some() {
            return Err(LogsError::InvalidParameter(
                "Cannot order by LastEventTime with a logStreamNamePrefix.".into(),
            ));
        }
        let limit = limit(asked, DESCRIBE_LIMIT)?;
        let groups = self.lock();
        let g = groups.get(group).ok_or_else(group_not_found)?;
        let mut views: Vec<StreamView> = g
            .streams
            .iter()
            .filter(|(name, _)| prefix.is_none_or(|p| name.starts_with(p)))
            .map(|(name, s)| self.stream_view(group, name, s))
            .collect();
        if order_by_last_event {
            views.sort_by_key(|v| v.last_event_timestamp.unwrap_or(v.creation_time));
        }
        if descending {
            views.reverse();
        }
        let (log_streams, next_token) = page(views, token, limit)?;
        Ok(StreamPage {
            log_streams,
            next_token,
        })
    }

    fn stream_view(&self, group: &str, name: &str, s: &Stream) -> StreamView {
        StreamView {
            log_stream_name: name.to_string(),
            creation_time: s.created,
            first_event_timestamp: s.events.first().map(|e| e.timestamp),
            last_event_timestamp: s.events.last().map(|e| e.timestamp),
            last_ingestion_time: s.last_ingestion,
            arn: format!("{}:log-stream:{name}", self.group_arn(group)),
            stored_bytes: 0,
        }
    }

    /// GetLogEvents: the newest `limit` events, or the oldest with `startFromHead`;
    /// `f/…` and `b/…` tokens page forward and backward.
    pub fn get_log_events(&self, query: &GetQuery) -> LogsResult<EventPage> {
        let group = group_name(
            query.log_group_name.as_deref(),
            query.log_group_identifier.as_deref(),
        )?;
        let limit = limit(query.limit, EVENTS_LIMIT)?;
        let groups = self.lock();
        let g = groups.get(&group).ok_or_else(group_not_found)?;
        let s = g.streams.get(&query.log_stream_name).ok_or_else(|| {
            LogsError::ResourceNotFound("The specified log stream does not exist.".into())
        })?;
        let lo = query
            .start_time
            .map_or(0, |t| s.events.partition_point(|e| e.timestamp < t));
        let hi = query
            .end_time
            .map_or(s.events.len(), |t| {
                s.events.partition_point(|e| e.timestamp < t)
            })
            .max(lo);
        let (start, end) = window(query, lo, hi, limit)?;
        Ok(EventPage {
            events: s.events[start..end].to_vec(),
            next_forward_token: format!("f/{end:056}"),
            next_backward_token: format!("b/{start:056}"),
        })
    }

    /// FilterLogEvents: matching events of the chosen streams, oldest first.
    pub fn filter_log_events(&self, query: &FilterQuery) -> LogsResult<FilteredPage> {
        let group = group_name(
            query.log_group_name.as_deref(),
            query.log_group_identifier.as_deref(),
        )?;
        if query.log_stream_names.is_some() && query.log_stream_name_prefix.is_some() {
            return Err(LogsError::InvalidParameter(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.".into(),
            ));
        }
        let pattern = FilterPattern::parse(query.filter_pattern.as_deref().unwrap_or(""))
            .map_err(LogsError::InvalidParameter)?;
        let limit = limit(query.limit, EVENTS_LIMIT)?;
        let groups = self.lock();
        let g = groups.get(&group).ok_or_else(group_not_found)?;
        let mut found = Vec::new();
        let mut searched = Vec::new();
        for (name, s) in g.streams.iter().filter(|(name, _)| query.selects(name)) {
            searched.push(SearchedStream {
                log_stream_name: name.clone(),
                searched_completely: true,
            });
            let hits = s
                .events
                .iter()
                .filter(|e| query.in_time(e) && pattern.matches(&e.message));
            found.extend(hits.map(|e| filtered(name, e)));
        }
        found.sort_by(|a, b| (a.timestamp, &a.event_id).cmp(&(b.timestamp, &b.event_id)));
        let (events, next_token) = page(found, query.next_token.as_deref(), limit)?;
        Ok(FilteredPage {
            events,
            searched_log_streams: searched,
            next_token,
        })
    }
}

impl FilterQuery {
    /// Whether the stream `name` is one the query names (or all are).
    fn selects(&self, name: &str) -> bool {
        self.log_stream_names
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
            && self
                .log_stream_name_prefix
                .as_deref()
                .is_none_or(|p| name.starts_with(p))
    }

    /// `startTime <= timestamp <= endTime`.
    fn in_time(&self, e: &Event) -> bool {
        self.start_time.is_none_or(|t| e.timestamp >= t)
            && self.end_time.is_none_or(|t| e.timestamp <= t)
    }
}

/// The event range one GetLogEvents page covers within `[lo, hi)`.
fn window(query: &GetQuery, lo: usize, hi: usize, limit: usize) -> LogsResult<(usize, usize)> {
    let bad = || LogsError::InvalidParameter("The specified nextToken is invalid.".into());
    let from_head = query.start_from_head.unwrap_or(false);
    Ok(match query.next_token.as_deref() {
        Some(token) => {
            let (dir, n) = token.split_once('/').ok_or_else(bad)?;
            let n: usize = n.parse().map_err(|_| bad())?;
            let n = n.clamp(lo, hi);
            match dir {
                "f" => (n, (n + limit).min(hi)),
                "b" => (n.saturating_sub(limit).max(lo), n),
                _ => return Err(bad()),
            }
        }
        None if from_head => (lo, (lo + limit).min(hi)),
        None => (hi.saturating_sub(limit).max(lo), hi),
    })
}

/// An event with its stream and an id unique within the group.
fn filtered(stream: &str, e: &Event) -> FilteredEvent {
    FilteredEvent {
        log_stream_name: stream.to_string(),
        timestamp: e.timestamp,
        message: e.message.clone(),
        ingestion_time: e.ingestion_time,
        event_id: format!("{:020}{:036}", e.timestamp, e.seq),
    }
}
