//! Unit tests of the QoS 1 queues: nothing acknowledged is dropped, publishers are held
//! at the limit and released by room or by the session ending, one-hour redelivery limit.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::*;
use crate::mqtt::persist::{LIVE_QUEUE_LIMIT, OFFLINE_QUEUE_LIMIT, REDELIVERY_WINDOW_MS};

fn numbered(i: usize, qos: QoS) -> Message {
    Message {
        topic: "q/t".into(),
        payload: Bytes::from(i.to_string()),
        qos,
        retain: false,
        properties: Properties::default(),
    }
}

/// Whether `future` completes when polled once now.
fn ready(future: impl Future<Output = ()>) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    pin!(future).poll(&mut cx) == Poll::Ready(())
}

fn publish_n(router: &Router, publisher: &str, n: usize) -> Vec<Vec<String>> {
    (0..n)
        .map(|i| {
            let held = router.publish_held(publisher, numbered(i, QoS::AtLeastOnce));
            held.expect("published").full
        })
        .collect()
}

#[test]
fn a_slow_connection_loses_no_qos1_message_and_gets_them_in_order() {
    let router = router();
    let a = conn(1, "c");
    router.attach("a", a.handle.clone());
    sub(&router, "a", "q/#", QoS::AtLeastOnce);
    let n = LIVE_QUEUE_LIMIT * 3;
    let held = publish_n(&router, "p", n);
    assert!(held[..LIVE_QUEUE_LIMIT - 1].iter().all(Vec::is_empty));
    assert!(held[LIVE_QUEUE_LIMIT - 1..].iter().all(|h| h == &["a"]));
    assert_eq!(router.queued("a"), n);
    let mut got = Vec::new();
    loop {
        let batch = router.take_queued("a", 1, 100);
        if batch.is_empty() {
            break;
        }
        got.extend(batch.into_iter().map(|d| d.message.payload.clone()));
    }
    let want: Vec<Bytes> = (0..n).map(|i| Bytes::from(i.to_string())).collect();
    assert_eq!(got, want);
}

#[test]
fn qos0_is_dropped_when_the_connection_channel_is_full_and_never_queued() {
    let router = router();
    let mut a = conn(1, "c");
    router.attach("a", a.handle.clone());
    sub(&router, "a", "q/#", QoS::AtLeastOnce);
    for i in 0..20 {
        let held = router.publish_held("p", numbered(i, QoS::AtMostOnce));
        assert!(held.expect("published").full.is_empty());
    }
    assert_eq!(router.queued("a"), 0);
    assert_eq!(
        drain(&router, "a", &mut a).len(),
        16,
        "the test channel holds 16"
    );
}

#[test]
fn the_publishers_own_full_queue_never_holds_it() {
    let router = router();
    let a = conn(1, "c");
    router.attach("a", a.handle.clone());
    sub(&router, "a", "q/#", QoS::AtLeastOnce);
    let held = publish_n(&router, "a", LIVE_QUEUE_LIMIT + 5);
    assert!(held.iter().all(Vec::is_empty));
}

#[test]
fn a_held_publisher_is_released_by_room_in_the_queue() {
    let router = router();
    let a = conn(1, "c");
    router.attach("a", a.handle.clone());
    sub(&router, "a", "q/#", QoS::AtLeastOnce);
    let held = publish_n(&router, "p", LIVE_QUEUE_LIMIT + 1)
        .pop()
        .expect("last");
    assert!(!ready(router.wait_for_room(&held)));
    router.take_queued("a", 1, 1);
    assert!(!ready(router.wait_for_room(&held)), "still at the limit");
    router.take_queued("a", 1, 1);
    assert!(ready(router.wait_for_room(&held)));
}

#[test]
fn a_held_publisher_is_released_when_the_session_ends_or_expires() {
    let router = router();
    let a = conn(1, "c");
    let g = router.attach_session("a", persistent(&a, false, 60));
    sub(&router, "a", "q/#", QoS::AtLeastOnce);
    leave(&router, "a", 1, g.generation, 60);
    let held = publish_n(&router, "p", OFFLINE_QUEUE_LIMIT)
        .pop()
        .expect("last");
    assert_eq!(held, vec!["a".to_string()], "offline sessions hold more");
    assert!(!ready(router.wait_for_room(&held)));
    router.registry.clock().advance_ms(60_000);
    assert!(ready(router.wait_for_room(&held)), "expired");
    assert_eq!(router.expire_sessions(), vec!["a".to_string()]);
    let b = conn(2, "c");
    router.attach_session("b", persistent(&b, false, 60));
    sub(&router, "b", "q/#", QoS::AtLeastOnce);
    let held = publish_n(&router, "p", LIVE_QUEUE_LIMIT)
        .pop()
        .expect("last");
    assert!(!ready(router.wait_for_room(&held)));
    router.detach("b", 2);
    assert!(ready(router.wait_for_room(&held)), "ended");
}

#[test]
fn qos1_messages_are_dropped_an_hour_after_they_were_routed() {
    let router = router();
    let a = conn(1, "c");
    let g = router.attach_session("a", persistent(&a, false, 3600));
    sub(&router, "a", "q/#", QoS::AtLeastOnce);
    publish_n(&router, "p", 2);
    router.registry.clock().advance_ms(REDELIVERY_WINDOW_MS - 1);
    publish_n(&router, "p", 1);
    router.registry.clock().advance_ms(1);
    assert_eq!(
        router.take_queued("a", 1, 10).len(),
        1,
        "the first two are stale"
    );
    publish_n(&router, "p", 1);
    leave(&router, "a", 1, g.generation, 3600);
    router.registry.clock().advance_ms(REDELIVERY_WINDOW_MS - 1);
    router.drop_stale();
    assert_eq!(router.queued("a"), 1);
    router.registry.clock().advance_ms(1);
    router.drop_stale();
    assert_eq!(router.queued("a"), 0, "offline queues too");
}
