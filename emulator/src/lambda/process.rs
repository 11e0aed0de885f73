//! Runs one invocation as a local process: the event on stdin, stdout and stderr merged
//! into one stream of log lines (each stamped when read), the outcome in a result file
//! (handlers print(), so stdout cannot carry it). The process is killed at the timeout.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::basis::Clock;

/// How one process is started.
#[derive(Debug, Clone)]
pub struct Spec {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub stdin: Vec<u8>,
    pub timeout: Duration,
    /// Where the runtime writes the outcome.
    pub result_path: PathBuf,
}

/// How it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The runtime wrote its outcome: `(ok, JSON bytes)`.
    Finished { ok: bool, body: Vec<u8> },
    /// Killed at the timeout.
    TimedOut,
    /// Exited without an outcome (sys.exit, a crash): its exit status.
    Exited(String),
    /// Could not be started.
    NotStarted(String),
}

/// The log lines, each with the clock's millisecond when it was read.
pub type Lines = Vec<(i64, String)>;

/// Lines still arriving this long after the process ended (a grandchild holding the pipe)
/// are not waited for.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// Runs `spec`; returns how it ended and what it logged.
pub async fn run(spec: Spec, clock: &Clock) -> (Exit, Lines) {
    let (reader, writer) = match std::io::pipe() {
        Ok(pair) => pair,
        Err(e) => return (Exit::NotStarted(e.to_string()), Vec::new()),
    };
    let stderr = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => return (Exit::NotStarted(e.to_string()), Vec::new()),
    };
    let mut command = tokio::process::Command::new(&spec.program);
    command
        .args(&spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.cwd)
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(stderr)
        .kill_on_drop(true);
    let spawned = command.spawn();
    // The parent's copies of the pipe's write end must go, or the reader never ends.
    drop(command);
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            return (
                Exit::NotStarted(format!("{}: {e}", spec.program)),
                Vec::new(),
            )
        }
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let stamp = clock.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send((stamp.now_ms(), line)).is_err() {
                break;
            }
        }
    });
    if let Some(mut stdin) = child.stdin.take() {
        // A handler never reads stdin itself; the runtime reads it whole at start.
        let _ = stdin.write_all(&spec.stdin).await;
    }
    let mut lines = Vec::new();
    let waited = tokio::time::timeout(spec.timeout, async {
        loop {
            tokio::select! {
                status = child.wait() => return status,
                Some(line) = rx.recv() => lines.push(line),
            }
        }
    })
    .await;
    let exit = match waited {
        Err(_) => {
            let _ = child.kill().await;
            Exit::TimedOut
        }
        Ok(Err(e)) => Exit::Exited(e.to_string()),
        Ok(Ok(status)) => outcome(&spec, status),
    };
    let _ = tokio::time::timeout(DRAIN_GRACE, async {
        while let Some(line) = rx.recv().await {
            lines.push(line);
        }
    })
    .await;
    let _ = std::fs::remove_file(&spec.result_path);
    (exit, lines)
}

fn outcome(spec: &Spec, status: std::process::ExitStatus) -> Exit {
    let Ok(bytes) = std::fs::read(&spec.result_path) else {
        return Exit::Exited(status.to_string());
    };
    let (head, body) = match bytes.iter().position(|b| *b == b'\n') {
        Some(i) => (&bytes[..i], bytes[i + 1..].to_vec()),
        None => (&bytes[..], Vec::new()),
    };
    Exit::Finished {
        ok: head == b"ok",
        body,
    }
}
