//! Every region the emulator serves: region name -> that region's [`Emulator`] (its own
//! registry, endpoint names, registration code, PKI state and, through the hooks front
//! ends attach, its own broker). `--region` is built at start-up; any other region is
//! built on first use, deterministically from the seed and its name.
//!
//! How a front end picks the region: the SigV4 credential scope of an API request
//! ([`crate::api::dispatch`]), the SNI host name of a TLS connection ([`region_of_host`]);
//! without either, the default region (`--region`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::registry::arn::partition_of;
use crate::state::Emulator;

/// Builds the emulator of one (valid, not yet open) region.
/// Its error is reported as the reason the region is unavailable.
pub type RegionBuilder = Box<dyn Fn(&str) -> Result<Emulator, String> + Send + Sync>;

/// Per-region state a front end attaches to each region as it opens (the broker, say).
pub type RegionHook = Arc<dyn Fn(&str, &Emulator) + Send + Sync>;

/// The regions in use (cheap to clone).
#[derive(Clone)]
pub struct Regions {
    shared: Arc<Shared>,
}

struct Shared {
    default: String,
    build: RegionBuilder,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    open: BTreeMap<String, Emulator>,
    hooks: Vec<RegionHook>,
}

impl std::fmt::Debug for Regions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Regions")
            .field("default", &self.shared.default)
            .field("open", &self.names())
            .finish()
    }
}

/// Why a region cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// Not the name of a region of the aws, aws-cn or aws-us-gov partitions.
    #[error("Credential should be scoped to a valid region, not '{0}'. ")]
    Invalid(String),
    /// Its state could not be opened (the store, say).
    #[error("the region {0} could not be opened: {1}")]
    Unavailable(String, String),
}

impl Regions {
    /// The regions, `first` (already built, as `emulator`) open; `default` is `--region`,
    /// which the caller opens next if it is another one.
    pub fn new(default: &str, first: &str, emulator: Emulator, build: RegionBuilder) -> Self {
        let mut state = State::default();
        state.open.insert(first.to_string(), emulator);
        Regions {
            shared: Arc::new(Shared {
                default: default.to_string(),
                build,
                state: Mutex::new(state),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `--region`.
    pub fn default_region(&self) -> &str {
        &self.shared.default
    }

    /// The default region's emulator (open once start-up is done).
    pub fn default_emulator(&self) -> Emulator {
        let open = self.lock().open.get(&self.shared.default).cloned();
        match open {
            Some(emulator) => emulator,
            None => self
                .get(&self.shared.default)
                .expect("the default region opens at start-up"),
        }
    }

    /// The emulator of `region`, opened (and every hook run for it) on first use.
    pub fn get(&self, region: &str) -> Result<Emulator, RegionError> {
        if !is_valid_region(region) {
            return Err(RegionError::Invalid(region.to_string()));
        }
        // Opening holds the lock: a region is built once, and its hooks have run before
        // anyone else sees it (iot-data needs its broker at once).
        let mut state = self.lock();
        if let Some(emulator) = state.open.get(region) {
            return Ok(emulator.clone());
        }
        let emulator = (self.shared.build)(region)
            .map_err(|e| RegionError::Unavailable(region.to_string(), e))?;
        for hook in &state.hooks {
            hook(region, &emulator);
        }
        state.open.insert(region.to_string(), emulator.clone());
        tracing::info!(region, "region opened");
        Ok(emulator)
    }

    /// The region `region` names, or the default one for `None`.
    pub fn get_or_default(&self, region: Option<&str>) -> Result<Emulator, RegionError> {
        self.get(region.unwrap_or(&self.shared.default))
    }

    /// Runs `hook` for every open region now and for each region opened later.
    pub fn on_open(&self, hook: RegionHook) {
        let mut state = self.lock();
        for (name, emulator) in &state.open {
            hook(name, emulator);
        }
        state.hooks.push(hook);
    }

    /// The open regions, in name order.
    pub fn names(&self) -> Vec<String> {
        self.lock().open.keys().cloned().collect()
    }

    /// Every open region's emulator.
    pub fn emulators(&self) -> Vec<Emulator> {
        self.lock().open.values().cloned().collect()
    }
}

/// Whether `region` is a region name of the partitions the emulator models, by the
/// patterns AWS's SDKs use (`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`, `^cn-\w+-\d+$`,
/// `^us-gov-\w+-\d+$`), with lowercase letters for `\w`. Names the SDKs would accept but
/// AWS has not opened are accepted too: the list of regions changes, the shape does not.
pub fn is_valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let (area, rest) = match parts.as_slice() {
        ["us", "gov", rest @ ..] => ("us-gov", rest),
        [area, rest @ ..] => (*area, rest),
        [] => return false,
    };
    let known = matches!(
        area,
        "us" | "eu" | "ap" | "sa" | "ca" | "me" | "af" | "il" | "mx" | "cn" | "us-gov"
    );
    let shaped = match rest {
        [name, number] => {
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_lowercase())
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    known && shaped && partition_of(region) == partition_by_area(area)
}

fn partition_by_area(area: &str) -> &'static str {
    match area {
        "cn" => "aws-cn",
        "us-gov" => "aws-us-gov",
        _ => "aws",
    }
}

/// The region an AWS IoT host name names: `<prefix>-ats.iot.<region>.amazonaws.com`,
/// `<prefix>.iot.<region>...`, `<prefix>.credentials.iot.<region>...` and
/// `<prefix>.jobs.iot.<region>...`, with `.amazonaws.com.cn` in China. `None` for any
/// other name (`localhost`, an IP address): the default region applies. The prefix is not
/// checked: the emulator holds one account.
pub fn region_of_host(host: &str) -> Option<&str> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let rest = host
        .strip_suffix(".amazonaws.com.cn")
        .or_else(|| host.strip_suffix(".amazonaws.com"))?;
    let (service, region) = rest.rsplit_once('.')?;
    let is_iot = service == "iot" || service.ends_with(".iot");
    is_iot.then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_follow_the_sdk_patterns() {
        for ok in [
            "us-east-1",
            "ap-northeast-1",
            "cn-north-1",
            "cn-northwest-1",
            "us-gov-west-1",
            "eu-south-2",
            "mx-central-1",
        ] {
            assert!(is_valid_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east1",
            "useast-1",
            "moon-base-1",
            "US-EAST-1",
            "us-east-",
            "us--1",
            "us-gov-1",
            "us-iso-east-1",
            "local",
            "us-east-1a",
            "cn-north-x",
        ] {
            assert!(!is_valid_region(bad), "{bad}");
        }
    }

    #[test]
    fn the_sni_name_gives_the_region() {
        let cases = [
            (
                "a1b2-ats.iot.ap-northeast-1.amazonaws.com",
                Some("ap-northeast-1"),
            ),
            ("a1b2.iot.us-west-2.amazonaws.com", Some("us-west-2")),
            (
                "c1.credentials.iot.cn-north-1.amazonaws.com.cn",
                Some("cn-north-1"),
            ),
            (
                "a1.jobs.iot.us-gov-west-1.amazonaws.com",
                Some("us-gov-west-1"),
            ),
            ("a1-ats.iot.eu-west-1.amazonaws.com.", Some("eu-west-1")),
            ("localhost", None),
            ("127.0.0.1", None),
            ("s3.us-east-1.amazonaws.com", None),
            ("example.com", None),
        ];
        for (host, want) in cases {
            assert_eq!(region_of_host(host), want, "{host}");
        }
    }
}
