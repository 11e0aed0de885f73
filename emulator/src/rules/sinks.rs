//! What the `lambda` and `cloudwatchLogs` actions need from the rest of the emulator.
//! The Lambda and CloudWatch Logs engines implement these; the wiring installs them with
//! [`super::Engine::install_function_invoker`] and [`super::Engine::install_log_sink`].
//! Until one is installed, every match of such an action is logged as NOT executed.

use std::future::Future;
use std::pin::Pin;

/// A boxed future, so the traits stay object safe.
pub type Pending<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Invokes a function the way the lambda action does: asynchronously (`InvocationType`
/// `Event`), with the rule's SELECT output as the event.
pub trait FunctionInvoker: std::fmt::Debug + Send + Sync {
    /// Queues one invocation of `function_arn` (which may carry a `:version` or `:alias`
    /// suffix) with `payload` as the event. `Err` with a message when the function does
    /// not exist or the invocation is refused: the rule then runs its errorAction with
    /// that message. The function's own failure, once queued, is not the rule's concern.
    fn invoke_event<'a>(&'a self, function_arn: &'a str, payload: Vec<u8>) -> Pending<'a>;
}

/// Writes one log event the way the cloudwatchLogs action does.
pub trait LogSink: std::fmt::Debug + Send + Sync {
    /// Appends `message` as one event to `stream` in `group`, creating the stream if it
    /// is missing. `Err` with a message when the group does not exist or the write is
    /// refused (the rule then runs its errorAction).
    fn put<'a>(&'a self, group: &'a str, stream: &'a str, message: String) -> Pending<'a>;
}
