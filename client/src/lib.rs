//! iot-device-client: device-side code for AWS IoT Core that runs unchanged against real
//! AWS and against iot-emulator. Fleet provisioning (claim and trusted user), MQTT with
//! connect retry, the credentials provider, publish and subscribe.
//!
//! # Layout
//! - [`wire`]: the `$aws` provisioning topics and payloads (JSON and CBOR), read from the
//!   AWS documentation on their own.
//! - [`tls`]: PEM material into a rustls client configuration.
//! - [`backoff`]: reconnect delays.
//! - [`mqtt`]: a connection (MQTT 3.1.1 or 5) with retry, SUBACK/PUBACK waits.
//! - [`provision`]: the three provisioning operations and the whole claim flow.
//! - [`store`]: the device directory a provisioned device keeps and reuses.
//! - [`credentials`]: the X.509 credentials provider over HTTPS.
//! - `net`: every TCP socket the client opens has `TCP_NODELAY`.

pub mod backoff;
pub mod credentials;
pub mod error;
pub mod mqtt;
mod net;
pub mod provision;
pub mod store;
pub mod tls;
pub mod wire;

pub use error::{ClientError, Result};
