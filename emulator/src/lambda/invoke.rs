//! Invoke: RequestResponse (wait for the outcome), Event (queued, run in the background)
//! and DryRun; each invocation runs in a warm execution environment or a fresh one
//! ([`super::warm`]), bounded by a semaphore, and writes
//! START / its output / END / REPORT to `/aws/lambda/<name>` as Lambda does.

use std::time::Duration;

use base64::Engine;
use serde_json::json;

use super::error::{LambdaError, LambdaResult};
use super::function::FunctionRecord;
use super::process::{self, Exit, Ran};
use super::runtime::{self, EnvContext, Language};
use super::{bootstrap_path, Lambda};
use crate::logs::InputEvent;

/// `X-Amz-Function-Error` of a failed invocation.
pub const FUNCTION_ERROR_UNHANDLED: &str = "Unhandled";
/// AWS's payload limits: 6 MB synchronous, 1 MB asynchronous.
pub(crate) const MAX_SYNC_PAYLOAD: usize = 6 * 1024 * 1024;
pub(crate) const MAX_ASYNC_PAYLOAD: usize = 1024 * 1024;
/// `LogType=Tail` returns this much of the end of the log.
const LOG_TAIL_BYTES: usize = 4096;

/// The outcome of one synchronous invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub request_id: String,
    /// The handler's result as JSON, or the error document.
    pub payload: Vec<u8>,
    /// `Some("Unhandled")` when the function failed.
    pub function_error: Option<&'static str>,
    /// The invocation's log, START to REPORT.
    pub log: String,
}

impl Invocation {
    /// The last 4 KB of the log, base64 (`X-Amz-Log-Result`).
    pub fn log_tail_b64(&self) -> String {
        let bytes = self.log.as_bytes();
        let tail = &bytes[bytes.len().saturating_sub(LOG_TAIL_BYTES)..];
        base64::engine::general_purpose::STANDARD.encode(tail)
    }
}

fn check_payload(payload: &[u8], max: usize, operation: &str) -> LambdaResult<()> {
    if payload.len() > max {
        return Err(LambdaError::RequestTooLarge(format!(
            "Request must be smaller than {max} bytes for the {operation} operation"
        )));
    }
    if payload.is_empty() {
        return Ok(());
    }
    serde_json::from_slice::<serde_json::Value>(payload)
        .map(|_| ())
        .map_err(|e| {
            LambdaError::InvalidRequestContent(format!(
                "Could not parse request body into json: Could not parse payload into json: {e}"
            ))
        })
}

impl Lambda {
    /// A RequestResponse invocation.
    pub async fn invoke(
        &self,
        name: &str,
        qualifier: Option<&str>,
        payload: &[u8],
    ) -> LambdaResult<Invocation> {
        check_payload(payload, MAX_SYNC_PAYLOAD, "Invoke")?;
        let record = self.record(name, qualifier)?;
        let request_id = self.inner.entropy.uuid("lambda-request-id");
        self.run(record, payload.to_vec(), request_id, None).await
    }

    /// A RequestResponse invocation that may take at most `cap` (a pre-provisioning
    /// hook's 5 s), or the function's own timeout if shorter.
    pub async fn invoke_within(
        &self,
        name: &str,
        payload: &[u8],
        cap: Duration,
    ) -> LambdaResult<Invocation> {
        check_payload(payload, MAX_SYNC_PAYLOAD, "Invoke")?;
        let record = self.record(name, None)?;
        let request_id = self.inner.entropy.uuid("lambda-request-id");
        self.run(record, payload.to_vec(), request_id, Some(cap))
            .await
    }

    /// An Event (asynchronous) invocation: checked now, run in the background; returns
    /// its request id. What the rules engine's `lambda` action calls.
    pub fn invoke_event(&self, function: &str, payload: Vec<u8>) -> LambdaResult<String> {
        check_payload(&payload, MAX_ASYNC_PAYLOAD, "InvokeAsync")?;
        let record = self.record(function, None)?;
        let request_id = self.inner.entropy.uuid("lambda-request-id");
        let lambda = self.clone();
        let id = request_id.clone();
        tokio::spawn(async move {
            let name = record.name.clone();
            if let Err(e) = lambda.run(record, payload, id, None).await {
                tracing::warn!(function = %name, cause = %e, "asynchronous Lambda invocation failed");
            }
        });
        Ok(request_id)
    }

    /// DryRun: the function exists and the caller may invoke it.
    pub fn dry_run(&self, name: &str, qualifier: Option<&str>) -> LambdaResult<()> {
        self.record(name, qualifier).map(|_| ())
    }

    /// An invocation slot; a caller with a deadline (a hook) waits no longer than it.
    async fn permit(
        &self,
        cap: Option<Duration>,
    ) -> LambdaResult<tokio::sync::OwnedSemaphorePermit> {
        let acquire = self.inner.permits.clone().acquire_owned();
        let acquired = match cap {
            None => acquire.await,
            Some(cap) => tokio::time::timeout(cap, acquire).await.map_err(|_| {
                LambdaError::TooManyRequests(
                    "Rate Exceeded. (every --lambda-concurrency slot stayed busy)".into(),
                )
            })?,
        };
        acquired.map_err(LambdaError::service)
    }

    /// `YYYY/MM/DD/[$LATEST]<32 hex>`: one stream per execution environment.
    fn stream_name(&self) -> String {
        let date = self.inner.clock.now().date();
        let id = self.inner.entropy.hex("lambda-log-stream", 16);
        format!(
            "{:04}/{:02}/{:02}/[$LATEST]{id}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }

    async fn run(
        &self,
        record: FunctionRecord,
        payload: Vec<u8>,
        request_id: String,
        cap: Option<Duration>,
    ) -> LambdaResult<Invocation> {
        let permit = self.permit(cap).await?;
        let timeout = Duration::from_secs(u64::from(record.timeout));
        let timeout = cap.map_or(timeout, |c| c.min(timeout));
        let mut env = match self.pool().take(&record.name, &record.environment) {
            Some(env) => env,
            None => self.start_environment(&record)?,
        };
        let root = self.inner.store.root();
        let request = process::Request {
            request_id: request_id.clone(),
            payload,
            timeout,
            event_path: root.join(format!("event-{request_id}")),
            result_path: root.join(format!("result-{request_id}")),
        };
        let start_ms = self.inner.clock.now_ms();
        let ran = env.invoke(&request).await;
        let stream = env.stream.clone();
        if ran.reusable {
            self.keep_warm(&record.name, env);
        }
        drop(permit);
        let exit = ran.exit.clone();
        let (payload, failed) = outcome(&exit, &request_id, timeout);
        let duration_ms = ran.duration.as_millis() as u64;
        let cold = ran.init.is_some();
        let log = self.write_log(&record, &stream, &request_id, start_ms, ran, timeout);
        tracing::info!(
            function = %record.name, %request_id, duration_ms, cold,
            outcome = exit_name(&exit),
            "Lambda invocation"
        );
        Ok(Invocation {
            request_id,
            payload,
            function_error: failed.then_some(FUNCTION_ERROR_UNHANDLED),
            log,
        })
    }

    /// Returns an environment to the pool unless its function changed or went meanwhile.
    fn keep_warm(&self, function: &str, env: process::Environment) {
        let current = self
            .functions()
            .get(function)
            .map(|r| r.environment.clone());
        if current.as_deref() == Some(env.revision.as_str()) {
            self.pool().put(function, env);
        }
    }

    /// A cold start: a new runtime process for `record`, loading its handler.
    fn start_environment(&self, record: &FunctionRecord) -> LambdaResult<process::Environment> {
        let stream = self.stream_name();
        let spec = self.spec(record, &stream)?;
        process::spawn(spec, &self.inner.clock, stream, record.environment.clone()).map_err(
            |cause| {
                tracing::warn!(function = %record.name, %cause, "Lambda runtime could not start");
                LambdaError::InvalidRuntime(format!(
                    "The runtime interpreter for {} could not be started ({cause}); choose one with --lambda-runtime {}=INTERPRETER",
                    record.runtime, record.runtime
                ))
            },
        )
    }

    fn spec(&self, record: &FunctionRecord, stream: &str) -> LambdaResult<process::Spec> {
        let launch = self.inner.runtimes.launch(record)?;
        let endpoint = self.inner.endpoint.get().ok_or_else(|| {
            LambdaError::Service("The emulator's API listener is not running".into())
        })?;
        let task_root = self.inner.store.code_dir(&record.name);
        let mut env = runtime::environment(
            record,
            &EnvContext {
                region: &self.inner.account.region,
                task_root: &task_root,
                log_stream: stream,
                endpoint,
            },
        );
        let marker = format!(
            "iot-emulator:{}",
            self.inner.entropy.hex("lambda-runtime-marker", 8)
        );
        let args = self.arguments(&launch, record, &marker);
        if launch.language == Language::Node {
            // AWS's NODE_PATH: the layers' node_modules, then the code.
            let mut paths: Vec<String> = launch
                .layer_paths
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            paths.push(task_root.display().to_string());
            env.push(("NODE_PATH".into(), paths.join(":")));
        }
        Ok(process::Spec {
            program: launch.interpreter,
            args,
            env,
            cwd: task_root,
            marker,
        })
    }

    /// The interpreter's arguments: the bootstrap and what it needs to know; Python's
    /// layer directories go on its `sys.path`.
    fn arguments(
        &self,
        launch: &runtime::Launch,
        record: &FunctionRecord,
        marker: &str,
    ) -> Vec<String> {
        let bootstrap = bootstrap_path(self.inner.store.root(), launch.language);
        let mut args = match launch.language {
            Language::Python => vec!["-u".to_string()],
            Language::Node => Vec::new(),
        };
        args.extend([
            bootstrap.display().to_string(),
            marker.to_string(),
            record.arn.clone(),
        ]);
        if launch.language == Language::Python {
            args.extend(launch.layer_paths.iter().map(|p| p.display().to_string()));
        }
        args
    }

    fn write_log(
        &self,
        record: &FunctionRecord,
        stream: &str,
        request_id: &str,
        start_ms: i64,
        ran: Ran,
        timeout: Duration,
    ) -> String {
        let end_ms = self.inner.clock.now_ms().max(start_ms);
        let exit = &ran.exit;
        let mut events = vec![(
            start_ms,
            format!("START RequestId: {request_id} Version: $LATEST"),
        )];
        events.extend(ran.lines.clone());
        if let Some(line) = failure_line(exit, request_id, end_ms, timeout) {
            events.push((end_ms, line));
        }
        events.push((end_ms, format!("END RequestId: {request_id}")));
        events.push((
            end_ms,
            report(request_id, record, ran.duration, ran.init, exit),
        ));
        let log: String = events.iter().map(|(_, m)| format!("{m}\n")).collect();
        let input = events
            .into_iter()
            .map(|(timestamp, message)| InputEvent { timestamp, message })
            .collect();
        self.inner.logs.append(&record.log_group(), stream, input);
        log
    }
}

/// The line Lambda logs when the runtime did not finish on its own.
fn failure_line(exit: &Exit, request_id: &str, end_ms: i64, timeout: Duration) -> Option<String> {
    match exit {
        Exit::TimedOut => Some(format!(
            "{} {request_id} Task timed out after {:.2} seconds",
            iso(end_ms),
            timeout.as_secs_f64()
        )),
        Exit::Exited(status) => Some(format!(
            "RequestId: {request_id} Error: Runtime exited with error: {}",
            status.replace(": ", " ")
        )),
        Exit::Finished { .. } => None,
    }
}

/// The payload and whether it is an error.
fn outcome(exit: &Exit, request_id: &str, timeout: Duration) -> (Vec<u8>, bool) {
    let error = |error_type: &str, message: String| {
        let body = json!({"errorType": error_type, "errorMessage": message});
        (body.to_string().into_bytes(), true)
    };
    match exit {
        Exit::Finished { ok, body } => (body.clone(), !ok),
        Exit::TimedOut => error(
            "Sandbox.Timedout",
            format!(
                "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            ),
        ),
        Exit::Exited(status) => error(
            "Runtime.ExitError",
            format!(
                "RequestId: {request_id} Error: Runtime exited with error: {}",
                status.replace(": ", " ")
            ),
        ),
    }
}

fn exit_name(exit: &Exit) -> &'static str {
    match exit {
        Exit::Finished { ok: true, .. } => "success",
        Exit::Finished { ok: false, .. } => "error",
        Exit::TimedOut => "timeout",
        Exit::Exited(_) => "exited",
    }
}

/// Lambda's REPORT line (without `Max Memory Used`, which the emulator does not measure).
fn report(
    request_id: &str,
    record: &FunctionRecord,
    duration: Duration,
    init: Option<Duration>,
    exit: &Exit,
) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    let mut line = format!(
        "REPORT RequestId: {request_id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB",
        ms.ceil() as u64,
        record.memory_size
    );
    if let Some(init) = init {
        let init_ms = init.as_secs_f64() * 1000.0;
        line.push_str(&format!("\tInit Duration: {init_ms:.2} ms"));
    }
    match exit {
        Exit::TimedOut => line.push_str("\tStatus: timeout"),
        Exit::Exited(_) => line.push_str("\tStatus: error\tError Type: Runtime.ExitError"),
        _ => {}
    }
    line
}

/// `2026-01-01T00:00:00.000Z`.
fn iso(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}
