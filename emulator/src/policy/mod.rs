//! The IoT policy engine: the document language (parsing and validation), the evaluator
//! ([`eval`] over [`pattern`], [`operators`] and the request [`context`]), and the
//! registry side ([`principal`]): which policies apply to a principal and the one
//! [`authorize`] entry point every front end uses.

pub mod certvars;
pub mod claim;
pub mod condition;
pub mod context;
pub mod document;
pub mod eval;
pub mod operators;
pub mod pattern;
pub mod principal;

pub use document::{parse, PolicyDocument};
pub use eval::{Decision, Evaluation, Request};

pub use principal::{authorize, authorize_cached, AuthorizationCache, Identity, Principal};
