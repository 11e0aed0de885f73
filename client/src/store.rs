//! The device directory: a provisioned device's certificate, key, thing name and device
//! configuration, saved after provisioning and found again on the next run (S1).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{ClientError, Result};
use crate::tls::{read_text, Identity};

const CERT_FILE: &str = "certificate.pem.crt";
const KEY_FILE: &str = "private.pem.key";
/// Written last: its presence means the directory is complete.
const DEVICE_FILE: &str = "device.json";

/// A provisioned device.
#[derive(Debug, Clone)]
pub struct Device {
    pub certificate_id: String,
    pub identity: Identity,
    pub thing_name: Option<String>,
    pub device_configuration: BTreeMap<String, String>,
}

/// `device.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    certificate_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thing_name: Option<String>,
    #[serde(default)]
    device_configuration: BTreeMap<String, String>,
}

/// A directory holding at most one device.
#[derive(Debug, Clone)]
pub struct DeviceStore {
    dir: PathBuf,
}

impl DeviceStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DeviceStore { dir: dir.into() }
    }

    /// Where the certificate and key live, for other tools.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join(CERT_FILE)
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    /// The saved device, or `None` when the directory holds no complete one.
    pub fn load(&self) -> Result<Option<Device>> {
        let record_path = self.dir.join(DEVICE_FILE);
        if !record_path.exists() {
            return Ok(None);
        }
        let record: Record = serde_json::from_str(&read_text(&record_path)?).map_err(|e| {
            ClientError::Config(format!(
                "{} is not a device record: {e}",
                record_path.display()
            ))
        })?;
        Ok(Some(Device {
            certificate_id: record.certificate_id,
            identity: Identity::from_files(&self.cert_path(), &self.key_path())?,
            thing_name: record.thing_name,
            device_configuration: record.device_configuration,
        }))
    }

    /// Saves `device`, the key readable by its owner only.
    pub fn save(&self, device: &Device) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        write(&self.cert_path(), &device.identity.cert_pem)?;
        write(&self.key_path(), &device.identity.key_pem)?;
        restrict(&self.key_path())?;
        let record = Record {
            certificate_id: device.certificate_id.clone(),
            thing_name: device.thing_name.clone(),
            device_configuration: device.device_configuration.clone(),
        };
        let text = serde_json::to_string_pretty(&record)
            .map_err(|e| ClientError::Config(e.to_string()))?;
        write(&self.dir.join(DEVICE_FILE), &text)
    }
}

fn io(path: &Path, error: std::io::Error) -> ClientError {
    ClientError::Io {
        path: path.display().to_string(),
        error,
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| io(path, e))
}

#[cfg(unix)]
fn restrict(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| io(path, e))
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_then_loads_the_same_device() {
        let dir = tempfile::tempdir().unwrap();
        let store = DeviceStore::new(dir.path().join("device"));
        assert!(store.load().unwrap().is_none());
        let device = Device {
            certificate_id: "abc".into(),
            identity: Identity {
                cert_pem: "CERT".into(),
                key_pem: "KEY".into(),
            },
            thing_name: Some("MyThing_0002".into()),
            device_configuration: [("MyDeviceOption".to_string(), "Normal".to_string())].into(),
        };
        store.save(&device).unwrap();
        let back = store.load().unwrap().expect("saved");
        assert_eq!(back.certificate_id, "abc");
        assert_eq!(back.identity.key_pem, "KEY");
        assert_eq!(back.thing_name.as_deref(), Some("MyThing_0002"));
        assert_eq!(back.device_configuration, device.device_configuration);
    }

    #[test]
    fn a_broken_record_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DEVICE_FILE), "{").unwrap();
        assert!(DeviceStore::new(dir.path()).load().is_err());
    }
}
