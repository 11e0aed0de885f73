//! Unit tests of the router: fan-out, retained messages, share groups, takeover.

use super::*;

struct Conn {
    handle: ClientHandle,
    deliveries: mpsc::Receiver<Delivery>,
    control: mpsc::UnboundedReceiver<Control>,
}

fn conn(conn_id: u64, cert: &str) -> Conn {
    let (tx, deliveries) = mpsc::channel(16);
    let (ctl, control) = mpsc::unbounded_channel();
    Conn {
        handle: ClientHandle {
            conn_id,
            principal_id: cert.into(),
            deliveries: tx,
            control: ctl,
            wake: Arc::new(Notify::new()),
        },
        deliveries,
        control,
    }
}

fn router() -> Router {
    Router::new(crate::registry::testing::registry_at(1_000))
}

fn message(topic: &str, payload: &'static [u8], qos: QoS, retain: bool) -> Message {
    Message {
        topic: topic.into(),
        payload: Bytes::from_static(payload),
        qos,
        retain,
        properties: Properties::default(),
    }
}

fn sub(router: &Router, client: &str, raw: &str, qos: QoS) -> Vec<Delivery> {
    let filter = topic::parse_filter(raw).expect("valid filter");
    let options = SubOptions {
        qos,
        no_local: false,
    };
    router
        .subscribe(client, raw, filter, options)
        .expect("subscribed")
}

/// What connection `c` of `client` gets: its QoS 0 channel, then its QoS 1 queue.
fn drain(router: &Router, client: &str, c: &mut Conn) -> Vec<(String, QoS, bool)> {
    let mut out = Vec::new();
    while let Ok(d) = c.deliveries.try_recv() {
        out.push((d.message.topic.clone(), d.qos, d.retain));
    }
    for d in router.take_queued(client, c.handle.conn_id, usize::MAX) {
        out.push((d.message.topic.clone(), d.qos, d.retain));
    }
    out
}

#[test]
fn overlapping_subscriptions_deliver_once_at_the_lower_of_message_and_best_sub_qos() {
    let router = router();
    let mut a = conn(1, "ca");
    router.attach("a", a.handle.clone());
    sub(&router, "a", "t/+", QoS::AtMostOnce);
    sub(&router, "a", "t/#", QoS::AtLeastOnce);
    router
        .publish("b", message("t/1", b"x", QoS::AtLeastOnce, false))
        .expect("published");
    router
        .publish("b", message("t/2", b"x", QoS::AtMostOnce, false))
        .expect("published");
    router
        .publish("b", message("u/1", b"x", QoS::AtLeastOnce, false))
        .expect("published");
    let mut got = drain(&router, "a", &mut a);
    got.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        got,
        vec![
            ("t/1".into(), QoS::AtLeastOnce, false),
            ("t/2".into(), QoS::AtMostOnce, false)
        ]
    );
}

#[test]
fn retained_messages_go_to_exact_subscribers_only_and_empty_payload_clears() {
    let router = router();
    router
        .publish("p", message("r/1", b"v", QoS::AtLeastOnce, true))
        .expect("published");
    let mut a = conn(1, "ca");
    router.attach("a", a.handle.clone());
    assert!(sub(&router, "a", "r/+", QoS::AtLeastOnce).is_empty());
    let got = sub(&router, "a", "r/1", QoS::AtMostOnce);
    assert_eq!(got.len(), 1);
    assert!(got[0].retain);
    assert_eq!(got[0].qos, QoS::AtMostOnce);
    router
        .publish("p", message("r/1", b"", QoS::AtMostOnce, true))
        .expect("published");
    assert_eq!(
        drain(&router, "a", &mut a).len(),
        1,
        "the clearing publish is still forwarded"
    );
    assert!(sub(&router, "a", "r/1", QoS::AtLeastOnce).is_empty());
}

#[test]
fn share_groups_get_one_copy_each() {
    let router = router();
    let mut members: Vec<Conn> = (1..=3).map(|i| conn(i, "c")).collect();
    for (i, m) in members.iter().enumerate() {
        let id = format!("m{i}");
        router.attach(&id, m.handle.clone());
        sub(&router, &id, "$share/g/s/#", QoS::AtLeastOnce);
    }
    for _ in 0..6 {
        router
            .publish("p", message("s/x", b"x", QoS::AtLeastOnce, false))
            .expect("published");
    }
    let counts: Vec<usize> = (members.iter_mut().enumerate())
        .map(|(i, m)| drain(&router, &format!("m{i}"), m).len())
        .collect();
    assert_eq!(counts.iter().sum::<usize>(), 6);
    assert!(counts.iter().all(|&n| n == 2), "round robin: {counts:?}");
}

#[test]
fn takeover_returns_the_old_handle_and_detach_spares_the_new_one() {
    let router = router();
    let old = conn(1, "c");
    let new = conn(2, "c");
    assert!(router.attach("dev", old.handle.clone()).is_none());
    let displaced = router.attach("dev", new.handle.clone()).expect("displaced");
    assert_eq!(displaced.conn_id, 1);
    router.detach("dev", 1);
    assert_eq!(router.client_ids(), vec!["dev".to_string()]);
    router.detach("dev", 2);
    assert!(router.client_ids().is_empty());
}

#[test]
fn disconnect_certificate_signals_every_connection_of_it() {
    let router = router();
    let mut a = conn(1, "cert1");
    let mut b = conn(2, "cert1");
    let mut c = conn(3, "cert2");
    router.attach("a", a.handle.clone());
    router.attach("b", b.handle.clone());
    router.attach("c", c.handle.clone());
    let reason = ReasonCode::AdministrativeAction;
    assert_eq!(router.disconnect_certificate("cert1", reason), 2);
    assert_eq!(a.control.try_recv().ok(), Some(Control::Disconnect(reason)));
    assert_eq!(b.control.try_recv().ok(), Some(Control::Disconnect(reason)));
    assert!(c.control.try_recv().is_err());
}

#[test]
fn subscriptions_per_connection_are_capped() {
    let router = router();
    let a = conn(1, "c");
    router.attach("a", a.handle.clone());
    for i in 0..MAX_SUBSCRIPTIONS {
        sub(&router, "a", &format!("t/{i}"), QoS::AtMostOnce);
    }
    let filter = topic::parse_filter("t/x").expect("valid");
    let options = SubOptions {
        qos: QoS::AtMostOnce,
        no_local: false,
    };
    assert_eq!(
        router.subscribe("a", "t/x", filter, options).err(),
        Some(SubscribeError::QuotaExceeded)
    );
    // Re-subscribing to an existing filter replaces it.
    sub(&router, "a", "t/0", QoS::AtLeastOnce);
}

fn persistent(c: &Conn, clean_start: bool, expiry_s: u32) -> AttachRequest {
    AttachRequest {
        handle: c.handle.clone(),
        version: crate::mqtt::codec::V311,
        clean_start,
        expiry_s,
        session_identifier: format!("s{}", c.handle.conn_id),
    }
}

fn leave(router: &Router, client: &str, conn_id: u64, generation: u64, expiry_s: u32) {
    let departure = Departure {
        conn_id,
        generation,
        expiry_s,
        leftovers: Vec::new(),
    };
    router.depart(client, departure);
}

#[test]
fn offline_persistent_sessions_keep_subscriptions_and_queue_qos1_only() {
    let router = router();
    let first = conn(1, "c");
    let attached = router.attach_session("p", persistent(&first, false, 3600));
    assert!(!attached.session_present);
    sub(&router, "p", "t/#", QoS::AtLeastOnce);
    leave(&router, "p", 1, attached.generation, 3600);
    assert!(router.client_ids().is_empty(), "offline is not connected");
    for qos in [QoS::AtLeastOnce, QoS::AtMostOnce, QoS::AtLeastOnce] {
        router
            .publish("x", message("t/1", b"m", qos, false))
            .expect("published");
    }
    let second = conn(2, "c");
    let resumed = router.attach_session("p", persistent(&second, false, 3600));
    assert!(resumed.session_present);
    assert_eq!(
        resumed.session_identifier, "s1",
        "the session keeps its identifier"
    );
    assert_eq!(router.queued("p"), 2, "QoS 0 messages are not stored");
    assert_eq!(router.subscriptions("p"), vec!["t/#".to_string()]);
}

#[test]
fn clean_start_discards_and_expiry_runs_on_the_emulator_clock() {
    let router = router();
    let a = conn(1, "c");
    let g = router
        .attach_session("p", persistent(&a, false, 60))
        .generation;
    sub(&router, "p", "t", QoS::AtLeastOnce);
    leave(&router, "p", 1, g, 60);
    let b = conn(2, "c");
    let clean = router.attach_session("p", persistent(&b, true, 60));
    assert!(!clean.session_present);
    assert!(router.subscriptions("p").is_empty());
    leave(&router, "p", 2, clean.generation, 60);
    router.registry.clock().advance_ms(59_999);
    assert!(router.expire_sessions().is_empty());
    router.registry.clock().advance_ms(1);
    assert_eq!(router.expire_sessions(), vec!["p".to_string()]);
    let c = conn(3, "c");
    assert!(
        !router
            .attach_session("p", persistent(&c, false, 60))
            .session_present
    );
}

#[test]
fn unacknowledged_messages_pass_to_a_connection_that_took_the_session_over() {
    let router = router();
    let old = conn(1, "c");
    let g = router
        .attach_session("p", persistent(&old, false, 3600))
        .generation;
    let new = conn(2, "c");
    let attached = router.attach_session("p", persistent(&new, false, 3600));
    assert!(attached.session_present);
    assert_eq!(attached.displaced.map(|h| h.conn_id), Some(1));
    let mut leftover = Delivery::new(
        Arc::new(message("t", b"m", QoS::AtLeastOnce, false)),
        QoS::AtLeastOnce,
        None,
        1_000,
    );
    leftover.dup = true;
    let departure = Departure {
        conn_id: 1,
        generation: g,
        expiry_s: 3600,
        leftovers: vec![leftover],
    };
    router.depart("p", departure);
    let got = router.take_queued("p", new.handle.conn_id, 10);
    assert!(got[0].dup, "handed over");
    assert_eq!(router.client_ids(), vec!["p".to_string()]);
}

#[test]
fn share_groups_queue_for_an_offline_persistent_member_only_when_none_is_online() {
    let router = router();
    let a = conn(1, "c");
    let g = router
        .attach_session("a", persistent(&a, false, 3600))
        .generation;
    sub(&router, "a", "$share/g/s", QoS::AtLeastOnce);
    leave(&router, "a", 1, g, 3600);
    let mut b = conn(2, "c");
    router.attach("b", b.handle.clone());
    sub(&router, "b", "$share/g/s", QoS::AtLeastOnce);
    for _ in 0..3 {
        router
            .publish("x", message("s", b"m", QoS::AtLeastOnce, false))
            .expect("published");
    }
    assert_eq!(drain(&router, "b", &mut b).len(), 3);
    router.detach("b", 2);
    router
        .publish("x", message("s", b"m", QoS::AtLeastOnce, false))
        .expect("published");
    let a2 = conn(3, "c");
    assert!(
        router
            .attach_session("a", persistent(&a2, false, 3600))
            .session_present
    );
    assert_eq!(router.queued("a"), 1);
}

#[test]
fn retained_messages_live_in_the_registry() {
    let router = router();
    router
        .publish("p", message("r/x", b"v", QoS::AtLeastOnce, true))
        .expect("published");
    let row = router.registry.retained("r/x").expect("stored");
    assert_eq!((row.payload.as_slice(), row.qos), (&b"v"[..], 1));
    assert_eq!(row.last_modified_time, 1_000);
}

mod queue;
mod store;
