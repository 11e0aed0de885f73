//! Builds an [`Emulator`] from a [`Config`]: opens the store, restores or creates the
//! instance identity (seed, CA, endpoint names) and writes the root CA for clients.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::basis::{Change, Clock, Entropy, Store};
use crate::cloudformation::CloudFormation;
use crate::config::Config;
use crate::lambda::{self, Lambda, RuntimeConfig};
use crate::logs::Logs;
use crate::pki::{KeySource, Pki, PoolConfig, RootCa};
use crate::provisioning::HookBindings;
use crate::registry::{Account, Registry};
use crate::s3::S3;
use crate::state::{Emulator, Identity};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::basis::StoreError),
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    #[error("invalid --clock value {0:?}: expected `system` or an RFC 3339 instant")]
    Clock(String),
    #[error("cannot bind {0}: {1}")]
    Bind(std::net::SocketAddr, std::io::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("start-up failed: {0}")]
    Internal(String),
    #[error("invalid pre-provisioning hook binding: {0}")]
    Hook(String),
    #[error("Lambda: {0}")]
    Lambda(String),
}

const IDENTITY_KEY: &str = "identity";
/// 2026-01-01T00:00:00Z: where the clock freezes by default under `--seed`.
const SEED_EPOCH_MS: i64 = 1_767_225_600_000;

/// Parses `--clock`.
pub fn clock_for(config: &Config) -> Result<Clock, StartError> {
    match config.clock.as_deref() {
        None if config.seed.is_some() => Ok(Clock::frozen(SEED_EPOCH_MS)),
        None | Some("system") => Ok(Clock::system()),
        Some(text) => {
            let format = &time::format_description::well_known::Rfc3339;
            let at = time::OffsetDateTime::parse(text, format)
                .map_err(|_| StartError::Clock(text.to_string()))?;
            Ok(Clock::frozen(
                (at.unix_timestamp_nanos() / 1_000_000) as i64,
            ))
        }
    }
}

/// Opens everything; CPU-heavy the first time (the CA key), so call it off the runtime.
pub fn build(config: &Config) -> Result<Emulator, StartError> {
    let data_dir = config.resolved_data_dir();
    let store = match &data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.clone(), e))?;
            Some(Store::open(&dir.join("registry.redb"))?)
        }
        None => None,
    };
    let saved: Option<Identity> = match &store {
        Some(s) => s
            .get("meta", IDENTITY_KEY)?
            .and_then(|v| serde_json::from_slice(&v).ok()),
        None => None,
    };
    let fresh = saved.is_none();
    let identity = match saved {
        Some(identity) => {
            if config.seed.is_some_and(|s| s != identity.seed) {
                tracing::warn!("--seed differs from the data dir's; the data dir's seed wins");
            }
            identity
        }
        None => new_identity(config.seed)?,
    };
    let entropy = Arc::new(Entropy::new(identity.seed));
    let account = Account {
        region: config.region.clone(),
        account_id: config.account_id.clone(),
    };
    let clock = clock_for(config)?;
    let registry = Registry::open(store, account.clone(), clock.clone(), entropy.clone())?;
    if fresh {
        let value = serde_json::to_vec(&identity).unwrap_or_default();
        let change = Change::Put {
            table: "meta",
            key: IDENTITY_KEY.into(),
            value,
        };
        registry
            .persist_raw(&[change])
            .map_err(|e| StartError::Internal(e.to_string()))?;
    }
    let ca = RootCa::from_pem(&identity.ca_cert_pem, &identity.ca_key_pem)?;
    let root_ca_path = write_root_ca(data_dir.as_deref(), &ca.cert_pem)?;
    let keys = match config.seed {
        Some(_) => KeySource::Derived(entropy.clone()),
        None => KeySource::Fresh,
    };
    let pool = PoolConfig {
        size: config.key_pool,
        workers: 2,
        dir: data_dir.as_ref().map(|dir| dir.join("key-pool")),
    };
    let pki = Pki::new(ca, entropy.clone(), clock.clone(), keys, pool);
    let hooks = HookBindings::from_config(&config.hooks, config.hooks_file.as_deref())
        .map_err(StartError::Hook)?;
    let logs = Logs::new(account.clone(), clock.clone());
    let runtimes = RuntimeConfig::from_flags(
        &config.lambda_runtimes,
        &config.lambda_layers,
        config.lambda_concurrency,
    )
    .map_err(StartError::Lambda)?;
    let lambda = Lambda::open(lambda::Setup {
        data_dir: data_dir.clone(),
        runtimes,
        logs: logs.clone(),
        account,
        clock: clock.clone(),
        entropy: entropy.clone(),
    })
    .map_err(|e| StartError::Lambda(e.to_string()))?;
    let s3 = S3::open(
        data_dir.as_ref().map(|d| d.join("s3")),
        clock.clone(),
        entropy.clone(),
        &config.region,
    )
    .map_err(|e| StartError::Internal(format!("s3 stand-in: {e}")))?;
    let cloudformation = CloudFormation::new(registry.clone(), pki.clone());
    Ok(Emulator {
        lambda,
        logs,
        registry,
        cloudformation,
        s3,
        pki,
        endpoints: Arc::new(identity.endpoints(&config.region)),
        root_ca_path: Arc::new(root_ca_path),
        hooks: Arc::new(hooks),
        data_plane: Default::default(),
    })
}

/// The meta keys a reset keeps.
pub const KEPT_ON_RESET: &[&str] = &[IDENTITY_KEY];

fn new_identity(seed: Option<u64>) -> Result<Identity, StartError> {
    let seed = seed.unwrap_or_else(|| Entropy::random().seed());
    let entropy = Entropy::new(seed);
    let ca = RootCa::generate(&entropy)?;
    Ok(Identity {
        seed,
        endpoint_prefix: entropy.lower_alnum("endpoint-prefix", 14),
        credentials_prefix: entropy.lower_alnum("credentials-prefix", 14),
        ca_cert_pem: ca.cert_pem,
        ca_key_pem: ca.key_pem,
    })
}

fn write_root_ca(data_dir: Option<&Path>, pem: &str) -> Result<PathBuf, StartError> {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = match data_dir {
        Some(dir) => dir.to_path_buf(),
        None => std::env::temp_dir().join(format!(
            "iot-emulator-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        )),
    };
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("root-ca.pem");
    write_atomically(&path, pem.as_bytes())?;
    Ok(path)
}

/// Writes `bytes` to a temporary sibling, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
