//! iot-emulator: AWS IoT Core's device-provisioning world, locally and offline.
//!
//! # Layout
//! Dependencies point down this list only:
//! - [`cli`]: the command line and its subcommands, above everything it runs.
//! - [`server`], [`bootstrap`], [`config`], [`tls`], [`exports`], [`trust`], [`sinks`]: wiring,
//!   start-up, flags, listener TLS, `iot-emulator env`, `iot-emulator trust`, the rules
//!   engine's Lambda and Logs sinks.
//! - Front ends: [`api`] (the rest-json control plane; it owns the shared HTTP port and
//!   routes each request by its signing service, handing query-protocol services to
//!   [`query`] and S3 to [`s3_rest`]), [`mqtt`] (the broker), [`credentials`] (the credentials provider).
//!   Otherwise they never import each other.
//! - Engines: [`pki`] (CA, keys, issuing), [`policy`] (the IoT policy language),
//!   [`provisioning`] (fleet provisioning and the template engine), [`identity`] (the
//!   client-certificate decision every mutual-TLS listener shares), [`sts`] (the caller's
//!   identity), [`rules`] (topic rules, IoT SQL, rule actions), [`lambda`] (local
//!   functions and their Python runtime), [`logs`] (the CloudWatch Logs subset), [`s3`]
//!   (the S3 stand-in), [`cloudformation`] (templates, intrinsics, stacks), [`jobs`] (AWS
//!   IoT Jobs: jobs, executions, templates and their notifications), [`shadows`] (device
//!   shadows).
//! - [`fuzz`]: `iot-emulator fuzz-template` and its engine, a tool over the provisioning
//!   engine (it reads the MQTT front end's `/rejected` mapping, so it sits above both).
//! - [`regions`] and [`state`]: each region's state (an [`Emulator`]) by region name; the
//!   front ends pick the region of each request and connection.
//! - [`registry`]: the domain model and its durable tables.
//! - [`basis`]: clock, deterministic entropy, the embedded store; [`net`]: the socket
//!   options every accepted or opened TCP connection gets.

pub mod api;
pub mod basis;
pub mod bootstrap;
pub mod cli;
pub mod cloudformation;
pub mod config;
pub mod credentials;
pub mod exports;
pub mod fuzz;
pub mod identity;
pub mod jobs;
pub mod lambda;
pub mod logs;
pub mod mqtt;
pub mod net;
pub mod pki;
pub mod policy;
pub mod provisioning;
pub mod query;
pub mod regions;
pub mod registry;
pub mod rules;
pub mod s3;
pub mod s3_rest;
pub mod server;
pub mod shadows;
pub mod sinks;
pub mod state;
pub mod sts;
pub mod tls;
pub mod trust;

pub use config::Config;
pub use server::{run, start, ReadyInfo, Running};
pub use state::Emulator;
