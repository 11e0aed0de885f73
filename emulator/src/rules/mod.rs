//! The rules engine: topic rules, their SQL, and the actions that run when a rule matches.
//!
//! [`sql`] owns the IoT SQL language (parsing, evaluation, substitution templates); the
//! rest of this module owns rule definitions ([`rule`]: checked and compiled for
//! CreateTopicRule and ReplaceTopicRule), their actions ([`action`]), and which topics a
//! rule selects ([`filter`], Basic Ingest included).

pub mod action;
pub mod filter;
pub mod rule;
pub mod sql;

pub use rule::{create, replace, Payload};
