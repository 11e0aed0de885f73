//! The key pool: background threads keep up to `--key-pool` RSA keys ready so that
//! CreateKeysAndCertificate rarely waits for key generation; with a data dir the ready keys
//! are kept on disk, so a restart begins with a full pool.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use super::keys::{GeneratedKey, KeySource, DOMAIN};
use super::shelf::Shelf;
use super::PkiError;

/// How big the pool is, who fills it, and where it is kept.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Keys kept ready.
    pub size: u64,
    /// Background threads making them.
    pub workers: usize,
    /// The data dir's folder for ready keys (`None` in memory).
    pub dir: Option<PathBuf>,
}

/// The pool handle (cheap to clone).
#[derive(Debug, Clone)]
pub struct KeyPool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    source: KeySource,
    size: u64,
    shelf: Option<Shelf>,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Ready keys (PKCS#8 DER) by index: the derived index, or a running number.
    ready: BTreeMap<u64, Vec<u8>>,
    in_progress: BTreeSet<u64>,
    /// The next running number of a fresh key.
    next_fresh: u64,
    stopped: bool,
}

impl KeyPool {
    /// Loads the keys kept on disk, then starts the workers that fill the pool.
    pub fn start(source: KeySource, config: PoolConfig) -> Self {
        let mut state = State::default();
        let shelf = config
            .dir
            .and_then(|dir| open_shelf(dir, &source, &mut state));
        let pool = KeyPool {
            shared: Arc::new(Shared {
                source,
                size: config.size,
                shelf,
                state: Mutex::new(state),
                changed: Condvar::new(),
            }),
        };
        for n in 0..config.workers {
            let shared = pool.shared.clone();
            let _ = thread::Builder::new()
                .name(format!("rsa-pool-{n}"))
                .spawn(move || shared.work());
        }
        pool
    }

    /// The next key (blocking: call from a blocking context). A key handed out is gone
    /// from disk first, so no restart hands it out again.
    pub fn take(&self) -> Result<GeneratedKey, PkiError> {
        let (index, der, pooled) = match &self.shared.source {
            KeySource::Derived(entropy) => self.shared.take_derived(entropy.next_index(DOMAIN)),
            KeySource::Fresh => self.shared.take_fresh(),
        };
        self.shared.changed.notify_all();
        if let (true, Some(shelf)) = (pooled, &self.shared.shelf) {
            shelf
                .remove(index)
                .map_err(|e| PkiError::Internal(format!("key pool: {e}")))?;
        }
        GeneratedKey::from_pkcs8(&der)
    }

    /// How many keys are ready now.
    pub fn ready(&self) -> usize {
        self.shared.lock().ready.len()
    }

    /// Stops the workers after their current key.
    pub fn stop(&self) {
        self.shared.lock().stopped = true;
        self.shared.changed.notify_all();
    }
}

/// Opens the shelf of `source`'s kind and loads its keys into `state`.
fn open_shelf(dir: PathBuf, source: &KeySource, state: &mut State) -> Option<Shelf> {
    // Derived and fresh keys are kept apart: a fresh key must never pass for key `i`.
    let dir = match source {
        KeySource::Derived(entropy) => dir.join(format!("derived-{}", entropy.seed())),
        KeySource::Fresh => dir.join("fresh"),
    };
    let (shelf, kept) = match Shelf::open(dir) {
        Ok(opened) => opened,
        Err(e) => {
            tracing::warn!(cause = %e, "key pool kept in memory only");
            return None;
        }
    };
    let first_usable = match source {
        KeySource::Derived(entropy) => entropy.counters().get(DOMAIN).copied().unwrap_or(0),
        KeySource::Fresh => 0,
    };
    for (index, der) in kept {
        if index >= first_usable && GeneratedKey::from_pkcs8(&der).is_ok() {
            state.ready.insert(index, der);
        } else {
            let _ = shelf.remove(index);
        }
    }
    state.next_fresh = state.ready.keys().next_back().map_or(0, |last| last + 1);
    Some(shelf)
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Key `index`: ready, or being made by a worker (wait), or made here.
    /// Returns `(index, der, whether it came from the pool)`.
    fn take_derived(&self, index: u64) -> (u64, Vec<u8>, bool) {
        let mut state = self.lock();
        loop {
            if let Some(der) = state.ready.remove(&index) {
                return (index, der, true);
            }
            if !state.in_progress.contains(&index) {
                state.in_progress.insert(index);
                drop(state);
                let der = self.source.make(index);
                self.lock().in_progress.remove(&index);
                return (index, der, false);
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Any ready key; else the next a worker finishes; else one made here.
    fn take_fresh(&self) -> (u64, Vec<u8>, bool) {
        let mut state = self.lock();
        loop {
            if let Some((index, der)) = state.ready.pop_first() {
                return (index, der, true);
            }
            if state.in_progress.is_empty() || state.stopped {
                drop(state);
                return (u64::MAX, self.source.make(0), false);
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The next index a worker should make, if the pool is short of one.
    fn claim(&self, state: &mut State) -> Option<u64> {
        let index = match &self.source {
            KeySource::Derived(entropy) => {
                let base = entropy.counters().get(DOMAIN).copied().unwrap_or(0);
                (base..base + self.size)
                    .find(|i| !state.ready.contains_key(i) && !state.in_progress.contains(i))?
            }
            KeySource::Fresh => {
                if (state.ready.len() + state.in_progress.len()) as u64 >= self.size {
                    return None;
                }
                state.next_fresh += 1;
                state.next_fresh - 1
            }
        };
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
            let der = self.source.make(index);
            if let Some(shelf) = &self.shelf {
                if let Err(e) = shelf.put(index, &der) {
                    tracing::warn!(cause = %e, "pooled key not kept on disk");
                }
            }
            state = self.lock();
            state.in_progress.remove(&index);
            // A derived index is claimed at or above the counter, so exactly one `take`
            // collects it, whether it is waiting already or comes later.
            state.ready.insert(index, der);
            self.changed.notify_all();
        }
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
