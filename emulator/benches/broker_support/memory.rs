//! Memory per idle TLS connection. Each broker runs alone in a child process (this bench
//! binary again, told so by [`CHILD_ENV`]) that reports its own VmRSS on request; the
//! clients stay in the parent, so the figure is the broker's memory only.
//!
//! Line protocol on the child's stdio: the child prints `READY <host> <port> <dir>`;
//! every `SAMPLE` line on its stdin is answered with `RSS <kB>`; end of stdin ends it.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use rumqttc::AsyncClient;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout, Command};
use tokio::task::JoinSet;

use super::brokers::{start_rumqttd, Ours};
use super::{load, Target};

/// Set to `ours` or `rumqttd` in the child.
pub const CHILD_ENV: &str = "BROKER_BENCH_CHILD";
/// The directory of files rumqttd uses (see [`super::Files`]).
const FILES_ENV: &str = "BROKER_BENCH_FILES";
/// Connections opened (and kept) before the baseline sample: first-connection costs
/// (buffers, lazily built tables) stay out of the per-connection figure.
const WARM: usize = 20;
/// Connectors working at once while the idle connections are opened.
const OPENING: usize = 8;

/// Resident memory of one broker: before and after `idle` more connections.
pub struct Memory {
    pub idle: usize,
    pub before_kb: u64,
    pub after_kb: u64,
}

impl Memory {
    pub fn per_connection_kb(&self) -> f64 {
        (self.after_kb as f64 - self.before_kb as f64) / self.idle as f64
    }
}

/// The child's side: starts the broker, then answers samples until stdin closes.
pub fn child_main(kind: &str) {
    let (ours, host, port, dir) = match kind {
        "ours" => {
            let ours = Ours::start();
            let target = ours.target();
            let dir = ours.files().to_path_buf();
            (Some(ours), target.host, target.port, dir)
        }
        _ => {
            let dir = PathBuf::from(std::env::var(FILES_ENV).expect("files dir"));
            let target = start_rumqttd(&dir);
            (None, target.host, target.port, dir)
        }
    };
    println!("READY {host} {port} {}", dir.display());
    for line in std::io::stdin().lock().lines() {
        match line {
            Ok(line) if line.trim() == "SAMPLE" => println!("RSS {}", vm_rss_kb()),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if let Some(ours) = ours {
        ours.shutdown();
    }
    // rumqttd has no shutdown: its threads end with the process.
    std::process::exit(0);
}

/// This process's resident set size in kB, from `/proc/self/status`.
fn vm_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The parent's side: starts `kind` in a child process, opens [`WARM`] then `idle`
/// connections to it and samples its memory before and after the `idle` ones.
pub async fn measure(kind: &'static str, files: &Path, idle: usize) -> Result<Memory, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .env(CHILD_ENV, kind)
        .env(FILES_ENV, files)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("child: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("child stdin")?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("child stdout")?).lines();
    let ready = next_line(&mut lines, "READY").await?;
    let fields: Vec<&str> = ready.split_whitespace().collect();
    let [host, port, dir] = fields[..] else {
        return Err(format!("bad READY line: {ready}"));
    };
    let port = port.parse().map_err(|_| format!("bad port in {ready}"))?;
    let target = Target::from_dir(Path::new(dir), host, port);
    let mut held = JoinSet::new();
    open(&target, "warm", WARM, &mut held).await?;
    let before_kb = sample(&mut stdin, &mut lines).await?;
    open(&target, "idle", idle, &mut held).await?;
    let after_kb = sample(&mut stdin, &mut lines).await?;
    held.abort_all();
    drop(stdin);
    let _ = child.wait().await;
    Ok(Memory {
        idle,
        before_kb,
        after_kb,
    })
}

async fn next_line(
    lines: &mut Lines<BufReader<ChildStdout>>,
    prefix: &str,
) -> Result<String, String> {
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        if let Some(rest) = line.strip_prefix(prefix) {
            return Ok(rest.trim().to_string());
        }
    }
    Err(format!("child ended before {prefix}"))
}

async fn sample(
    stdin: &mut ChildStdin,
    lines: &mut Lines<BufReader<ChildStdout>>,
) -> Result<u64, String> {
    stdin
        .write_all(b"SAMPLE\n")
        .await
        .map_err(|e| e.to_string())?;
    stdin.flush().await.map_err(|e| e.to_string())?;
    let rss = next_line(lines, "RSS").await?;
    rss.parse().map_err(|_| format!("bad RSS line: {rss}"))
}

/// Opens `count` connections, [`OPENING`] at a time, each kept alive by a task in `held`
/// that polls its event loop (keep-alive pings) until aborted.
async fn open(
    target: &Target,
    tag: &str,
    count: usize,
    held: &mut JoinSet<()>,
) -> Result<(), String> {
    let mut opening = JoinSet::new();
    for i in 0..count {
        if opening.len() >= OPENING {
            keep(opening.join_next().await, held)?;
        }
        let (target, id) = (target.clone(), format!("mem-{tag}-{i}"));
        opening.spawn(async move { load::connect(&target, &id).await });
    }
    while let Some(done) = opening.join_next().await {
        keep(Some(done), held)?;
    }
    Ok(())
}

type Opened = Result<(AsyncClient, rumqttc::EventLoop), String>;

fn keep(
    done: Option<Result<Opened, tokio::task::JoinError>>,
    held: &mut JoinSet<()>,
) -> Result<(), String> {
    let Some(done) = done else { return Ok(()) };
    let (client, mut eventloop) = done.map_err(|e| e.to_string())??;
    held.spawn(async move {
        let _client = client;
        while eventloop.poll().await.is_ok() {}
    });
    Ok(())
}
