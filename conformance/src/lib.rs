//! Conformance suites: the same cases run against a **target**, the in-process emulator
//! (default), an external emulator, or real AWS IoT Core. The control plane goes through
//! the Rust AWS SDK (`aws-sdk-iot`), the device side through `iot-device-client`, and
//! payloads are asserted with JSONPath. See `README.md` for writing a case.
//!
//! # Layout
//! - [`target`]: choosing and starting a target from environment variables.
//! - [`control`]: the AWS SDK client for a target.
//! - [`cli`]: the venv's aws CLI for a target (the CloudFormation cases).
//! - [`case`]: one running case: unique names, fixtures, teardown, device helpers.
//! - [`expect`]: JSONPath assertions.

pub mod case;
pub mod cli;
pub mod control;
pub mod expect;
pub mod target;

pub use case::Case;
pub use target::{Target, TargetKind};
