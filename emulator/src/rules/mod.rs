//! The rules engine: topic rules, their SQL, and the actions that run when a rule matches.
//!
//! [`sql`] owns the IoT SQL language (parsing, evaluation, substitution templates); the
//! rest of this module owns rule storage, matching routed messages, and running actions.

pub mod sql;
