//! The ready files: `--ready-file` and the data directory's copy (for `iot-emulator env`),
//! rewritten as regions open.

use std::sync::{Arc, Mutex};

use super::{lock, ReadyInfo};
use crate::bootstrap;
use crate::config::Config;
use crate::regions::RegionHook;
use crate::state::Emulator;

/// The ready file (`--ready-file`) and the data directory's copy, for `iot-emulator env`.
#[derive(Clone)]
pub(super) struct ReadyFiles {
    paths: Vec<std::path::PathBuf>,
    ready: Arc<Mutex<ReadyInfo>>,
}

impl ReadyFiles {
    pub(super) fn new(config: &Config, ready: ReadyInfo) -> Self {
        let mut paths: Vec<_> = config.ready_file.iter().cloned().collect();
        // The data directory always holds one, for `iot-emulator env`.
        if let Some(dir) = config.resolved_data_dir() {
            paths.push(dir.join(crate::exports::READY_FILE_NAME));
        }
        ReadyFiles {
            paths,
            ready: Arc::new(Mutex::new(ready)),
        }
    }

    pub(super) fn write(&self) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(&*lock(&self.ready)).unwrap_or_default();
        for path in &self.paths {
            bootstrap::write_atomically(path, &json)?;
        }
        Ok(())
    }

    /// Adds each region that opens to the files.
    pub(super) fn hook(&self) -> RegionHook {
        let files = self.clone();
        Arc::new(move |region: &str, _: &Emulator| {
            {
                let mut ready = lock(&files.ready);
                if ready.regions.iter().any(|r| r == region) {
                    return;
                }
                ready.regions.push(region.to_string());
                ready.regions.sort();
            }
            if let Err(e) = files.write() {
                tracing::warn!(%e, "the ready file could not be rewritten");
            }
        })
    }
}
