//! The AWS IoT SQL language: parse a rule's statement, evaluate it against one message,
//! and render `${...}` substitution templates in action fields.
//!
//! Versions 2015-10-08 and 2016-03-23 (beta behaves as 2016-03-23), AWS's Undefined
//! semantics, and the function set in [`functions`]. Layout: [`lexer`] (tokens) ->
//! [`parser`] (syntax tree in [`ast`]) -> [`eval`] (with [`ops`], [`functions`] and the
//! values of [`value`]); [`template`] reuses the expression parser and evaluator.

mod ast;
mod eval;
mod functions;
mod lexer;
mod ops;
mod parser;
mod template;
mod value;

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod function_tests;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod parser_tests;
#[cfg(test)]
mod template_tests;
#[cfg(test)]
mod test_support;

use serde_json::Value;

/// `awsIotSqlVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqlVersion {
    /// The default when a rule names no version.
    #[default]
    V2015_10_08,
    V2016_03_23,
    Beta,
}

impl SqlVersion {
    /// Parses the `awsIotSqlVersion` field; `None` for an unknown version string.
    pub fn from_field(s: &str) -> Option<SqlVersion> {
        match s {
            "2015-10-08" => Some(SqlVersion::V2015_10_08),
            "2016-03-23" => Some(SqlVersion::V2016_03_23),
            "beta" => Some(SqlVersion::Beta),
            _ => None,
        }
    }

    pub fn as_field(self) -> &'static str {
        match self {
            SqlVersion::V2015_10_08 => "2015-10-08",
            SqlVersion::V2016_03_23 => "2016-03-23",
            SqlVersion::Beta => "beta",
        }
    }
}

/// Why a statement or template was refused; the message becomes a `SqlParseException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlParseError {
    pub message: String,
}

/// What a function call failed with at run time (e.g. an internal error); a rule whose
/// evaluation fails runs its `errorAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
}

/// Everything about one routed message that SQL functions can see.
pub struct MessageContext<'a> {
    /// The topic as `topic()` sees it (for Basic Ingest, the part after `$aws/rules/<name>/`).
    pub topic: &'a str,
    pub payload: &'a [u8],
    /// `clientid()`; `None` for messages with no MQTT client (iot-data over HTTP, events).
    pub client_id: Option<&'a str>,
    /// `principal()`: certificate id, or the caller's identity for HTTP publishes.
    pub principal: Option<&'a str>,
    /// `timestamp()`: milliseconds since the epoch, from the emulator's clock.
    pub timestamp_ms: i64,
    /// `accountid()`.
    pub account_id: &'a str,
    /// `newuuid()`: deterministic under `--seed` (backed by the emulator's entropy).
    pub new_uuid: &'a (dyn Fn() -> String + Send + Sync),
}

/// What a matching rule hands to its actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The SELECT result, serialized as JSON for the actions.
    Json(Value),
    /// `SELECT *` over a non-JSON payload: the raw bytes, forwarded unchanged.
    Bytes(Vec<u8>),
}

/// A parsed rule statement.
#[derive(Debug, Clone)]
pub struct Statement {
    version: SqlVersion,
    query: ast::Query,
}

impl Statement {
    /// Parses `sql` under `version`. Unsupported functions and syntax are refused here.
    pub fn parse(sql: &str, version: SqlVersion) -> Result<Statement, SqlParseError> {
        let query = parser::parse_statement(sql, version)?;
        Ok(Statement { version, query })
    }

    pub fn version(&self) -> SqlVersion {
        self.version
    }

    /// The FROM topic filter without quotes (`topicPattern`); `None` when the statement
    /// has no FROM (allowed for rules used only through Basic Ingest).
    pub fn topic_filter(&self) -> Option<&str> {
        match &self.query.source {
            ast::Source::Topic(filter) => filter.as_deref(),
            ast::Source::Expr(_) => None,
        }
    }

    /// Runs WHERE then SELECT. `Ok(None)` when WHERE is not `true`.
    pub fn evaluate(&self, msg: &MessageContext<'_>) -> Result<Option<Outcome>, EvalError> {
        let ctx = eval::Ctx {
            msg,
            version: self.version,
        };
        eval::run(&self.query, &ctx)
    }
}

/// A `${expression}` substitution template from an action field (republish topic, HTTP
/// URL and headers, ...), parsed once at rule creation.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<template::Part>,
    version: SqlVersion,
}

impl Template {
    pub fn parse(text: &str, version: SqlVersion) -> Result<Template, SqlParseError> {
        Ok(Template {
            parts: template::parse(text, version)?,
            version,
        })
    }

    /// Whether the text contains at least one `${...}` substitution.
    pub fn is_templated(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, template::Part::Expr(_)))
    }

    /// Renders the template for one message; Undefined expressions render as empty text.
    pub fn render(&self, msg: &MessageContext<'_>) -> Result<String, EvalError> {
        Ok(template::render(&self.parts, msg, self.version))
    }
}
