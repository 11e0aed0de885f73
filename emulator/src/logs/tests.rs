//! Unit tests of the Logs engine: groups, streams, events and filter patterns.

use super::*;

fn logs() -> Logs {
    let account = Account {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
    };
    Logs::new(account, Clock::frozen(1_767_225_600_000))
}

fn ev(timestamp: i64, message: &str) -> InputEvent {
    InputEvent {
        timestamp,
        message: message.into(),
    }
}

const T: i64 = 1_767_225_600_000;

#[test]
fn put_needs_the_group_and_stream_and_chronological_batches() {
    let l = logs();
    let missing = l.put_events("g", "s", vec![ev(T, "a")]).unwrap_err();
    assert_eq!(missing.exception_name(), "ResourceNotFoundException");
    l.create_log_group("g").unwrap();
    assert_eq!(
        l.create_log_group("g").unwrap_err().exception_name(),
        "ResourceAlreadyExistsException"
    );
    l.create_log_stream("g", "s").unwrap();
    let unordered = l.put_events("g", "s", vec![ev(T, "b"), ev(T - 1, "a")]);
    assert_eq!(
        unordered.unwrap_err().exception_name(),
        "InvalidParameterException"
    );
    let out = l
        .put_events("g", "s", vec![ev(T - 20 * 86_400_000, "old"), ev(T, "ok")])
        .unwrap();
    let rejected = out
        .rejected_log_events_info
        .expect("the old one is refused");
    assert_eq!(rejected.too_old_log_event_end_index, Some(0));
}

#[test]
fn get_log_events_pages_from_the_tail_or_the_head() {
    let l = logs();
    let events = (0..5).map(|i| ev(T + i, &format!("m{i}"))).collect();
    l.append("g", "s", events);
    let mut q = GetQuery {
        log_group_name: Some("g".into()),
        log_stream_name: "s".into(),
        limit: Some(2),
        ..Default::default()
    };
    let tail = l.get_log_events(&q).unwrap();
    let names: Vec<_> = tail.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(names, ["m3", "m4"]);
    q.next_token = Some(tail.next_backward_token);
    let back = l.get_log_events(&q).unwrap();
    assert_eq!(back.events[0].message, "m1");
    q.next_token = None;
    q.start_from_head = Some(true);
    let head = l.get_log_events(&q).unwrap();
    assert_eq!(head.events[0].message, "m0");
    q.next_token = Some(head.next_forward_token);
    assert_eq!(l.get_log_events(&q).unwrap().events[0].message, "m2");
}

#[test]
fn filter_interleaves_streams_by_time_and_matches_terms() {
    let l = logs();
    l.append(
        "/aws/lambda/f",
        "a",
        vec![ev(T, "START"), ev(T + 2, "hello a")],
    );
    l.append("/aws/lambda/f", "b", vec![ev(T + 1, "hello b")]);
    let q = FilterQuery {
        log_group_identifier: Some(format!("{}:*", l.group_arn("/aws/lambda/f"))),
        filter_pattern: Some("hello".into()),
        ..Default::default()
    };
    let page = l.filter_log_events(&q).unwrap();
    let got: Vec<_> = page.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(got, ["hello b", "hello a"]);
    assert_eq!(page.searched_log_streams.len(), 2);
    let paged = FilterQuery {
        log_group_name: Some("/aws/lambda/f".into()),
        limit: Some(2),
        ..Default::default()
    };
    let first = l.filter_log_events(&paged).unwrap();
    assert_eq!(first.events.len(), 2);
    let rest = FilterQuery {
        next_token: first.next_token,
        ..paged
    };
    assert_eq!(l.filter_log_events(&rest).unwrap().events.len(), 1);
}

#[test]
fn describe_groups_and_streams() {
    let l = logs();
    l.append("/aws/lambda/a", "2026/01/01/[$LATEST]x", vec![ev(T, "m")]);
    l.create_log_group("/other").unwrap();
    let page = l
        .describe_log_groups(Some("/aws/lambda/"), None, None, None)
        .unwrap();
    assert_eq!(page.log_groups.len(), 1);
    assert!(page.log_groups[0]
        .arn
        .ends_with("log-group:/aws/lambda/a:*"));
    let streams = l
        .describe_log_streams("/aws/lambda/a", None, true, true, None, None)
        .unwrap();
    assert_eq!(streams.log_streams[0].last_event_timestamp, Some(T));
    let missing = l.describe_log_streams("/nope", None, false, false, None, None);
    assert_eq!(
        missing.unwrap_err().exception_name(),
        "ResourceNotFoundException"
    );
}
