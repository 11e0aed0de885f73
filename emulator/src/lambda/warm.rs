//! Warm execution environments: the idle runtime processes kept between invocations,
//! by function, each tied to the function revision it was started for. An invocation
//! takes the most recently used idle environment of its function, or starts a new one;
//! as many run at once as `--lambda-concurrency` lets invocations run. Updating or
//! deleting a function retires its environments.

use std::time::Instant;

use super::process::Environment;

/// A choice: at most this many idle environments are kept across all functions (AWS
/// keeps them for minutes to hours); beyond it the least recently used one is stopped.
pub(crate) const MAX_IDLE: usize = 16;

#[derive(Debug)]
struct Idle {
    function: String,
    env: Environment,
    since: Instant,
}

/// The idle environments.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    idle: Vec<Idle>,
}

impl Pool {
    /// The most recently used live environment of `function` at `revision`; environments
    /// of an older revision, and dead ones, are stopped on the way.
    pub(crate) fn take(&mut self, function: &str, revision: &str) -> Option<Environment> {
        self.idle
            .retain(|i| i.function != function || i.env.revision == revision);
        loop {
            let newest = self
                .idle
                .iter()
                .enumerate()
                .filter(|(_, i)| i.function == function)
                .max_by_key(|(_, i)| i.since)
                .map(|(n, _)| n)?;
            let mut idle = self.idle.swap_remove(newest);
            if idle.env.alive() {
                return Some(idle.env);
            }
        }
    }

    /// Keeps `env` for the next invocation of `function`.
    pub(crate) fn put(&mut self, function: &str, env: Environment) {
        self.idle.push(Idle {
            function: function.to_string(),
            env,
            since: Instant::now(),
        });
        while self.idle.len() > MAX_IDLE {
            let oldest = self
                .idle
                .iter()
                .enumerate()
                .min_by_key(|(_, i)| i.since)
                .map(|(n, _)| n);
            match oldest {
                Some(n) => drop(self.idle.swap_remove(n)),
                None => break,
            }
        }
    }

    /// Stops every idle environment of `function` (its process is killed on drop).
    pub(crate) fn retire(&mut self, function: &str) {
        self.idle.retain(|i| i.function != function);
    }

    /// Stops every idle environment.
    pub(crate) fn clear(&mut self) {
        self.idle.clear();
    }

    /// How many idle environments `function` has.
    pub(crate) fn idle_count(&self, function: &str) -> usize {
        self.idle.iter().filter(|i| i.function == function).count()
    }
}
