//! Deterministic randomness: every id, key and token derives from one seed and a counter.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

/// Draws named streams of random bytes from a seed. Each draw from a domain bumps that
/// domain's counter, so the same seed and the same sequence of requests give the same
/// values; the counters are persisted so a restart never repeats a value.
#[derive(Debug)]
pub struct Entropy {
    seed: u64,
    counters: Mutex<BTreeMap<String, u64>>,
}

impl Entropy {
    /// A source for `seed`, with all counters at zero.
    pub fn new(seed: u64) -> Self {
        Entropy {
            seed,
            counters: Mutex::new(BTreeMap::new()),
        }
    }

    /// A source with an unpredictable seed.
    pub fn random() -> Self {
        Self::new(rand_core::OsRng.next_u64())
    }

    /// The seed this source was built from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A generator for draw number `index` of `domain`, independent of the counters.
    pub fn rng_at(&self, domain: &str, index: u64) -> ChaCha20Rng {
        let mut hash = Sha256::new();
        hash.update(self.seed.to_be_bytes());
        hash.update(domain.as_bytes());
        hash.update([0]);
        hash.update(index.to_be_bytes());
        ChaCha20Rng::from_seed(hash.finalize().into())
    }

    /// Reserves the next index of `domain`.
    pub fn next_index(&self, domain: &str) -> u64 {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let counter = counters.entry(domain.to_string()).or_insert(0);
        let index = *counter;
        *counter += 1;
        index
    }

    /// A fresh generator from `domain`.
    pub fn rng(&self, domain: &str) -> ChaCha20Rng {
        let index = self.next_index(domain);
        self.rng_at(domain, index)
    }

    /// `n` fresh random bytes from `domain`.
    pub fn bytes(&self, domain: &str, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        self.rng(domain).fill_bytes(&mut out);
        out
    }

    /// `n` random bytes as lowercase hex.
    pub fn hex(&self, domain: &str, n: usize) -> String {
        hex::encode(self.bytes(domain, n))
    }

    /// A random version-4 UUID string.
    pub fn uuid(&self, domain: &str) -> String {
        let mut b = self.bytes(domain, 16);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// `n` characters from `[a-z0-9]`.
    pub fn lower_alnum(&self, domain: &str, n: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        self.bytes(domain, n)
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect()
    }

    /// A copy of the counters, for persistence.
    pub fn counters(&self) -> BTreeMap<String, u64> {
        self.counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Restores counters read back from the store.
    pub fn restore_counters(&self, saved: BTreeMap<String, u64>) {
        *self.counters.lock().unwrap_or_else(|e| e.into_inner()) = saved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let a = Entropy::new(7);
        let b = Entropy::new(7);
        assert_eq!(a.hex("x", 8), b.hex("x", 8));
        assert_eq!(a.uuid("x"), b.uuid("x"));
        assert_ne!(a.hex("x", 8), Entropy::new(8).hex("x", 8));
    }

    #[test]
    fn restored_counters_never_repeat() {
        let a = Entropy::new(1);
        let first = a.hex("d", 8);
        let b = Entropy::new(1);
        b.restore_counters(a.counters());
        assert_ne!(b.hex("d", 8), first);
    }
}
