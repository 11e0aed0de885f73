//! Builds the [`Regions`] from a [`Config`]: for each region, opens its store and restores
//! or creates its identity (seed, endpoint names; the CA is shared), and writes the root
//! CA for clients.

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
use crate::regions::Regions;
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

/// Opens every region found in the data directory, `--region` among them; CPU-heavy
/// the first time (the CA key), so call it off the runtime.
///
/// Layout: the data directory's own store holds the region it was created for (its
/// "home", recorded in the identity; data dirs from before regions hold `--region`'s),
/// so existing data dirs load as they did. Every other region lives in
/// `regions/<region>/` with its own store and key pool. The root CA is shared by every
/// region, as Amazon Root CA 1 is on AWS.
pub fn build(config: &Config) -> Result<Regions, StartError> {
    let data_dir = config.resolved_data_dir();
    let (home, emulator, identity) = open_home(config, data_dir.as_deref())?;
    let common = Common {
        clock: emulator.registry.clock().clone(),
        config: config.clone(),
        data_dir: data_dir.clone(),
        identity,
        root_ca_path: emulator.root_ca_path.clone(),
        hooks: emulator.hooks.clone(),
        s3: emulator.s3.clone(),
    };
    let build =
        Box::new(move |region: &str| open_other(&common, region).map_err(|e| e.to_string()));
    let regions = Regions::new(&config.region, &home, emulator, build);
    let mut wanted = vec![config.region.clone()];
    wanted.extend(stored_regions(data_dir.as_deref()));
    for region in wanted {
        regions
            .get(&region)
            .map_err(|e| StartError::Internal(e.to_string()))?;
    }
    Ok(regions)
}

/// What every region shares.
struct Common {
    config: Config,
    /// One clock for every region (`/_emulator/clock/advance` moves them all).
    clock: Clock,
    data_dir: Option<PathBuf>,
    /// The home region's identity: the seed and the root CA.
    identity: Identity,
    root_ca_path: Arc<PathBuf>,
    hooks: Arc<HookBindings>,
    /// The S3 stand-in, one for every region (S3's namespace is global).
    s3: S3,
}

/// The regions kept under `regions/` in the data directory.
fn stored_regions(data_dir: Option<&Path>) -> Vec<String> {
    let Some(entries) = data_dir.and_then(|d| std::fs::read_dir(d.join(REGIONS_DIR)).ok()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join(STORE_FILE).exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| crate::regions::is_valid_region(name))
        .collect();
    names.sort();
    names
}

const REGIONS_DIR: &str = "regions";
const STORE_FILE: &str = "registry.redb";

fn open_store(dir: Option<&Path>) -> Result<Option<Store>, StartError> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.to_path_buf(), e))?;
            Ok(Some(Store::open(&dir.join(STORE_FILE))?))
        }
        None => Ok(None),
    }
}

fn saved_identity(store: Option<&Store>) -> Result<Option<Identity>, StartError> {
    Ok(match store {
        Some(s) => s
            .get("meta", IDENTITY_KEY)?
            .and_then(|v| serde_json::from_slice(&v).ok()),
        None => None,
    })
}

/// The data directory's own region: its name, emulator and identity.
fn open_home(
    config: &Config,
    data_dir: Option<&Path>,
) -> Result<(String, Emulator, Identity), StartError> {
    let store = open_store(data_dir)?;
    let saved = saved_identity(store.as_ref())?;
    if let (Some(identity), Some(seed)) = (&saved, config.seed) {
        if seed != identity.seed {
            tracing::warn!("--seed differs from the data dir's; the data dir's seed wins");
        }
    }
    // Data dirs from before regions get their home region recorded.
    let fresh = saved.as_ref().is_none_or(|i| i.region.is_none());
    let mut identity = match saved {
        Some(identity) => identity,
        None => new_identity(config.seed)?,
    };
    let home = identity.region.clone().unwrap_or(config.region.clone());
    identity.region = Some(home.clone());
    let ca = RootCa::from_pem(&identity.ca_cert_pem, &identity.ca_key_pem)?;
    let root_ca_path = Arc::new(write_root_ca(data_dir, &ca.cert_pem)?);
    let hooks = HookBindings::from_config(&config.hooks, config.hooks_file.as_deref())
        .map_err(StartError::Hook)?;
    let parts = RegionParts {
        clock: clock_for(config)?,
        region: &home,
        store,
        dir: data_dir,
        identity: &identity,
        fresh,
        ca,
        root_ca_path,
        hooks: Arc::new(hooks),
        s3: None,
    };
    let emulator = open_region(config, parts)?;
    Ok((home, emulator, identity))
}

/// A region other than the home one, in `regions/<region>/`.
fn open_other(common: &Common, region: &str) -> Result<Emulator, StartError> {
    let dir = common
        .data_dir
        .as_ref()
        .map(|d| d.join(REGIONS_DIR).join(region));
    let store = open_store(dir.as_deref())?;
    let saved = saved_identity(store.as_ref())?;
    let fresh = saved.is_none();
    let identity = match saved {
        Some(identity) => identity,
        None => region_identity(&common.identity, region),
    };
    // The root CA is always the home region's (one trust anchor for every region).
    let root = &common.identity;
    let ca = RootCa::from_pem(&root.ca_cert_pem, &root.ca_key_pem)?;
    let parts = RegionParts {
        clock: common.clock.clone(),
        region,
        store,
        dir: dir.as_deref(),
        identity: &identity,
        fresh,
        ca,
        root_ca_path: common.root_ca_path.clone(),
        hooks: common.hooks.clone(),
        s3: Some(common.s3.clone()),
    };
    open_region(&common.config, parts)
}

/// A new region's identity, a function of the home seed and the region name (so `--seed`
/// makes every region deterministic): its own seed, hence its own endpoint prefixes.
fn region_identity(home: &Identity, region: &str) -> Identity {
    use rand_core::RngCore;
    let seed = Entropy::new(home.seed)
        .rng_at(&format!("region:{region}"), 0)
        .next_u64();
    let entropy = Entropy::new(seed);
    Identity {
        seed,
        region: Some(region.to_string()),
        endpoint_prefix: entropy.lower_alnum("endpoint-prefix", 14),
        credentials_prefix: entropy.lower_alnum("credentials-prefix", 14),
        ca_cert_pem: home.ca_cert_pem.clone(),
        ca_key_pem: home.ca_key_pem.clone(),
    }
}

/// What one region is opened from.
struct RegionParts<'a> {
    clock: Clock,
    region: &'a str,
    store: Option<Store>,
    /// Where its store and key pool live (`None` in memory).
    dir: Option<&'a Path>,
    identity: &'a Identity,
    /// The identity is new and must be stored.
    fresh: bool,
    ca: RootCa,
    root_ca_path: Arc<PathBuf>,
    hooks: Arc<HookBindings>,
    /// The S3 stand-in every region shares; `None` for the first region, which makes it.
    s3: Option<S3>,
}

/// Opens one region's registry and PKI.
fn open_region(config: &Config, parts: RegionParts<'_>) -> Result<Emulator, StartError> {
    let identity = parts.identity;
    let entropy = Arc::new(Entropy::new(identity.seed));
    let account = Account {
        region: parts.region.to_string(),
        account_id: config.account_id.clone(),
    };
    let clock = parts.clock;
    let registry = Registry::open(parts.store, account.clone(), clock.clone(), entropy.clone())?;
    if parts.fresh {
        let value = serde_json::to_vec(identity).unwrap_or_default();
        let change = Change::Put {
            table: "meta",
            key: IDENTITY_KEY.into(),
            value,
        };
        registry
            .persist_raw(&[change])
            .map_err(|e| StartError::Internal(e.to_string()))?;
    }
    let keys = match config.seed {
        Some(_) => KeySource::Derived(entropy.clone()),
        None => KeySource::Fresh,
    };
    let pool = PoolConfig {
        size: config.key_pool,
        workers: 2,
        dir: parts.dir.map(|dir| dir.join("key-pool")),
    };
    let pki = Pki::new(parts.ca, entropy.clone(), clock.clone(), keys, pool);
    let logs = Logs::new(account.clone(), clock.clone());
    let runtimes = RuntimeConfig::from_flags(
        &config.lambda_runtimes,
        &config.lambda_layers,
        config.lambda_concurrency,
    )
    .map_err(StartError::Lambda)?;
    let lambda = Lambda::open(lambda::Setup {
        data_dir: parts.dir.map(Path::to_path_buf),
        runtimes,
        logs: logs.clone(),
        account,
        clock: clock.clone(),
        entropy: entropy.clone(),
    })
    .map_err(|e| StartError::Lambda(e.to_string()))?;
    let s3 = match parts.s3 {
        Some(shared) => shared,
        None => S3::open(
            parts.dir.map(|d| d.join("s3")),
            clock.clone(),
            entropy.clone(),
            parts.region,
        )
        .map_err(|e| StartError::Internal(format!("s3 stand-in: {e}")))?,
    };
    let cloudformation = CloudFormation::new(
        registry.clone(),
        pki.clone(),
        lambda.clone(),
        logs.clone(),
        s3.clone(),
    );
    let jobs = crate::jobs::Jobs::new(registry.clone(), s3.clone());
    Ok(Emulator {
        jobs,
        shadows: crate::shadows::Shadows::new(registry.clone(), config.shadow_updates_per_second),
        lambda,
        logs,
        registry,
        cloudformation,
        s3,
        pki,
        endpoints: Arc::new(identity.endpoints(parts.region)),
        root_ca_path: parts.root_ca_path,
        hooks: parts.hooks,
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
        region: None,
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
