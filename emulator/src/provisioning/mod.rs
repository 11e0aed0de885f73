//! Fleet provisioning, the engine behind the reserved `$aws/certificates/...` and
//! `$aws/provisioning-templates/...` topics: ownership tokens, RegisterThing (a template
//! evaluated to a plan, then applied atomically) and pre-provisioning hooks.

pub mod fleet;
pub mod jit;
pub mod register;

pub use fleet::{Caller, CreatedCertificate};
pub use register::{register_thing, RegisterRequest, Registered};
