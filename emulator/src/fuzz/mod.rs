//! `iot-emulator fuzz-template`, and the same engine as a library: generators derived from
//! a provisioning template ([`Generators`], with a proptest strategy of parameter maps),
//! offline evaluation by the emulator's own template engine against an in-memory registry
//! ([`Offline`]), classification of failures by the `/rejected` reply a device would get
//! ([`classify`]), shrinking, and the report. `--live` sends the cases through a running
//! emulator over MQTT instead.
//!
//! A tool on top of the engines: it reads the MQTT front end's error mapping so that its
//! classes are the codes devices see.
//!
//! ```ignore
//! use iot_emulator::fuzz::{Generators, Offline, empty_registry};
//! use iot_emulator::provisioning::template::Template;
//! use proptest::prelude::*;
//!
//! let template = Template::parse(r#"{"Parameters":{"S":{"Type":"String"}},"Resources":{}}"#).unwrap();
//! let offline = Offline::new(template.clone(), empty_registry(), None);
//! proptest!(|(p in Generators::new(&template).strategy(None))| {
//!     let _ = offline.evaluate(&p);
//! });
//! ```

mod classify;
pub mod cli;
mod eval;
mod gen;
mod jitp;
mod live;
mod remote;
mod report;
mod run;
mod shrink;
mod table;
#[cfg(test)]
mod tests;
mod trace;

pub use classify::{classify, classify_reply, Class};
pub use eval::{empty_registry, Offline, OfflineHook, Outcome, STAND_IN_CERTIFICATE};
pub use gen::{random_text, Generators, Parameters, ABSENT_KEY, EXTRA};
pub use jitp::{classify_jitp, is_jitp_template, is_subject};
pub use live::{run as run_live, LiveTarget};
pub use remote::Api;
pub use report::{
    allowed, empty_attribute_id, ClassReport, Collision, EmptyAttribute, Findings, Report, Verdict,
    COLLISION_ID, FORMAT,
};
pub use run::{cases, run_offline, verdict, Options};
pub use shrink::shrink;
pub use trace::{uses, Sink, Use, Via};
