//! Unit tests of persistent sessions kept in the registry: a new router over the same
//! registry (a restart) finds them offline with their subscriptions, queue and expiry.

use super::*;

fn offline_session_with_two_queued(router: &Router) {
    let a = conn(1, "c");
    let g = router.attach_session("p", persistent(&a, false, 600));
    sub(router, "p", "t/#", QoS::AtLeastOnce);
    leave(router, "p", 1, g.generation, 600);
    for (payload, qos) in [
        (b"1", QoS::AtLeastOnce),
        (b"0", QoS::AtMostOnce),
        (b"2", QoS::AtLeastOnce),
    ] {
        let m = Message {
            topic: "t/x".into(),
            payload: Bytes::copy_from_slice(payload),
            qos,
            retain: false,
            properties: Properties::default(),
        };
        router.publish("x", m).expect("stored before the PUBACK");
    }
}

fn stored_payloads(router: &Router) -> Vec<Vec<u8>> {
    let stored = router.registry.stored_sessions();
    let messages = stored.into_iter().flat_map(|(_, m)| m);
    messages.map(|m| m.message.payload).collect()
}

#[test]
fn a_restarted_router_resumes_stored_sessions_and_forgets_acknowledged_messages() {
    let router = router();
    offline_session_with_two_queued(&router);
    assert_eq!(stored_payloads(&router), vec![b"1".to_vec(), b"2".to_vec()]);
    let again = Router::new(router.registry.clone());
    assert_eq!(again.subscriptions("p"), vec!["t/#".to_string()]);
    assert_eq!(again.queued("p"), 2);
    let b = conn(2, "c");
    let resumed = again.attach_session("p", persistent(&b, false, 600));
    assert!(resumed.session_present);
    assert_eq!(resumed.session_identifier, "s1");
    let got = again.take_queued("p", 2, 10);
    let payloads: Vec<&[u8]> = got.iter().map(|d| &d.message.payload[..]).collect();
    assert_eq!(payloads, vec![&b"1"[..], &b"2"[..]]);
    assert!(got.iter().all(|d| !d.message.retain));
    let first = got[0].stored.expect("stored");
    again.forget_stored("p", &[first]);
    assert_eq!(
        stored_payloads(&again),
        vec![b"2".to_vec()],
        "acknowledged: gone"
    );
    // Unacknowledged at disconnect: kept, marked DUP.
    let mut leftover = got[1].clone();
    leftover.dup = true;
    let departure = Departure {
        conn_id: 2,
        generation: resumed.generation,
        expiry_s: 600,
        leftovers: vec![leftover],
    };
    again.depart("p", departure);
    let third = Router::new(router.registry.clone());
    let replay = third.take_queued("p", 0, 10);
    assert!(replay.is_empty(), "offline: no connection takes it");
    assert_eq!(third.queued("p"), 1);
    let dup = router.registry.stored_sessions()[0].1[0].dup;
    assert!(dup);
}

#[test]
fn stored_sessions_keep_their_expiry_and_end_with_their_messages() {
    let router = router();
    offline_session_with_two_queued(&router);
    router.registry.clock().advance_ms(599_999);
    let again = Router::new(router.registry.clone());
    assert!(
        again.expire_sessions().is_empty(),
        "offline since before the restart"
    );
    router.registry.clock().advance_ms(1);
    assert_eq!(again.expire_sessions(), vec!["p".to_string()]);
    assert!(router.registry.stored_sessions().is_empty());
}

#[test]
fn a_clean_start_or_a_non_persistent_session_leaves_nothing_stored() {
    let router = router();
    offline_session_with_two_queued(&router);
    let b = conn(2, "c");
    let clean = router.attach_session("p", persistent(&b, true, 0));
    assert!(!clean.session_present);
    assert!(router.registry.stored_sessions().is_empty());
    sub(&router, "p", "t/#", QoS::AtLeastOnce);
    leave(&router, "p", 2, clean.generation, 0);
    assert!(router.registry.stored_sessions().is_empty());
    assert!(Router::new(router.registry.clone()).client_ids().is_empty());
}

#[test]
fn a_connected_persistent_session_gets_its_messages_stored_before_the_puback() {
    let router = router();
    let a = conn(1, "c");
    let g = router.attach_session("p", persistent(&a, false, 600));
    sub(&router, "p", "t/#", QoS::AtLeastOnce);
    let b = conn(2, "c");
    router.attach_session("q", persistent(&b, true, 0));
    sub(&router, "q", "t/#", QoS::AtLeastOnce);
    router
        .publish("x", message("t/x", b"1", QoS::AtLeastOnce, false))
        .expect("stored before the PUBACK");
    assert_eq!(
        stored_payloads(&router),
        vec![b"1".to_vec()],
        "only p's copy"
    );
    // A crash now: the restarted router has p's message queued.
    let again = Router::new(router.registry.clone());
    assert_eq!(again.queued("p"), 1);
    assert!(again.subscriptions("q").is_empty(), "q was not persistent");
    // Acknowledged before the crash: gone.
    let got = router.take_queued("p", 1, 10);
    router.forget_stored("p", &[got[0].stored.expect("stored")]);
    assert!(stored_payloads(&router).is_empty());
    leave(&router, "p", 1, g.generation, 600);
    assert!(stored_payloads(&router).is_empty(), "nothing left to write");
}
