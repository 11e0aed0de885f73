//! Where functions live on disk: `<root>/functions/<name>/` holds `function.json` (the
//! record), `code.zip` (the package as uploaded) and `code/` (unpacked, the task root).
//! With `--data-dir` the root is `<data dir>/lambda` and functions survive a restart; in
//! memory it is a temporary directory removed when the emulator goes away.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::code;
use super::error::{LambdaError, LambdaResult};
use super::function::FunctionRecord;

/// The function directories under one root.
#[derive(Debug)]
pub struct FunctionStore {
    root: PathBuf,
    durable: bool,
}

static TEMP_ROOTS: AtomicU64 = AtomicU64::new(0);

impl FunctionStore {
    /// `<data_dir>/lambda`, or a fresh temporary directory when `data_dir` is `None`.
    pub fn open(data_dir: Option<&Path>) -> std::io::Result<Self> {
        let (root, durable) = match data_dir {
            Some(dir) => (dir.join("lambda"), true),
            None => {
                let n = TEMP_ROOTS.fetch_add(1, Ordering::SeqCst);
                let name = format!("iot-emulator-lambda-{}-{n}", std::process::id());
                (std::env::temp_dir().join(name), false)
            }
        };
        std::fs::create_dir_all(root.join("functions"))?;
        Ok(FunctionStore { root, durable })
    }

    /// The root directory (the runtime's bootstrap scripts go in it too).
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join("functions").join(name)
    }

    /// The unpacked code: the function's `LAMBDA_TASK_ROOT`.
    pub fn code_dir(&self, name: &str) -> PathBuf {
        self.dir(name).join("code")
    }

    /// The package as uploaded.
    pub fn zip_path(&self, name: &str) -> PathBuf {
        self.dir(name).join("code.zip")
    }

    /// Every stored function.
    pub fn load_all(&self) -> Vec<FunctionRecord> {
        let Ok(entries) = std::fs::read_dir(self.root.join("functions")) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path().join("function.json");
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            match serde_json::from_slice(&bytes) {
                Ok(record) => out.push(record),
                Err(e) => {
                    tracing::warn!(path = %path.display(), cause = %e, "unreadable Lambda function record skipped")
                }
            }
        }
        out
    }

    /// Unpacks `zip` as the code of `name`, replacing any previous code only once the new
    /// one is complete.
    pub fn install_code(&self, name: &str, zip: &[u8]) -> LambdaResult<()> {
        let dir = self.dir(name);
        let staging = dir.join("code.staging");
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&dir).map_err(LambdaError::service)?;
        if let Err(e) = code::unpack(zip, &staging) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        let live = self.code_dir(name);
        let old = dir.join("code.old");
        let _ = std::fs::remove_dir_all(&old);
        if live.exists() {
            std::fs::rename(&live, &old).map_err(LambdaError::service)?;
        }
        std::fs::rename(&staging, &live).map_err(LambdaError::service)?;
        let _ = std::fs::remove_dir_all(&old);
        write_atomically(&self.zip_path(name), zip)
    }

    /// Writes the record of a function.
    pub fn save(&self, record: &FunctionRecord) -> LambdaResult<()> {
        let bytes = serde_json::to_vec_pretty(record).map_err(LambdaError::service)?;
        write_atomically(&self.dir(&record.name).join("function.json"), &bytes)
    }

    /// Removes a function's directory.
    pub fn remove(&self, name: &str) {
        if let Err(e) = std::fs::remove_dir_all(self.dir(name)) {
            tracing::warn!(function = name, cause = %e, "could not remove a Lambda function's files");
        }
    }
}

impl Drop for FunctionStore {
    fn drop(&mut self) {
        if !self.durable {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> LambdaResult<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(LambdaError::service)?;
    std::fs::rename(&tmp, path).map_err(LambdaError::service)
}
