//! One execution environment: a local runtime process that loads the handler once (its
//! init) and then runs invocation after invocation, as Lambda reuses a warm environment.
//! stdout and stderr are merged into one stream of log lines (each stamped when read);
//! each invocation is one line on the process's stdin naming an event file, and its
//! outcome comes back in a result file (handlers print(), so stdout cannot carry it),
//! announced by a marker line. A process that crashes or overruns its timeout is killed
//! and never reused.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::basis::Clock;

/// How an environment's process is started.
#[derive(Debug, Clone)]
pub struct Spec {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    /// The marker lines' prefix (not part of the log); the runtime gets it in its argv.
    pub marker: String,
}

/// One invocation sent to an environment.
#[derive(Debug, Clone)]
pub struct Request {
    pub request_id: String,
    pub payload: Vec<u8>,
    pub timeout: Duration,
    /// Where the event is written and the outcome read.
    pub event_path: PathBuf,
    pub result_path: PathBuf,
}

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The runtime wrote its outcome: `(ok, JSON bytes)`.
    Finished { ok: bool, body: Vec<u8> },
    /// Killed at the timeout.
    TimedOut,
    /// Exited without an outcome (sys.exit, a crash): its exit status.
    Exited(String),
}

/// The log lines, each with the clock's millisecond when it was read.
pub type Lines = Vec<(i64, String)>;

/// What one invocation did.
#[derive(Debug, Clone)]
pub struct Ran {
    pub exit: Exit,
    pub lines: Lines,
    /// How long the runtime took to load the handler, on a cold start.
    pub init: Option<Duration>,
    /// How long the handler ran (after init).
    pub duration: Duration,
    /// Whether the environment may run another invocation.
    pub reusable: bool,
}

/// Lambda gives a function's initialisation 10 s, apart from its timeout.
pub const INIT_LIMIT: Duration = Duration::from_secs(10);

/// Lines still arriving this long after the process ended (a grandchild holding the pipe)
/// are not waited for.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

#[derive(Debug)]
enum Msg {
    Line(i64, String),
    /// The runtime loaded the handler (read at this instant).
    Ready(Instant),
    /// The runtime finished the invocation with this request id.
    Done(Instant, String),
}

/// A live runtime process.
#[derive(Debug)]
pub struct Environment {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    rx: mpsc::UnboundedReceiver<Msg>,
    started: Instant,
    initialised: bool,
    /// When the runtime reported the handler loaded, until an invocation takes it.
    ready_at: Option<Instant>,
    /// The log stream this environment writes to.
    pub stream: String,
    /// The function revision it was started for.
    pub revision: String,
}

/// Starts an environment's process; the handler loads while the first request is sent.
pub fn spawn(
    spec: Spec,
    clock: &Clock,
    stream: String,
    revision: String,
) -> Result<Environment, String> {
    let (reader, writer) = std::io::pipe().map_err(|e| e.to_string())?;
    let stderr = writer.try_clone().map_err(|e| e.to_string())?;
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
    let mut child = spawned.map_err(|e| format!("{}: {e}", spec.program))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| "the runtime's stdin is not a pipe".to_string())?;
    let rx = read_lines(reader, clock.clone(), spec.marker);
    Ok(Environment {
        child,
        stdin,
        rx,
        started,
        initialised: false,
        ready_at: None,
        stream,
        revision,
    })
}

/// Reads the merged output on a thread, line by line, picking out the marker lines.
fn read_lines(
    reader: std::io::PipeReader,
    clock: Clock,
    marker: String,
) -> mpsc::UnboundedReceiver<Msg> {
    let (tx, rx) = mpsc::unbounded_channel();
    let loaded = format!("{marker}:loaded");
    let done = format!("{marker}:done:");
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            let msg = if line == loaded {
                Msg::Ready(Instant::now())
            } else if let Some(id) = line.strip_prefix(&done) {
                Msg::Done(Instant::now(), id.to_string())
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

/// How waiting for one invocation ended.
enum Waited {
    Done(Instant),
    Exited(std::io::Result<std::process::ExitStatus>),
    Deadline,
}

impl Environment {
    /// Whether the process is still there (an idle one may have died).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Runs one invocation: at most [`INIT_LIMIT`] for a cold start's init, then the timeout.
    pub async fn invoke(&mut self, request: &Request) -> Ran {
        let cold = !self.initialised;
        let begun = Instant::now();
        let mut lines = Vec::new();
        let waited = match self.send(request).await {
            Ok(()) => self.wait(request, &mut lines, begun).await,
            Err(_) => Waited::Exited(self.child.wait().await),
        };
        let ready = self.ready_at.take();
        let init = cold
            .then(|| ready.map(|r| r.saturating_duration_since(self.started)))
            .flatten();
        let from = ready.unwrap_or(begun);
        let (exit, ended, reusable) = match waited {
            Waited::Done(at) => {
                let (exit, init_failed) = finished(request);
                (exit, at, !init_failed)
            }
            Waited::Deadline => {
                let _ = self.child.kill().await;
                (Exit::TimedOut, Instant::now(), false)
            }
            Waited::Exited(status) => (exited(request, status), Instant::now(), false),
        };
        if !reusable {
            self.drain(&mut lines).await;
        }
        let _ = std::fs::remove_file(&request.event_path);
        let _ = std::fs::remove_file(&request.result_path);
        Ran {
            exit,
            lines,
            init,
            duration: ended.saturating_duration_since(from),
            reusable,
        }
    }

    /// Writes the event file and the request line.
    async fn send(&mut self, request: &Request) -> std::io::Result<()> {
        let payload: &[u8] = if request.payload.is_empty() {
            b"{}"
        } else {
            &request.payload
        };
        std::fs::write(&request.event_path, payload)?;
        let line = serde_json::json!({
            "id": request.request_id,
            "timeout_ms": request.timeout.as_millis() as u64,
            "event": request.event_path,
            "result": request.result_path,
        });
        let mut line = line.to_string().into_bytes();
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await
    }

    /// Collects lines until the runtime reports this invocation done, the process exits,
    /// or its deadline passes.
    async fn wait(&mut self, request: &Request, lines: &mut Lines, begun: Instant) -> Waited {
        let mut deadline = if self.initialised {
            begun + request.timeout
        } else {
            self.started + INIT_LIMIT
        };
        loop {
            // Checked here too: a handler printing without end keeps `rx` always ready.
            if Instant::now() >= deadline {
                return Waited::Deadline;
            }
            tokio::select! {
                // Lines first: an exit does not hide output already read.
                biased;
                Some(msg) = self.rx.recv() => match msg {
                    Msg::Line(at, line) => lines.push((at, line)),
                    Msg::Ready(at) => {
                        self.initialised = true;
                        self.ready_at = Some(at);
                        deadline = at + request.timeout;
                    }
                    Msg::Done(at, id) if id == request.request_id => return Waited::Done(at),
                    Msg::Done(..) => {}
                },
                status = self.child.wait() => return Waited::Exited(status),
                _ = tokio::time::sleep_until(deadline.into()) => return Waited::Deadline,
            }
        }
    }

    /// The lines a dead process left in the pipe.
    async fn drain(&mut self, lines: &mut Lines) {
        let _ = tokio::time::timeout(DRAIN_GRACE, async {
            // The process may exit before its last lines (the marker too) were read.
            while let Some(msg) = self.rx.recv().await {
                if let Msg::Line(at, line) = msg {
                    lines.push((at, line));
                }
            }
        })
        .await;
    }
}

/// The outcome in the result file: a first line `ok`, `error` or `error-init`, then JSON;
/// and whether the handler could not be loaded (`error-init`: the runtime exits after
/// reporting it, and the next invocation starts a fresh environment, as Lambda retries
/// a failed init).
fn finished(request: &Request) -> (Exit, bool) {
    let Ok(bytes) = std::fs::read(&request.result_path) else {
        return (Exit::Exited("the runtime wrote no result".into()), true);
    };
    let (head, body) = match bytes.iter().position(|b| *b == b'\n') {
        Some(i) => (&bytes[..i], bytes[i + 1..].to_vec()),
        None => (&bytes[..], Vec::new()),
    };
    let exit = Exit::Finished {
        ok: head == b"ok",
        body,
    };
    (exit, head == b"error-init")
}

/// A process that exited mid-invocation; if it still wrote its outcome, that counts.
fn exited(request: &Request, status: std::io::Result<std::process::ExitStatus>) -> Exit {
    match (std::fs::read(&request.result_path), status) {
        (Ok(_), _) => finished(request).0,
        (Err(_), Ok(status)) => Exit::Exited(status.to_string()),
        (Err(_), Err(e)) => Exit::Exited(e.to_string()),
    }
}
