//! Group commit: concurrent writes all reach the disk; a failed commit undoes its batch
//! and what was queued after it, newest first.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::*;
use crate::basis::{Clock, Entropy, Store};
use crate::registry::{Account, ErrorKind};

fn open(dir: &std::path::Path) -> Registry {
    let store = Store::open(&dir.join("r.redb")).unwrap();
    let account = Account {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
    };
    let entropy = Arc::new(Entropy::new(1));
    Registry::open(Some(store), account, Clock::frozen(0), entropy).unwrap()
}

fn fail_commits(r: &Registry, on: bool) {
    let store = r.shared.store.as_ref().unwrap();
    store.fail_commits.store(on, Ordering::SeqCst);
}

#[test]
fn concurrent_writes_all_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let r = r.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    r.create_thing(&format!("t{t}-{i}"), Default::default())
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(r.shared.journal.idle());
    drop(r);
    let r = open(dir.path());
    let all = r.list_things(&Default::default()).unwrap();
    assert_eq!(all.len(), 400);
}

#[test]
fn a_failed_commit_fails_the_write_and_undoes_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    r.create_thing("kept", Default::default()).unwrap();
    fail_commits(&r, true);
    let e = r.create_thing("lost", Default::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InternalFailure);
    let missing = r.describe_thing("lost").unwrap_err();
    assert_eq!(missing.kind, ErrorKind::ResourceNotFound);
    fail_commits(&r, false);
    r.create_thing("lost", Default::default()).unwrap();
    drop(r);
    let r = open(dir.path());
    assert!(r.describe_thing("kept").is_ok() && r.describe_thing("lost").is_ok());
}

/// A write queued while a failing batch commits may build on it: it is undone too, after
/// the batch's own writes are, newest first.
#[test]
fn a_failed_batch_takes_the_writes_queued_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    let apply = |value: i64| {
        let mut inner = r.lock();
        let mut tx = Tx::default();
        inner.meta.put(&mut tx, "k", serde_json::json!(value));
        r.shared.journal.append(tx)
    };
    let first = apply(1);
    let batch = {
        let mut state = r.shared.journal.lock();
        state.committing = true;
        std::mem::take(&mut state.queue)
    };
    let second = apply(2);
    assert_eq!(r.read(|inner| inner.meta.get("k").cloned()), Some(2.into()));
    fail_commits(&r, true);
    r.commit_batch(batch);
    assert!(r.wait_durable(first).is_err());
    assert!(r.wait_durable(second).is_err());
    assert_eq!(r.read(|inner| inner.meta.get("k").cloned()), None);
    fail_commits(&r, false);
    r.write(|inner, tx| {
        inner.meta.put(tx, "k", serde_json::json!(3));
        Ok(())
    })
    .unwrap();
    drop(r);
    let r = open(dir.path());
    assert_eq!(r.read(|inner| inner.meta.get("k").cloned()), Some(3.into()));
}
