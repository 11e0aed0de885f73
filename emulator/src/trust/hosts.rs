//! The `/etc/hosts` lines `iot-emulator trust --hosts` adds: one per endpoint name, each
//! marked so that `--uninstall` removes exactly those and nothing a person wrote.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::server::ReadyInfo;

/// The comment that marks our lines.
const MARKER: &str = "# added by iot-emulator trust";

/// The port AWS's endpoints (and the device SDKs that hard-code it) use.
pub const AWS_PORT: u16 = 443;

/// One name and the address it should resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub ip: IpAddr,
    pub name: String,
    /// Whether the emulator serves this name on port 443, as clients will expect.
    pub on_aws_port: bool,
}

impl Entry {
    pub fn line(&self) -> String {
        format!("{} {} {MARKER}", self.ip, self.name)
    }
}

/// A wildcard bind (`0.0.0.0`, `::`) is reached over loopback.
fn reachable(addr: SocketAddr) -> IpAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    }
}

/// The Data-ATS name goes to the MQTT address on port 443 if there is one, else to the
/// main MQTT address; the credentials name to the credentials listener, and the jobs
/// name to the iot:Jobs HTTPS listener.
pub fn entries(ready: &ReadyInfo) -> Vec<Entry> {
    let mqtt: Vec<SocketAddr> = ready
        .mqtt_addrs
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    let data = mqtt
        .iter()
        .find(|a| a.port() == AWS_PORT)
        .or(mqtt.first())
        .copied();
    let https = |url: &str| {
        url.strip_prefix("https://")
            .and_then(|a| a.parse::<SocketAddr>().ok())
    };
    let credentials = https(&ready.credentials_url);
    let jobs = https(&ready.jobs_url);
    let mut out = Vec::new();
    for (addr, name) in [
        (data, &ready.data_ats_endpoint),
        (credentials, &ready.credentials_endpoint),
        (jobs, &ready.jobs_endpoint),
    ] {
        if name.is_empty() {
            continue; // a ready file written before the jobs listener existed
        }
        let ip = addr.map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), reachable);
        out.push(Entry {
            ip,
            name: name.clone(),
            on_aws_port: addr.is_some_and(|a| a.port() == AWS_PORT),
        });
    }
    out
}

/// Whether `line` is one of ours for one of `names`.
fn is_ours(line: &str, names: &[&str]) -> bool {
    let Some(body) = line.trim_end().strip_suffix(MARKER) else {
        return false;
    };
    body.split_whitespace().skip(1).any(|n| names.contains(&n))
}

/// `text` with the lines of `entries` appended where missing, and the lines added.
pub fn add(text: &str, entries: &[Entry]) -> (String, Vec<String>) {
    let mut out = text.to_string();
    let mut added = Vec::new();
    for entry in entries {
        let line = entry.line();
        if text.lines().any(|l| l.trim_end() == line) {
            continue;
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&line);
        out.push('\n');
        added.push(line);
    }
    (out, added)
}

/// `text` without our lines for the names of `entries`, and the lines removed.
pub fn remove(text: &str, entries: &[Entry]) -> (String, Vec<String>) {
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    for line in text.split_inclusive('\n') {
        if is_ours(line, &names) {
            removed.push(line.trim_end().to_string());
        } else {
            out.push_str(line);
        }
    }
    (out, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ip: &str, name: &str) -> Entry {
        Entry {
            ip: ip.parse().unwrap(),
            name: name.into(),
            on_aws_port: true,
        }
    }

    #[test]
    fn adding_twice_adds_once_and_removing_restores_the_text() {
        let original = "127.0.0.1 localhost\n# 127.0.0.1 a.example # added by hand";
        let entries = [
            entry("127.0.0.1", "a.example"),
            entry("127.0.0.2", "b.example"),
        ];
        let (once, added) = add(original, &entries);
        assert_eq!(added.len(), 2);
        let (twice, again) = add(&once, &entries);
        assert_eq!((twice.as_str(), again.len()), (once.as_str(), 0));
        let (back, removed) = remove(&once, &entries);
        assert_eq!(removed, added);
        assert_eq!(back, format!("{original}\n"));
    }

    #[test]
    fn lines_of_other_names_are_kept() {
        let text = "10.0.0.1 other.example # added by iot-emulator trust\n";
        let (out, removed) = remove(text, &[entry("127.0.0.1", "a.example")]);
        assert_eq!((out.as_str(), removed.len()), (text, 0));
    }
}
