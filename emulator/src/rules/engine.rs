//! The tap and the worker: the broker offers every routed message; the ones some enabled
//! rule selects join a bounded queue, and one task evaluates them off the broker's path
//! and starts their actions ([`super::execute`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{mpsc, watch, Semaphore};

use super::filter;
use super::rule::{self, Compiled};
use super::sinks::{FunctionInvoker, LogSink};
use crate::registry::Registry;
use crate::state::DataPlaneSlot;

/// Messages waiting for evaluation; past this the broker's offers are dropped (and
/// logged), never waited for.
pub const QUEUE: usize = 4096;
/// Rule matches whose actions run at once; beyond it the worker waits (and the queue
/// fills) instead of spawning without bound.
const RUNNING: usize = 256;

/// One routed message, as the rules see it.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The topic as published (Basic Ingest prefix included).
    pub topic: String,
    pub payload: Bytes,
    /// The publisher's MQTT client id; `None` for HTTP publishes and the broker's own.
    pub client_id: Option<String>,
    /// The publisher's certificate id.
    pub principal: Option<String>,
}

/// The compiled rules of one registry generation.
#[derive(Debug, Default)]
pub(super) struct RuleSet {
    pub(super) rules: BTreeMap<String, Arc<Compiled>>,
}

impl RuleSet {
    fn build(registry: &Registry) -> RuleSet {
        let mut rules = BTreeMap::new();
        for stored in registry.topic_rules() {
            match rule::compile(&stored) {
                Ok(c) => {
                    rules.insert(stored.rule_name.clone(), Arc::new(c));
                }
                Err(e) => tracing::warn!(rule = %stored.rule_name, cause = %e.message,
                    "stored topic rule no longer compiles: it will not run"),
            }
        }
        RuleSet { rules }
    }

    /// The rules `topic` reaches: for Basic Ingest only the named rule, when enabled.
    pub(super) fn targets(&self, topic: &str) -> Vec<Arc<Compiled>> {
        if let Some((name, _)) = filter::basic_ingest(topic) {
            let rule = self.rules.get(name).filter(|r| !r.disabled);
            return rule.cloned().into_iter().collect();
        }
        let selecting = self.rules.values().filter(|r| r.selects(topic));
        selecting.cloned().collect()
    }

    fn wants(&self, topic: &str) -> bool {
        match filter::basic_ingest(topic) {
            Some((name, _)) => self.rules.get(name).is_some_and(|r| !r.disabled),
            None => self.rules.values().any(|r| r.selects(topic)),
        }
    }
}

/// The rules engine (cheap to clone).
#[derive(Clone, Debug)]
pub struct Engine {
    pub(super) shared: Arc<Shared>,
}

#[derive(Debug)]
pub(super) struct Shared {
    pub(super) registry: Registry,
    pub(super) data_plane: DataPlaneSlot,
    pub(super) invoker: Sink<dyn FunctionInvoker>,
    pub(super) logs: Sink<dyn LogSink>,
    rules: Mutex<(u64, Arc<RuleSet>)>,
    queue: mpsc::Sender<Inbound>,
    inbox: Mutex<Option<mpsc::Receiver<Inbound>>>,
    pub(super) running: Arc<Semaphore>,
    dropped: AtomicU64,
    last_warning_ms: AtomicI64,
}

impl Engine {
    /// An engine over the rules in `registry`; republish goes through `data_plane`.
    pub fn new(registry: Registry, data_plane: DataPlaneSlot) -> Engine {
        let (queue, inbox) = mpsc::channel(QUEUE);
        Engine {
            shared: Arc::new(Shared {
                registry,
                data_plane,
                invoker: Sink::default(),
                logs: Sink::default(),
                rules: Mutex::new((u64::MAX, Arc::default())),
                queue,
                inbox: Mutex::new(Some(inbox)),
                running: Arc::new(Semaphore::new(RUNNING)),
                dropped: AtomicU64::new(0),
                last_warning_ms: AtomicI64::new(i64::MIN),
            }),
        }
    }

    /// Where lambda actions go (the Lambda engine); a later install replaces it.
    pub fn install_function_invoker(&self, invoker: Arc<dyn FunctionInvoker>) {
        self.shared.invoker.set(invoker);
    }

    /// Where cloudwatchLogs actions go (the Logs engine); a later install replaces it.
    pub fn install_log_sink(&self, sink: Arc<dyn LogSink>) {
        self.shared.logs.set(sink);
    }

    /// The compiled rules, recompiled when the registry's rules changed.
    pub(super) fn rule_set(&self) -> Arc<RuleSet> {
        let generation = self.shared.registry.topic_rules_generation();
        let mut cached = self.shared.rules.lock().unwrap_or_else(|e| e.into_inner());
        if cached.0 != generation {
            *cached = (generation, Arc::new(RuleSet::build(&self.shared.registry)));
        }
        cached.1.clone()
    }

    /// Whether any enabled rule would see a message on `topic` (the broker asks before
    /// it gathers what [`Engine::offer`] needs).
    pub fn wants(&self, topic: &str) -> bool {
        self.rule_set().wants(topic)
    }

    /// Hands a routed message to the rules without waiting: when the queue is full the
    /// message is dropped for the rules and a warning logged.
    pub fn offer(&self, inbound: Inbound) {
        let Err(e) = self.shared.queue.try_send(inbound) else {
            return;
        };
        let dropped = self.shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.shared.registry.clock().now_ms();
        let last = self.shared.last_warning_ms.load(Ordering::Relaxed);
        // One warning per second of emulator time at most, with the running count.
        if now.saturating_sub(last) >= 1000 || now < last {
            self.shared.last_warning_ms.store(now, Ordering::Relaxed);
            let topic = match &e {
                mpsc::error::TrySendError::Full(m) | mpsc::error::TrySendError::Closed(m) => {
                    m.topic.clone()
                }
            };
            tracing::warn!(%topic, dropped, capacity = QUEUE,
                "rules engine queue full: message not evaluated by any rule");
        }
    }

    /// How many messages the rules never saw because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Evaluates queued messages until shutdown. Runs once per engine.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let inbox = self.shared.inbox.lock().ok().and_then(|mut i| i.take());
        let Some(mut inbox) = inbox else {
            tracing::error!("the rules engine worker was started twice");
            return;
        };
        loop {
            let message = tokio::select! {
                _ = shutdown.changed() => return,
                message = inbox.recv() => message,
            };
            let Some(message) = message else { return };
            let rules = self.rule_set().targets(&message.topic);
            for rule in rules {
                self.evaluate(&rule, &message).await;
            }
        }
    }
}

/// Where one kind of action goes: installed at start-up, replaceable (tests put a
/// recording stand-in in the Lambda engine's place).
#[derive(Debug)]
pub(super) struct Sink<T: ?Sized>(std::sync::RwLock<Option<Arc<T>>>);

impl<T: ?Sized> Default for Sink<T> {
    fn default() -> Self {
        Sink(std::sync::RwLock::new(None))
    }
}

impl<T: ?Sized> Sink<T> {
    pub(super) fn set(&self, value: Arc<T>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(value);
    }

    pub(super) fn get(&self) -> Option<Arc<T>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
