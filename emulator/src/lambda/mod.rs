//! A local AWS Lambda: functions (create, read, update, delete, resource policies) whose
//! code is unpacked under the data dir, and a runtime that runs each invocation as a local
//! Python (or Node.js) process kept warm between invocations ([`runtime`], [`process`],
//! [`warm`]) and writes its log to CloudWatch Logs
//! ([`crate::logs`]). The rest-json front end is [`crate::api::lambda`]; provisioning
//! hooks and the rules engine call [`Lambda::invoke`] and [`Lambda::invoke_event`].

pub mod code;
mod control;
pub mod error;
pub mod function;
mod invoke;
pub mod permissions;
pub mod process;
pub mod runtime;
pub mod store;
mod tags;
mod warm;

pub use error::{LambdaError, LambdaResult};
pub use function::FunctionRecord;
pub use invoke::{Invocation, FUNCTION_ERROR_UNHANDLED};
pub use runtime::RuntimeConfig;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::sync::Semaphore;

use crate::basis::{Clock, Entropy};
use crate::logs::Logs;
use crate::registry::Account;
use store::FunctionStore;

/// The runtime's bootstraps, written next to the functions at start.
const PYTHON_BOOTSTRAP: &str = include_str!("bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("bootstrap.mjs");

/// The Lambda engine handle (cheap to clone).
#[derive(Debug, Clone)]
pub struct Lambda {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    functions: Mutex<BTreeMap<String, FunctionRecord>>,
    /// Idle execution environments (live processes).
    pool: Mutex<warm::Pool>,
    store: FunctionStore,
    runtimes: RuntimeConfig,
    permits: Arc<Semaphore>,
    logs: Logs,
    account: Account,
    clock: Clock,
    entropy: Arc<Entropy>,
    /// The emulator's API URL, known once the listener is bound.
    endpoint: OnceLock<String>,
}

/// What the engine is built from.
pub struct Setup {
    pub data_dir: Option<std::path::PathBuf>,
    pub runtimes: RuntimeConfig,
    pub logs: Logs,
    pub account: Account,
    pub clock: Clock,
    pub entropy: Arc<Entropy>,
}

impl Lambda {
    /// Opens the function store (loading the functions a data dir holds).
    pub fn open(setup: Setup) -> std::io::Result<Self> {
        let store = FunctionStore::open(setup.data_dir.as_deref())?;
        let python = bootstrap_path(store.root(), runtime::Language::Python);
        std::fs::write(python, PYTHON_BOOTSTRAP)?;
        let node = bootstrap_path(store.root(), runtime::Language::Node);
        std::fs::write(node, NODE_BOOTSTRAP)?;
        let functions = store
            .load_all()
            .into_iter()
            .map(|f| (f.name.clone(), f))
            .collect();
        let permits = Arc::new(Semaphore::new(setup.runtimes.concurrency.max(1)));
        Ok(Lambda {
            inner: Arc::new(Inner {
                functions: Mutex::new(functions),
                pool: Mutex::new(warm::Pool::default()),
                store,
                runtimes: setup.runtimes,
                permits,
                logs: setup.logs,
                account: setup.account,
                clock: setup.clock,
                entropy: setup.entropy,
                endpoint: OnceLock::new(),
            }),
        })
    }

    /// Sets the URL functions reach the emulator at (`AWS_ENDPOINT_URL`).
    pub fn set_endpoint(&self, url: String) {
        let _ = self.inner.endpoint.set(url);
    }

    /// The emulator's API URL, once its listener is bound.
    pub fn api_url(&self) -> Option<String> {
        self.inner.endpoint.get().cloned()
    }

    /// Deletes every function and its files (the emulator's reset).
    pub fn reset(&self) {
        let names: Vec<String> = std::mem::take(&mut *self.functions()).into_keys().collect();
        self.pool().clear();
        for name in names {
            self.inner.store.remove(&name);
        }
    }

    fn functions(&self) -> MutexGuard<'_, BTreeMap<String, FunctionRecord>> {
        // Records are plain data; a panic elsewhere leaves them usable.
        self.inner
            .functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn pool(&self) -> MutexGuard<'_, warm::Pool> {
        // Idle environments only; a panic elsewhere leaves them usable.
        self.inner.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many idle (warm) execution environments `function` has.
    pub fn warm_environments(&self, function: &str) -> usize {
        self.pool().idle_count(function)
    }

    /// `arn:<partition>:lambda:<region>:<account>:function:<name>`.
    pub fn function_arn(&self, name: &str) -> String {
        let a = &self.inner.account;
        format!(
            "arn:{}:lambda:{}:{}:function:{name}",
            a.partition(),
            a.region,
            a.account_id
        )
    }

    /// Whether `name_or_arn` names an existing function (`$LATEST`).
    pub fn exists(&self, name_or_arn: &str) -> bool {
        self.record(name_or_arn, None).is_ok()
    }

    /// The record `name_or_arn` (a name, a partial or a full ARN, maybe qualified) names.
    fn record(&self, name_or_arn: &str, qualifier: Option<&str>) -> LambdaResult<FunctionRecord> {
        let name = self.resolve(name_or_arn, qualifier)?;
        self.functions()
            .get(&name)
            .cloned()
            .ok_or_else(|| self.not_found(&name))
    }

    fn not_found(&self, name: &str) -> LambdaError {
        LambdaError::ResourceNotFound(format!("Function not found: {}", self.function_arn(name)))
    }

    /// The function name in `name`, `name:qualifier`, `account:function:name` or a full
    /// ARN; only `$LATEST` exists (versions and aliases are not emulated).
    fn resolve(&self, given: &str, qualifier: Option<&str>) -> LambdaResult<String> {
        let (name, inline) = split_function_name(given);
        if given.starts_with("arn:") && !given.starts_with(&self.function_arn(name)) {
            return Err(LambdaError::ResourceNotFound(format!(
                "Function not found: {given}"
            )));
        }
        function::check_name(name)?;
        match qualifier.or(inline) {
            None | Some("$LATEST") => Ok(name.to_string()),
            Some(q) => Err(LambdaError::ResourceNotFound(format!(
                "Function not found: {}:{q}",
                self.function_arn(name)
            ))),
        }
    }
}

/// `(name, qualifier)` of the forms Lambda accepts for `FunctionName`.
fn split_function_name(given: &str) -> (&str, Option<&str>) {
    let rest = match given.find("function:") {
        Some(i) => &given[i + "function:".len()..],
        None => given,
    };
    match rest.split_once(':') {
        Some((name, q)) => (name, Some(q)),
        None => (rest, None),
    }
}

fn bootstrap_path(root: &Path, language: runtime::Language) -> std::path::PathBuf {
    match language {
        runtime::Language::Python => root.join("bootstrap_python.py"),
        runtime::Language::Node => root.join("bootstrap_node.mjs"),
    }
}

#[cfg(test)]
mod tests;
