//! `iot-emulator trust`: puts the emulator's root CA into the system trust store and,
//! with `--hosts`, its Data-ATS, credentials and iot:Jobs endpoint names into `/etc/hosts`, so
//! device code written for AWS (port 443, the system store, the real endpoint name) runs
//! unmodified. `--uninstall` takes out exactly what it put in. It reports every change
//! and refuses, having changed nothing, when it may not write what it must.

pub mod hosts;
pub mod store;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::server::ReadyInfo;
use store::Store;

/// What to do, and under which root (`/` except in tests, which use a scratch root).
#[derive(Debug, Clone)]
pub struct Options {
    pub uninstall: bool,
    pub hosts: bool,
    pub root: PathBuf,
}

/// Why `trust` stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read the root CA {path}: {cause}")]
    Ca { path: String, cause: String },
    #[error("no system trust store found under {0} (looked for the anchor directories of Debian/Ubuntu, Fedora/RHEL, Arch and openSUSE)")]
    NoStore(PathBuf),
    #[error("iot-emulator trust must write {paths} and may not ({cause}). Run it as root, e.g. `sudo iot-emulator --data-dir <dir> trust{flags}`. Nothing was changed.")]
    NoRights {
        paths: String,
        cause: String,
        flags: String,
    },
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
}

/// The emulator's root CA: its PEM text and the names derived from its DER.
struct RootCa {
    path: PathBuf,
    pem: String,
    /// `iot-emulator-<first 16 hex of SHA-256>`: the anchor file's name.
    stem: String,
    sha1: String,
}

fn read_ca(ready: &ReadyInfo) -> Result<RootCa, TrustError> {
    let path = PathBuf::from(&ready.root_ca_path);
    let bad = |cause: String| TrustError::Ca {
        path: ready.root_ca_path.clone(),
        cause,
    };
    let pem = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| bad(format!("not a PEM certificate ({e})")))?;
    let sha256 = hex::encode(Sha256::digest(&block.contents));
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &block.contents);
    Ok(RootCa {
        path,
        pem,
        stem: format!("iot-emulator-{}", &sha256[..16]),
        sha1: hex::encode_upper(sha1.as_ref()),
    })
}

/// Runs `trust` for the instance `ready` describes, adding to `report` one line per
/// change as it is made (so a failure part way still leaves an exact account).
pub fn run(
    ready: &ReadyInfo,
    options: &Options,
    report: &mut Vec<String>,
) -> Result<(), TrustError> {
    let ca = read_ca(ready)?;
    let store = Store::detect(&options.root).ok_or(TrustError::NoStore(options.root.clone()))?;
    let anchor = store.anchor(&options.root, &ca.stem);
    let hosts_file = options.root.join("etc/hosts");
    let mut targets: Vec<&Path> = anchor.iter().filter_map(|a| a.parent()).collect();
    if options.hosts {
        targets.push(&hosts_file);
    }
    preflight(&targets, options)?;
    report.push(format!("trust store: {}", store.name()));
    let changed = match &anchor {
        Some(anchor) => anchor_file(anchor, &ca, options.uninstall, report)?,
        None => keychain(&ca, options.uninstall, report)?,
    };
    if changed {
        refresh(store, options, report)?;
    }
    if options.hosts {
        hosts_lines(&hosts_file, ready, options.uninstall, report)?;
    }
    Ok(())
}

/// Refuses before any change when a target cannot be written.
fn preflight(targets: &[&Path], options: &Options) -> Result<(), TrustError> {
    let mut denied = Vec::new();
    let mut cause = String::new();
    for target in targets {
        if let Err(e) = check_writable(target) {
            match e.kind() {
                ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
                    denied.push(target.display().to_string());
                    cause = e.to_string();
                }
                _ => return Err(io_error(target, e)),
            }
        }
    }
    if denied.is_empty() {
        return Ok(());
    }
    let mut flags = String::new();
    if options.hosts {
        flags.push_str(" --hosts");
    }
    if options.uninstall {
        flags.push_str(" --uninstall");
    }
    Err(TrustError::NoRights {
        paths: denied.join(" and "),
        cause,
        flags,
    })
}

/// Opens a file for appending, or creates and removes a probe in a directory: neither
/// changes anything.
fn check_writable(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        let probe = path.join(".iot-emulator-trust-probe");
        std::fs::File::create(&probe)?;
        return std::fs::remove_file(&probe);
    }
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map(|_| ())
}

fn io_error(path: &Path, cause: std::io::Error) -> TrustError {
    TrustError::Io {
        path: path.display().to_string(),
        cause,
    }
}

/// Writes or removes the anchor file; whether it changed.
fn anchor_file(
    anchor: &Path,
    ca: &RootCa,
    uninstall: bool,
    report: &mut Vec<String>,
) -> Result<bool, TrustError> {
    let current = std::fs::read_to_string(anchor).ok();
    let shown = anchor.display();
    if uninstall {
        if current.is_none() {
            report.push(format!("unchanged: {shown} is not there"));
            return Ok(false);
        }
        std::fs::remove_file(anchor).map_err(|e| io_error(anchor, e))?;
        report.push(format!("removed {shown}"));
        return Ok(true);
    }
    if current.as_deref() == Some(ca.pem.as_str()) {
        report.push(format!("unchanged: {shown} already holds the root CA"));
        return Ok(false);
    }
    std::fs::write(anchor, &ca.pem).map_err(|e| io_error(anchor, e))?;
    let from = ca.path.display();
    report.push(format!("added {shown} (the root CA, from {from})"));
    Ok(true)
}

/// macOS: the System keychain through `security`, as mkcert does.
fn keychain(ca: &RootCa, uninstall: bool, report: &mut Vec<String>) -> Result<bool, TrustError> {
    for command in Store::keychain_commands(&ca.path, &ca.sha1, !uninstall) {
        run_command(&command)?;
        report.push(format!("ran {}", command.join(" ")));
    }
    Ok(true)
}

/// Rebuilds the bundle: only on the real root (a scratch root has no tools of its own).
fn refresh(store: Store, options: &Options, report: &mut Vec<String>) -> Result<(), TrustError> {
    let Some(command) = store.refresh() else {
        return Ok(());
    };
    let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
    if options.root != Path::new("/") {
        report.push(format!("skipped `{}`: scratch root", command.join(" ")));
        return Ok(());
    }
    run_command(&command)?;
    report.push(format!("ran {}", command.join(" ")));
    Ok(())
}

fn run_command(command: &[String]) -> Result<(), TrustError> {
    let failed = |detail: String| TrustError::Command {
        command: command.join(" "),
        detail,
    };
    let (program, args) = command
        .split_first()
        .ok_or_else(|| failed("empty".into()))?;
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| failed(e.to_string()))?;
    if out.status.success() {
        return Ok(());
    }
    Err(failed(
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    ))
}

/// Adds or removes the endpoint names' lines.
fn hosts_lines(
    path: &Path,
    ready: &ReadyInfo,
    uninstall: bool,
    report: &mut Vec<String>,
) -> Result<(), TrustError> {
    let entries = hosts::entries(ready);
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    let (new_text, lines) = if uninstall {
        hosts::remove(&text, &entries)
    } else {
        hosts::add(&text, &entries)
    };
    let shown = path.display();
    if lines.is_empty() {
        report.push(format!("unchanged: {shown}"));
    } else {
        // In place, not renamed over: /etc/hosts is often a bind mount (containers).
        std::fs::write(path, new_text).map_err(|e| io_error(path, e))?;
    }
    let verb = if uninstall {
        "removed from"
    } else {
        "added to"
    };
    for line in lines {
        report.push(format!("{verb} {shown}: {line}"));
    }
    if !uninstall {
        for entry in entries.iter().filter(|e| !e.on_aws_port) {
            report.push(format!(
                "note: {} is not served on port {}, where AWS device SDKs connect \
                 (e.g. --mqtt-extra-addr 127.0.0.1:443 --credentials-addr 127.0.0.2:443 \
                 --jobs-addr 127.0.0.3:443)",
                entry.name,
                hosts::AWS_PORT
            ));
        }
    }
    Ok(())
}
