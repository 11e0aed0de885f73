use std::sync::Arc;

use super::*;
use crate::basis::Entropy;
use crate::pki::keys::derive_key;

fn config(size: u64, workers: usize, dir: Option<PathBuf>) -> PoolConfig {
    PoolConfig { size, workers, dir }
}

/// Waits (on the pool's own condition) until `n` keys are ready.
fn wait_ready(pool: &KeyPool, n: usize) {
    let mut state = pool.shared.lock();
    while state.ready.len() < n {
        state = pool.shared.changed.wait(state).unwrap();
    }
}

#[test]
fn pool_hands_out_the_derived_sequence() {
    let entropy = Arc::new(Entropy::new(42));
    let pool = KeyPool::start(KeySource::Derived(entropy), config(2, 1, None));
    let first = pool.take().unwrap();
    let second = pool.take().unwrap();
    pool.stop();
    let fresh = Entropy::new(42);
    assert_eq!(first.private_key_pem, derive_key(&fresh, 0).private_key_pem);
    assert_eq!(
        second.private_key_pem,
        derive_key(&fresh, 1).private_key_pem
    );
}

#[test]
fn fresh_keys_kept_on_disk_survive_a_restart_once() {
    let dir = tempfile::tempdir().unwrap();
    let pool = KeyPool::start(KeySource::Fresh, config(3, 2, Some(dir.path().into())));
    wait_ready(&pool, 3);
    pool.stop();
    let handed = pool.take().unwrap();
    drop(pool);

    let reopened = KeyPool::start(KeySource::Fresh, config(3, 0, Some(dir.path().into())));
    assert_eq!(reopened.ready(), 2, "the two keys not handed out are back");
    let a = reopened.take().unwrap();
    let b = reopened.take().unwrap();
    assert_ne!(a.private_key_pem, handed.private_key_pem);
    assert_ne!(b.private_key_pem, handed.private_key_pem);
    assert_ne!(a.private_key_pem, b.private_key_pem);
    let again = KeyPool::start(KeySource::Fresh, config(3, 0, Some(dir.path().into())));
    assert_eq!(again.ready(), 0, "handed-out keys are gone from disk");
}

#[test]
fn derived_keys_on_disk_stay_the_derived_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let entropy = Arc::new(Entropy::new(9));
    let source = KeySource::Derived(entropy.clone());
    let pool = KeyPool::start(source.clone(), config(2, 1, Some(dir.path().into())));
    wait_ready(&pool, 2);
    pool.stop();
    drop(pool);
    let reopened = KeyPool::start(source, config(2, 0, Some(dir.path().into())));
    assert_eq!(reopened.ready(), 2);
    let first = reopened.take().unwrap();
    assert_eq!(
        first.private_key_pem,
        derive_key(&Entropy::new(9), 0).private_key_pem
    );
}

#[test]
fn a_stopped_empty_pool_still_makes_keys() {
    let pool = KeyPool::start(KeySource::Fresh, config(0, 0, None));
    pool.stop();
    assert!(pool.take().is_ok());
}
