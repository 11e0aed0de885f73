//! RSA-2048 key pairs for CreateKeysAndCertificate, generated ahead of demand by a
//! background pool. Key number `i` derives only from the seed and `i`, so the pool's
//! timing never changes which key a request receives.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;

use crate::basis::Entropy;

const DOMAIN: &str = "rsa";
const BITS: usize = 2048;

/// A generated key in the encodings AWS returns.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// PKCS#1 `BEGIN RSA PRIVATE KEY` PEM.
    pub private_key_pem: String,
    /// SPKI `BEGIN PUBLIC KEY` PEM.
    pub public_key_pem: String,
    /// SPKI DER, for the certificate.
    pub public_key_der: Vec<u8>,
    /// PKCS#8 DER, for signing.
    pub pkcs8_der: Vec<u8>,
}

/// Derives key number `index` of `entropy`'s RSA stream.
pub fn derive_key(entropy: &Entropy, index: u64) -> GeneratedKey {
    let mut rng = entropy.rng_at(DOMAIN, index);
    let key = RsaPrivateKey::new(&mut rng, BITS).expect("RSA-2048 generation cannot fail");
    encode(&key)
}

fn encode(key: &RsaPrivateKey) -> GeneratedKey {
    let public = key.to_public_key();
    GeneratedKey {
        private_key_pem: key
            .to_pkcs1_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        public_key_pem: public.to_public_key_pem(LineEnding::LF).unwrap_or_default(),
        public_key_der: public
            .to_public_key_der()
            .map(|d| d.into_vec())
            .unwrap_or_default(),
        pkcs8_der: key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default(),
    }
}

/// The pool: `take` hands out keys in index order; workers fill the next few ahead.
#[derive(Debug, Clone)]
pub struct KeyPool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    entropy: Arc<Entropy>,
    ahead: u64,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    done: BTreeMap<u64, GeneratedKey>,
    in_progress: BTreeSet<u64>,
    stopped: bool,
}

impl KeyPool {
    /// Starts `workers` background threads keeping up to `ahead` keys ready.
    pub fn start(entropy: Arc<Entropy>, workers: usize, ahead: u64) -> Self {
        let pool = KeyPool {
            shared: Arc::new(Shared {
                entropy,
                ahead,
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
            }),
        };
        for n in 0..workers {
            let shared = pool.shared.clone();
            let _ = thread::Builder::new()
                .name(format!("rsa-pool-{n}"))
                .spawn(move || shared.work());
        }
        pool
    }

    /// The next key (blocking: call from a blocking context).
    pub fn take(&self) -> GeneratedKey {
        let index = self.shared.entropy.next_index(DOMAIN);
        self.shared.changed.notify_all();
        let mut state = self.shared.lock();
        loop {
            if let Some(key) = state.done.remove(&index) {
                return key;
            }
            if !state.in_progress.contains(&index) {
                state.in_progress.insert(index);
                drop(state);
                let key = derive_key(&self.shared.entropy, index);
                self.shared.lock().in_progress.remove(&index);
                self.shared.changed.notify_all();
                return key;
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Stops the workers after their current key.
    pub fn stop(&self) {
        self.shared.lock().stopped = true;
        self.shared.changed.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_counter(&self) -> u64 {
        self.entropy.counters().get(DOMAIN).copied().unwrap_or(0)
    }

    /// Claims the lowest index within the look-ahead window that nobody holds.
    fn claim(&self, state: &mut State) -> Option<u64> {
        let base = self.next_counter();
        let index = (base..base + self.ahead)
            .find(|i| !state.done.contains_key(i) && !state.in_progress.contains(i))?;
        state.in_progress.insert(index);
        Some(index)
    }

    fn work(&self) {
        let mut state = self.lock();
        while !state.stopped {
            let Some(index) = self.claim(&mut state) else {
                state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            };
            drop(state);
            let key = derive_key(&self.entropy, index);
            state = self.lock();
            state.in_progress.remove(&index);
            // Claimed indices are at or above the counter, so exactly one `take` will
            // collect this key, whether it is waiting already or comes later.
            state.done.insert(index, key);
            self.changed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_hands_out_the_derived_sequence() {
        let entropy = Arc::new(Entropy::new(42));
        let pool = KeyPool::start(entropy.clone(), 1, 2);
        let first = pool.take();
        let second = pool.take();
        pool.stop();
        let fresh = Entropy::new(42);
        assert_eq!(first.private_key_pem, derive_key(&fresh, 0).private_key_pem);
        assert_eq!(
            second.private_key_pem,
            derive_key(&fresh, 1).private_key_pem
        );
        assert!(first
            .private_key_pem
            .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    }
}
