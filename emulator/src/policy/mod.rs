//! The IoT policy engine: the document language (parsing and validation). The evaluator the
//! broker uses will live here too, over the parsed [`document::PolicyDocument`].

pub mod condition;
pub mod document;

pub use document::{parse, PolicyDocument};
