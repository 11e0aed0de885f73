//! The system trust stores `iot-emulator trust` knows, found the way mkcert finds them:
//! by the anchor directory each distribution family reads, plus the tool that rebuilds
//! the bundle clients load (OpenSSL, s2n and so the AWS IoT Device SDK, Python's ssl).

use std::path::{Path, PathBuf};

/// One kind of system trust store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// Debian, Ubuntu, Alpine: `update-ca-certificates` (anchors must end in `.crt`).
    Debian,
    /// Fedora, RHEL, CentOS, Amazon Linux: `update-ca-trust extract`.
    RedHat,
    /// Arch: `trust extract-compat`.
    Arch,
    /// openSUSE: `update-ca-certificates`.
    Suse,
    /// macOS: the System keychain, through `security`.
    MacOs,
}

/// The Linux stores, in the order they are looked for, with their anchor directory.
const LINUX: &[(Store, &str)] = &[
    (Store::RedHat, "etc/pki/ca-trust/source/anchors"),
    (Store::Debian, "usr/local/share/ca-certificates"),
    (Store::Arch, "etc/ca-certificates/trust-source/anchors"),
    (Store::Suse, "usr/share/pki/trust/anchors"),
];

/// The macOS keychain the CA goes into.
pub const SYSTEM_KEYCHAIN: &str = "/Library/Keychains/System.keychain";

impl Store {
    /// The store of the system under `root` (`/` except in tests).
    pub fn detect(root: &Path) -> Option<Store> {
        if cfg!(target_os = "macos") && root == Path::new("/") {
            return Some(Store::MacOs);
        }
        LINUX
            .iter()
            .find(|(_, dir)| root.join(dir).is_dir())
            .map(|(store, _)| *store)
    }

    /// Where the CA file goes, or `None` for the keychain.
    pub fn anchor(self, root: &Path, file_stem: &str) -> Option<PathBuf> {
        let (_, dir) = LINUX.iter().find(|(s, _)| *s == self)?;
        Some(root.join(dir).join(format!("{file_stem}.crt")))
    }

    /// The command that rebuilds the bundle after an anchor changed.
    pub fn refresh(self) -> Option<Vec<&'static str>> {
        match self {
            Store::Debian | Store::Suse => Some(vec!["update-ca-certificates"]),
            Store::RedHat => Some(vec!["update-ca-trust", "extract"]),
            Store::Arch => Some(vec!["trust", "extract-compat"]),
            Store::MacOs => None,
        }
    }

    /// The `security` commands that add `pem` to, or take it out of, the System keychain
    /// as a trusted root (`sha1` is the certificate's SHA-1, which `delete-certificate`
    /// identifies it by).
    pub fn keychain_commands(pem: &Path, sha1: &str, install: bool) -> Vec<Vec<String>> {
        let pem = pem.display().to_string();
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        if install {
            vec![args(&[
                "security",
                "add-trusted-cert",
                "-d",
                "-k",
                SYSTEM_KEYCHAIN,
                &pem,
            ])]
        } else {
            vec![
                args(&["security", "remove-trusted-cert", "-d", &pem]),
                args(&[
                    "security",
                    "delete-certificate",
                    "-Z",
                    sha1,
                    SYSTEM_KEYCHAIN,
                ]),
            ]
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Store::Debian => "Debian/Ubuntu (update-ca-certificates)",
            Store::RedHat => "Fedora/RHEL (update-ca-trust)",
            Store::Arch => "Arch (trust extract-compat)",
            Store::Suse => "openSUSE (update-ca-certificates)",
            Store::MacOs => "macOS System keychain",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_directory_names_the_store() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(Store::detect(root.path()), None);
        std::fs::create_dir_all(root.path().join("usr/local/share/ca-certificates")).unwrap();
        assert_eq!(Store::detect(root.path()), Some(Store::Debian));
        std::fs::create_dir_all(root.path().join("etc/pki/ca-trust/source/anchors")).unwrap();
        assert_eq!(Store::detect(root.path()), Some(Store::RedHat));
        let anchor = Store::RedHat.anchor(root.path(), "x").unwrap();
        assert!(anchor.ends_with("etc/pki/ca-trust/source/anchors/x.crt"));
    }
}
