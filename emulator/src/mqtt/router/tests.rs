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
            certificate_id: cert.into(),
            deliveries: tx,
            control: ctl,
        },
        deliveries,
        control,
    }
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

fn drain(c: &mut Conn) -> Vec<(String, QoS, bool)> {
    let mut out = Vec::new();
    while let Ok(d) = c.deliveries.try_recv() {
        out.push((d.message.topic.clone(), d.qos, d.retain));
    }
    out
}

#[test]
fn overlapping_subscriptions_deliver_once_at_the_lower_of_message_and_best_sub_qos() {
    let router = Router::default();
    let mut a = conn(1, "ca");
    router.attach("a", a.handle.clone());
    sub(&router, "a", "t/+", QoS::AtMostOnce);
    sub(&router, "a", "t/#", QoS::AtLeastOnce);
    router.publish("b", message("t/1", b"x", QoS::AtLeastOnce, false));
    router.publish("b", message("t/2", b"x", QoS::AtMostOnce, false));
    router.publish("b", message("u/1", b"x", QoS::AtLeastOnce, false));
    let got = drain(&mut a);
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
    let router = Router::default();
    router.publish("p", message("r/1", b"v", QoS::AtLeastOnce, true));
    let mut a = conn(1, "ca");
    router.attach("a", a.handle.clone());
    assert!(sub(&router, "a", "r/+", QoS::AtLeastOnce).is_empty());
    let got = sub(&router, "a", "r/1", QoS::AtMostOnce);
    assert_eq!(got.len(), 1);
    assert!(got[0].retain);
    assert_eq!(got[0].qos, QoS::AtMostOnce);
    router.publish("p", message("r/1", b"", QoS::AtMostOnce, true));
    assert_eq!(
        drain(&mut a).len(),
        1,
        "the clearing publish is still forwarded"
    );
    assert!(sub(&router, "a", "r/1", QoS::AtLeastOnce).is_empty());
}

#[test]
fn share_groups_get_one_copy_each() {
    let router = Router::default();
    let mut members: Vec<Conn> = (1..=3).map(|i| conn(i, "c")).collect();
    for (i, m) in members.iter().enumerate() {
        let id = format!("m{i}");
        router.attach(&id, m.handle.clone());
        sub(&router, &id, "$share/g/s/#", QoS::AtLeastOnce);
    }
    for _ in 0..6 {
        router.publish("p", message("s/x", b"x", QoS::AtLeastOnce, false));
    }
    let counts: Vec<usize> = members.iter_mut().map(|m| drain(m).len()).collect();
    assert_eq!(counts.iter().sum::<usize>(), 6);
    assert!(counts.iter().all(|&n| n == 2), "round robin: {counts:?}");
}

#[test]
fn takeover_returns_the_old_handle_and_detach_spares_the_new_one() {
    let router = Router::default();
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
    let router = Router::default();
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
    let router = Router::default();
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
