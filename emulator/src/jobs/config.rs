//! The configuration blocks of CreateJob, UpdateJob and CreateJobTemplate: which are
//! stored, shown and acted on, which are refused, and their checks.

use serde_json::{Map, Value};

use super::machine::MAX_TIMER_MINUTES;
use super::{presign, retry, rollout};
use crate::registry::{IotError, IotResult};

/// The configuration blocks CreateJob, UpdateJob and CreateJobTemplate store and show;
/// each one acts (see [`super::abort`], [`super::rollout`], [`super::retry`],
/// [`super::presign`] and the timers of [`super::machine`]).
pub const CONFIG_BLOCKS: [&str; 5] = [
    "timeoutConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "presignedUrlConfig",
    "jobExecutionsRetryConfig",
];

/// Members the emulator does not have: refused, never ignored.
const REFUSED: [&str; 5] = [
    "schedulingConfig",
    "namespaceId",
    "documentParameters",
    "destinationPackageVersions",
    "maintenanceWindows",
];

/// The configuration blocks of `body`, checked; members we lack are refused.
pub fn config_blocks(body: &Map<String, Value>) -> IotResult<Map<String, Value>> {
    if let Some(name) = REFUSED
        .iter()
        .find(|n| body.get(**n).is_some_and(|v| !v.is_null()))
    {
        return Err(IotError::invalid(format!(
            "iot-emulator does not support {name}"
        )));
    }
    let mut out = Map::new();
    for name in CONFIG_BLOCKS {
        match body.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::Object(block)) => {
                check_block(name, block)?;
                out.insert(name.to_string(), Value::Object(block.clone()));
            }
            Some(_) => return Err(IotError::invalid(format!("{name} must be an object"))),
        }
    }
    in_progress_timeout(&out)?;
    Ok(out)
}

fn check_block(name: &str, block: &Map<String, Value>) -> IotResult<()> {
    match name {
        "jobExecutionsRolloutConfig" => rollout::check(block),
        "jobExecutionsRetryConfig" => retry::check(block),
        "presignedUrlConfig" => presign::check(block),
        // timeoutConfig: in_progress_timeout; abortConfig: its criteria as given.
        _ => Ok(()),
    }
}

/// `timeoutConfig.inProgressTimeoutInMinutes`, 1–10080.
pub fn in_progress_timeout(config: &Map<String, Value>) -> IotResult<Option<i64>> {
    let Some(v) = config
        .get("timeoutConfig")
        .and_then(|t| t.get("inProgressTimeoutInMinutes"))
    else {
        return Ok(None);
    };
    match v.as_i64() {
        Some(m) if (1..=MAX_TIMER_MINUTES).contains(&m) => Ok(Some(m)),
        _ => Err(IotError::invalid(format!(
            "inProgressTimeoutInMinutes must be between 1 and {MAX_TIMER_MINUTES}"
        ))),
    }
}
