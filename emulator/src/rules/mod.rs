//! The rules engine: topic rules, their SQL, and the actions that run when a rule matches.
//!
//! [`sql`] owns the IoT SQL language (parsing, evaluation, substitution templates); the
//! rest of this module owns rule definitions ([`rule`]: checked and compiled for
//! CreateTopicRule and ReplaceTopicRule), their actions ([`action`]), which topics a rule
//! selects ([`filter`], Basic Ingest included), the broker's tap and the worker behind
//! it ([`engine`]), running actions ([`execute`], [`http`]), HTTP destinations'
//! confirmation messages ([`confirmation`]) and what the lambda and
//! cloudwatchLogs actions need from other engines ([`sinks`]).

pub mod action;
pub mod confirmation;
pub mod engine;
mod execute;
pub mod filter;
pub mod http;
mod republish;
pub mod rule;
pub mod sinks;
pub mod sql;

pub use engine::{Engine, Inbound};
pub use rule::{create, replace, Payload};
pub use sinks::{FunctionInvoker, LogSink, Pending};

#[cfg(test)]
mod engine_tests;
