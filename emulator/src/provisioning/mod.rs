//! Fleet provisioning, the engine behind the reserved `$aws/certificates/...` and
//! `$aws/provisioning-templates/...` topics: ownership tokens, RegisterThing (a template
//! evaluated to a plan, then applied atomically) and pre-provisioning hooks; also the
//! control plane's single-thing RegisterThing.

pub mod fleet;
pub mod hook;
mod hook_http;
pub mod jit;
pub mod register;
pub mod single;
pub mod template;

pub use fleet::{Caller, CreatedCertificate};
pub use hook::{HookBindings, HookTarget};
pub use register::{register_thing, RegisterRequest, Registered};
