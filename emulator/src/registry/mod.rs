//! The registry: AWS IoT's domain model (certificates, CAs, things, groups, types, policies,
//! templates, role aliases) behind one lock, persisted change by change.
//!
//! Engines and front ends use named operations (`describe_thing`, `apply_plan`,
//! `authorization_facts`, ...); only this module's files see [`Inner`]'s tables.
//! Every write runs as a closure over [`Inner`] that logs its changes in a [`Tx`]. When the
//! closure succeeds the changes are committed durably before the caller sees the result
//! (concurrent writes share one fsync: see [`journal`]); when it fails, or the commit
//! fails, the logged undo restores the previous state, so a write is all or nothing.

pub mod arn;
pub mod authorization;
pub mod ca;
pub mod ca_ops;
pub mod certificate;
pub mod certificate_ops;
mod dry_run;
pub mod error;
pub mod issued_credentials;
pub mod job;
pub mod job_write;
mod journal;
pub mod ownership_token;
pub mod plan;
pub mod policy;
pub mod provision;
pub mod provision_single;
pub mod retained;
pub mod role_alias;
pub mod rule_destination;
pub mod session;
pub mod shadow;
pub mod stack_record;
pub mod table;
pub mod tags;
pub mod template;
pub mod thing;
pub mod thing_group;
pub mod thing_group_members;
pub mod thing_ops;
pub mod thing_principal;
pub mod thing_type;
pub mod topic_rule;
pub mod validate;

#[cfg(test)]
pub(crate) mod testing;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use arn::Account;
pub use error::{ErrorKind, IotError, IotResult};
pub use table::{Table, Tx};

use crate::basis::{Change, Clock, Entropy, Store};
use table::RowSink;

/// Every table of the registry.
#[derive(Debug)]
pub struct Inner {
    pub certificates: Table<certificate::Certificate>,
    pub ca_certificates: Table<ca::CaCertificate>,
    /// Things, indexed by their principals (see [`Inner::things_of_principal`]).
    pub things: Table<thing::Thing>,
    pub thing_types: Table<thing_type::ThingType>,
    pub thing_groups: Table<thing_group::ThingGroup>,
    pub policies: Table<policy::Policy>,
    /// Policy attachments, keyed `"<policyName>\n<target>"`, indexed by target (see
    /// [`Inner::policies_attached_to`]).
    pub policy_targets: Table<policy::PolicyTarget>,
    pub templates: Table<template::ProvisioningTemplate>,
    pub role_aliases: Table<role_alias::RoleAlias>,
    /// Fleet provisioning ownership tokens, keyed by the token.
    pub ownership_tokens: Table<ownership_token::OwnershipToken>,
    /// Credentials the credentials provider issued, keyed by access key id.
    pub issued_credentials: Table<issued_credentials::IssuedCredentials>,
    /// Retained MQTT messages, keyed by topic.
    pub retained: Table<retained::RetainedMessage>,
    /// Persistent MQTT sessions, keyed by client id.
    pub sessions: Table<session::StoredSession>,
    /// Their queued QoS 1 messages, keyed `"<clientId>\n<seq>"`.
    pub session_messages: Table<session::StoredMessage>,
    /// Topic rules, keyed by name.
    pub topic_rules: Table<topic_rule::TopicRule>,
    /// Topic rule destinations, keyed by ARN.
    pub topic_rule_destinations: Table<topic_rule::TopicRuleDestination>,
    /// Device shadows (and deleted ones' versions), keyed `"<thingName>\n<shadowName>"`.
    pub shadows: Table<shadow::StoredShadow>,
    /// Resource tags, keyed by the resource's ARN.
    pub tags: Table<tags::TagMap>,
    /// CloudFormation stacks, keyed by stack id (documents the engine shapes).
    pub stacks: Table<serde_json::Value>,
    /// Jobs, keyed by job id.
    pub jobs: Table<job::Job>,
    /// Job executions, keyed `"<jobId>\n<thingName>"`, indexed by job, thing and timer.
    pub job_executions: Table<job::Execution>,
    /// Job templates, keyed by id.
    pub job_templates: Table<job::JobTemplate>,
    /// Small singletons (registration code, endpoint prefixes, entropy counters, the CA).
    pub meta: Table<serde_json::Value>,
}

impl Inner {
    fn new() -> Self {
        Inner {
            certificates: Table::new("certificates"),
            ca_certificates: Table::new("ca_certificates"),
            things: Table::indexed("things", thing::principal_terms),
            thing_types: Table::new("thing_types"),
            thing_groups: Table::new("thing_groups"),
            policies: Table::new("policies"),
            policy_targets: Table::indexed("policy_targets", policy::target_terms),
            templates: Table::new("templates"),
            role_aliases: Table::new("role_aliases"),
            ownership_tokens: Table::new("ownership_tokens"),
            issued_credentials: Table::new("issued_credentials"),
            retained: Table::new("retained"),
            sessions: Table::new("sessions"),
            session_messages: Table::new("session_messages"),
            topic_rules: Table::new("topic_rules"),
            topic_rule_destinations: Table::new("topic_rule_destinations"),
            shadows: Table::new("shadows"),
            tags: Table::new("tags"),
            stacks: Table::new("stacks"),
            jobs: Table::new("jobs"),
            job_executions: Table::indexed("job_executions", job::execution_terms),
            job_templates: Table::new("job_templates"),
            meta: Table::new("meta"),
        }
    }

    fn sink(&mut self, table: &str) -> Option<&mut dyn RowSink> {
        Some(match table {
            "certificates" => &mut self.certificates,
            "ca_certificates" => &mut self.ca_certificates,
            "things" => &mut self.things,
            "thing_types" => &mut self.thing_types,
            "thing_groups" => &mut self.thing_groups,
            "policies" => &mut self.policies,
            "policy_targets" => &mut self.policy_targets,
            "templates" => &mut self.templates,
            "role_aliases" => &mut self.role_aliases,
            "ownership_tokens" => &mut self.ownership_tokens,
            "issued_credentials" => &mut self.issued_credentials,
            "retained" => &mut self.retained,
            "sessions" => &mut self.sessions,
            "session_messages" => &mut self.session_messages,
            "topic_rules" => &mut self.topic_rules,
            "topic_rule_destinations" => &mut self.topic_rule_destinations,
            "shadows" => &mut self.shadows,
            "tags" => &mut self.tags,
            "stacks" => &mut self.stacks,
            "jobs" => &mut self.jobs,
            "job_executions" => &mut self.job_executions,
            "job_templates" => &mut self.job_templates,
            "meta" => &mut self.meta,
            _ => return None,
        })
    }

    fn rollback(&mut self, tx: Tx) {
        for (table, key, before) in tx.undo.into_iter().rev() {
            if let Some(sink) = self.sink(table) {
                sink.undo_row(&key, before);
            }
        }
    }
}

/// What the registry tells the front ends after a committed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryEvent {
    /// The certificate may no longer connect (deactivated, revoked or deleted).
    CertificateUnusable { certificate_id: String },
    /// Auto-registration registered the certificate (or saw it again while it is still
    /// PENDING_ACTIVATION): AWS publishes `$aws/events/certificates/registered/<ca>`.
    CertificateRegistered {
        certificate_id: String,
        ca_certificate_id: String,
        registered_at_ms: i64,
    },
}

/// A registry write that is applied but maybe not yet on disk; [`Registry::settle`] waits
/// for it (and commits it, with whatever else is queued, when no commit is running). One
/// left unsettled goes to disk with the next write anyone settles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct Pending(Option<u64>);

/// The cloneable handle every front end and engine shares.
#[derive(Clone, Debug)]
pub struct Registry {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    // A std Mutex: no `.await` happens while it is held and every section is short.
    inner: Mutex<Inner>,
    store: Option<Store>,
    account: Account,
    clock: Clock,
    entropy: Arc<Entropy>,
    events: tokio::sync::broadcast::Sender<RegistryEvent>,
    /// Bumped, under the lock, by every write that changes a table in
    /// [`AUTHORIZATION_TABLES`]; see [`Registry::authorization_generation`].
    authorization_generation: AtomicU64,
    /// Bumped by every write that touches the `topic_rules` table (and by a reset); see
    /// [`Registry::topic_rules_generation`].
    topic_rules_generation: AtomicU64,
    /// Writes applied and waiting for their fsync.
    journal: journal::Journal,
}

/// The tables an authorization decision reads: who the certificate is, the thing it is
/// associated with, that thing's groups, and the policies attached to any of them.
const AUTHORIZATION_TABLES: [&str; 5] = [
    "certificates",
    "things",
    "thing_groups",
    "policies",
    "policy_targets",
];

const ENTROPY_KEY: &str = "entropy_counters";

impl Registry {
    /// Opens the registry over `store` (or in memory with `None`), loading what it holds.
    pub fn open(
        store: Option<Store>,
        account: Account,
        clock: Clock,
        entropy: Arc<Entropy>,
    ) -> Result<Self, crate::basis::StoreError> {
        let mut inner = Inner::new();
        if let Some(store) = &store {
            for (table, key, value) in store.load_all()? {
                if let Some(sink) = inner.sink(&table) {
                    sink.restore_row(&key, Some(&value));
                }
            }
        }
        if let Some(saved) = inner.meta.get(ENTROPY_KEY) {
            if let Ok(counters) = serde_json::from_value(saved.clone()) {
                entropy.restore_counters(counters);
            }
        }
        Ok(Registry {
            shared: Arc::new(Shared {
                inner: Mutex::new(inner),
                store,
                account,
                clock,
                entropy,
                events: tokio::sync::broadcast::channel(256).0,
                authorization_generation: AtomicU64::new(0),
                topic_rules_generation: AtomicU64::new(0),
                journal: Default::default(),
            }),
        })
    }

    /// Events about committed changes, for front ends that must react (the broker).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<RegistryEvent> {
        self.shared.events.subscribe()
    }

    /// Announces a committed change; nobody listening is fine.
    pub(crate) fn emit(&self, event: RegistryEvent) {
        let _ = self.shared.events.send(event);
    }

    /// The account and region resources live in.
    pub fn account(&self) -> &Account {
        &self.shared.account
    }

    /// The emulator clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The deterministic entropy source.
    pub fn entropy(&self) -> &Entropy {
        &self.shared.entropy
    }

    /// A number that changes whenever a write changes anything an authorization reads
    /// (certificates, things, thing groups, policies, attachments). Read inside
    /// [`Registry::read`] it names the state that read sees, so whatever was derived from
    /// that state stays valid while this number stays the same (the broker caches each
    /// connection's policies this way).
    pub fn authorization_generation(&self) -> u64 {
        self.shared.authorization_generation.load(Ordering::SeqCst)
    }

    /// Marks a change an authorization may see; called with the lock held.
    fn bump_authorization(&self, tx: &Tx) {
        let touched = tx
            .undo
            .iter()
            .any(|(table, _, _)| AUTHORIZATION_TABLES.contains(table));
        if touched {
            self.bump_authorization_always();
        }
        if tx.undo.iter().any(|(table, _, _)| *table == "topic_rules") {
            self.shared
                .topic_rules_generation
                .fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A number that changes whenever a write touches the topic rules: the rules engine
    /// recompiles its rules when it moves.
    pub fn topic_rules_generation(&self) -> u64 {
        self.shared.topic_rules_generation.load(Ordering::SeqCst)
    }

    fn bump_authorization_always(&self) {
        self.shared
            .authorization_generation
            .fetch_add(1, Ordering::SeqCst);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a read-only closure over the registry. Only the registry's own modules (and
    /// tests) reach the tables: everything else uses the named operations.
    pub fn read<R>(&self, f: impl FnOnce(&Inner) -> R) -> R {
        f(&self.lock())
    }

    /// Runs a write: all of it is durable before this returns `Ok`, none of it on `Err`.
    pub fn write<R>(&self, f: impl FnOnce(&mut Inner, &mut Tx) -> IotResult<R>) -> IotResult<R> {
        let (value, pending) = self.write_pending(f)?;
        self.settle(pending)?;
        Ok(value)
    }

    /// Waits until `pending`'s write is on disk (at once in memory, or once resolved). A
    /// write whose commit failed was undone, and this says so.
    pub fn settle(&self, pending: Pending) -> IotResult<()> {
        match pending.0 {
            Some(seq) => self.wait_durable(seq),
            None => Ok(()),
        }
    }

    /// [`Registry::write`] without the wait: the write is applied (others see it) and
    /// queued for the next group commit; its caller settles it later, so that it can
    /// release its own locks first or queue more writes into the same fsync.
    pub fn write_pending<R>(
        &self,
        f: impl FnOnce(&mut Inner, &mut Tx) -> IotResult<R>,
    ) -> IotResult<(R, Pending)> {
        let (value, wait_for) = {
            let mut inner = self.lock();
            let mut tx = Tx::default();
            let result = f(&mut inner, &mut tx);
            // Before the rollback too: the undo log goes with it (bumping for a write that
            // left nothing changed only costs the caches a re-read).
            self.bump_authorization(&tx);
            let queued = match result {
                Ok(value) => self.enqueue(&mut inner, tx).map(|seq| (value, seq)),
                Err(e) => {
                    inner.rollback(tx);
                    Err(e)
                }
            };
            queued?
        };
        Ok((value, Pending(wait_for)))
    }

    /// Hands an applied write to the journal (with the lock held, so the journal keeps
    /// the order of application); returns the number to wait for, `None` in memory.
    fn enqueue(&self, inner: &mut Inner, mut tx: Tx) -> IotResult<Option<u64>> {
        if self.shared.store.is_none() {
            return Ok(None);
        }
        if tx.changes.is_empty() {
            return Ok(Some(self.shared.journal.last()));
        }
        let counters = match serde_json::to_value(self.shared.entropy.counters()) {
            Ok(counters) => counters,
            Err(e) => {
                inner.rollback(tx);
                return Err(IotError::internal(e.to_string()));
            }
        };
        inner.meta.put(&mut tx, ENTROPY_KEY, counters);
        Ok(Some(self.shared.journal.append(tx)))
    }

    /// Persists changes made outside a registry write (used at start-up for metadata).
    pub fn persist_raw(&self, changes: &[Change]) -> IotResult<()> {
        match &self.shared.store {
            Some(store) => store
                .commit(changes)
                .map_err(|e| IotError::internal(e.to_string())),
            None => Ok(()),
        }
    }

    /// Deletes every resource, keeping the emulator's own identity (CA, endpoints, seed).
    pub fn reset(&self, keep_meta: &[&str]) -> IotResult<()> {
        // Every queued write must be on disk (or undone) before the store is cleared.
        let mut inner = loop {
            let last = self.shared.journal.last();
            let _ = self.wait_durable(last);
            let inner = self.lock();
            if self.shared.journal.idle() {
                break inner;
            }
        };
        let kept: Vec<(String, serde_json::Value)> = keep_meta
            .iter()
            .filter_map(|k| inner.meta.get(k).map(|v| (k.to_string(), v.clone())))
            .collect();
        if let Some(store) = &self.shared.store {
            store
                .clear()
                .map_err(|e| IotError::internal(e.to_string()))?;
        }
        *inner = Inner::new();
        self.bump_authorization_always();
        self.shared
            .topic_rules_generation
            .fetch_add(1, Ordering::SeqCst);
        let mut tx = Tx::default();
        for (k, v) in kept {
            inner.meta.put(&mut tx, k, v);
        }
        if self.shared.store.is_some() {
            let counters = serde_json::to_value(self.shared.entropy.counters())
                .map_err(|e| IotError::internal(e.to_string()))?;
            inner.meta.put(&mut tx, ENTROPY_KEY, counters);
        }
        self.persist_raw(&tx.changes)
    }
}
