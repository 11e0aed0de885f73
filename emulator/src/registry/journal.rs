//! Group commit: durable registry writes that run at the same time share one fsync, and
//! each still returns only once its own changes are on disk.
//!
//! A write applies its changes in memory under the registry lock and, before releasing
//! the lock, appends them here with the next sequence number, so the journal's order is
//! the order the changes were applied in. It then waits, off the lock, for its number to
//! be resolved. Whoever finds changes queued and no commit running becomes the leader: it
//! takes everything queued, commits it as one store transaction (one fsync) and wakes the
//! others; what is queued meanwhile goes in the next batch.
//!
//! A failed commit undoes its batch and everything queued after it (which may build on
//! the batch), newest first, and every one of those writes fails. Reads are not held back:
//! for the moment between a write's apply and its fsync, others can see it before its
//! caller hears it succeeded (our choice: AWS's control plane promises readers no more).

use std::sync::{Condvar, Mutex, MutexGuard};

use super::{Inner, IotError, IotResult, Registry, Tx};
use crate::basis::Change;

/// The writes applied in memory and not yet resolved (on disk, or failed and undone).
#[derive(Debug, Default)]
pub(super) struct Journal {
    state: Mutex<State>,
    resolved: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Applied, not yet taken by a leader, oldest first.
    queue: Vec<Entry>,
    /// The number given to the newest write.
    last: u64,
    /// Every write numbered up to here is resolved.
    resolved: u64,
    /// Ranges of numbers whose writes failed (rare; kept so late waiters learn it).
    failed: Vec<(u64, u64)>,
    /// A leader is committing a batch.
    committing: bool,
}

/// One applied write: its changes (taken out by the leader) and its undo log.
#[derive(Debug)]
struct Entry {
    seq: u64,
    tx: Tx,
}

impl State {
    fn outcome(&self, seq: u64) -> Option<IotResult<()>> {
        if seq > self.resolved {
            return None;
        }
        let failed = self.failed.iter().any(|&(a, b)| (a..=b).contains(&seq));
        Some(match failed {
            true => Err(save_failed()),
            false => Ok(()),
        })
    }
}

fn save_failed() -> IotError {
    IotError::internal("An internal error occurred while saving the change")
}

impl Journal {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an applied write; called with the registry lock held. Returns its number.
    pub(super) fn append(&self, tx: Tx) -> u64 {
        let mut state = self.lock();
        state.last += 1;
        let seq = state.last;
        state.queue.push(Entry { seq, tx });
        seq
    }

    /// The number of the newest write: a write that changed nothing waits for it, since
    /// what it answered may rest on writes not yet on disk.
    pub(super) fn last(&self) -> u64 {
        self.lock().last
    }

    /// Nothing queued or being committed.
    pub(super) fn idle(&self) -> bool {
        let state = self.lock();
        state.queue.is_empty() && !state.committing
    }
}

impl Registry {
    /// Waits until write `seq` is resolved, committing batches as leader when nobody else
    /// is. Blocks the thread; on a multi-threaded runtime the worker's other tasks move
    /// elsewhere meanwhile, so more writes can join the next batch.
    pub(super) fn wait_durable(&self, seq: u64) -> IotResult<()> {
        if let Some(outcome) = self.shared.journal.lock().outcome(seq) {
            return outcome;
        }
        blocking(|| {
            let journal = &self.shared.journal;
            let mut state = journal.lock();
            loop {
                if let Some(outcome) = state.outcome(seq) {
                    return outcome;
                }
                if state.committing || state.queue.is_empty() {
                    state = journal
                        .resolved
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                state.committing = true;
                let batch = std::mem::take(&mut state.queue);
                drop(state);
                self.commit_batch(batch);
                state = journal.lock();
            }
        })
    }

    /// Commits `batch` in one store transaction and resolves it, or undoes it.
    fn commit_batch(&self, mut batch: Vec<Entry>) {
        let changes: Vec<Change> = batch
            .iter_mut()
            .flat_map(|e| std::mem::take(&mut e.tx.changes))
            .collect();
        let saved = match &self.shared.store {
            Some(store) => store.commit(&changes),
            None => Ok(()),
        };
        match saved {
            Ok(()) => {
                let journal = &self.shared.journal;
                let mut state = journal.lock();
                state.resolved = batch.last().map_or(state.resolved, |e| e.seq);
                state.committing = false;
                journal.resolved.notify_all();
            }
            Err(e) => {
                tracing::error!(cause = %e, writes = batch.len(), "commit failed");
                self.undo_from(batch);
            }
        }
    }

    /// Undoes the failed `batch` and every write queued after it, newest first, and fails
    /// them all. The registry lock is taken first, as writers take it.
    fn undo_from(&self, batch: Vec<Entry>) {
        let mut inner = self.lock();
        let journal = &self.shared.journal;
        let mut state = journal.lock();
        let later = std::mem::take(&mut state.queue);
        let first = batch.first().map_or(0, |e| e.seq);
        let last = state.last;
        for entry in later.into_iter().rev().chain(batch.into_iter().rev()) {
            Inner::rollback(&mut inner, entry.tx);
        }
        state.failed.push((first, last));
        state.resolved = last;
        state.committing = false;
        self.bump_authorization_always();
        journal.resolved.notify_all();
    }
}

/// Runs `f`, which blocks, without starving a multi-threaded runtime's other tasks.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
