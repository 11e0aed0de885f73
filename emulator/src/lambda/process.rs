//! Runs one invocation as a local process: the event on stdin, stdout and stderr merged
//! into one stream of log lines (each stamped when read), the outcome in a result file
//! (handlers print(), so stdout cannot carry it). The process is killed at the timeout.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

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
    /// The line the runtime prints once the handler is loaded (not part of the log).
    pub init_marker: String,
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

/// What the process did.
#[derive(Debug, Clone)]
pub struct Ran {
    pub exit: Exit,
    pub lines: Lines,
    /// How long the runtime took to load the handler, if it got that far.
    pub init: Option<Duration>,
    /// How long the handler ran (after init).
    pub duration: Duration,
}

/// Lambda gives a function's initialisation 10 s, apart from its timeout.
pub const INIT_LIMIT: Duration = Duration::from_secs(10);

/// Lines still arriving this long after the process ended (a grandchild holding the pipe)
/// are not waited for.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

enum Msg {
    Line(i64, String),
    /// The runtime printed `spec.init_marker` (read at this instant): the handler is about
    /// to run.
    Ready(Instant),
}

/// Runs `spec`; returns how it ended and what it logged.
pub async fn run(spec: Spec, clock: &Clock) -> Ran {
    let not_started = |cause: String| Ran {
        exit: Exit::NotStarted(cause),
        lines: Vec::new(),
        init: None,
        duration: Duration::ZERO,
    };
    let (reader, writer) = match std::io::pipe() {
        Ok(pair) => pair,
        Err(e) => return not_started(e.to_string()),
    };
    let stderr = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => return not_started(e.to_string()),
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
    let started = Instant::now();
    let spawned = command.spawn();
    // The parent's copies of the pipe's write end must go, or the reader never ends.
    drop(command);
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return not_started(format!("{}: {e}", spec.program)),
    };
    let rx = read_lines(reader, clock.clone(), spec.init_marker.clone());
    if let Some(mut stdin) = child.stdin.take() {
        // A handler never reads stdin itself; the runtime reads it whole at start.
        let _ = stdin.write_all(&spec.stdin).await;
    }
    supervise(child, rx, &spec, started).await
}

/// Reads the merged output on a thread, line by line.
fn read_lines(
    reader: std::io::PipeReader,
    clock: Clock,
    marker: String,
) -> mpsc::UnboundedReceiver<Msg> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            let msg = if line == marker {
                Msg::Ready(Instant::now())
            } else {
                Msg::Line(clock.now_ms(), line)
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for the process: at most [`INIT_LIMIT`] to load the handler, then the timeout.
async fn supervise(
    mut child: tokio::process::Child,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    spec: &Spec,
    started: Instant,
) -> Ran {
    let mut lines = Vec::new();
    let (waited, mut ready) = wait(&mut child, &mut rx, &mut lines, spec.timeout, started).await;
    let ended = Instant::now();
    let exit = match waited {
        None => {
            let _ = child.kill().await;
            Exit::TimedOut
        }
        Some(Err(e)) => Exit::Exited(e.to_string()),
        Some(Ok(status)) => outcome(spec, status),
    };
    let _ = tokio::time::timeout(DRAIN_GRACE, async {
        // The process may exit before its last lines (the marker too) were read.
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Line(at, line) => lines.push((at, line)),
                Msg::Ready(at) => ready = ready.or(Some(at)),
            }
        }
    })
    .await;
    let _ = std::fs::remove_file(&spec.result_path);
    Ran {
        exit,
        lines,
        init: ready.map(|r| r.saturating_duration_since(started)),
        duration: ended.saturating_duration_since(ready.unwrap_or(started)),
    }
}

/// Collects lines until the process exits (`Some`) or its deadline passes (`None`); also
/// when the handler was loaded.
async fn wait(
    child: &mut tokio::process::Child,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    lines: &mut Lines,
    timeout: Duration,
    started: Instant,
) -> (
    Option<std::io::Result<std::process::ExitStatus>>,
    Option<Instant>,
) {
    let mut ready = None;
    let mut deadline = started + INIT_LIMIT;
    loop {
        // Checked here too: a handler printing without end keeps `rx` always ready.
        if Instant::now() >= deadline {
            return (None, ready);
        }
        tokio::select! {
            // Lines first: an exit does not hide output already read.
            biased;
            Some(msg) = rx.recv() => match msg {
                Msg::Line(at, line) => lines.push((at, line)),
                Msg::Ready(at) => {
                    ready = Some(at);
                    deadline = at + timeout;
                }
            },
            status = child.wait() => return (Some(status), ready),
            _ = tokio::time::sleep_until(deadline.into()) => return (None, ready),
        }
    }
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
