//! Wiring: the rules engine's `lambda` and `cloudwatchLogs` actions, delivered to the
//! Lambda and CloudWatch Logs engines. Neither engine knows the rules engine; this
//! module adapts each to the trait the rules engine asks for.

use std::sync::Arc;

use crate::basis::Clock;
use crate::lambda::Lambda;
use crate::logs::{InputEvent, Logs, LogsError};
use crate::rules::sinks::{FunctionInvoker, LogSink, Pending};
use crate::rules::Engine;

/// The Lambda engine as the lambda action's invoker (asynchronous invocation).
#[derive(Debug, Clone)]
struct Functions(Lambda);

impl FunctionInvoker for Functions {
    fn invoke_event<'a>(&'a self, function_arn: &'a str, payload: Vec<u8>) -> Pending<'a> {
        Box::pin(async move {
            self.0
                .invoke_event(function_arn, payload)
                .map(drop)
                .map_err(|e| e.to_string())
        })
    }
}

/// The Logs engine as the cloudwatchLogs action's sink: the stream is made when
/// missing; a missing group is the action's failure, as on AWS.
#[derive(Debug, Clone)]
struct LogGroups {
    logs: Logs,
    clock: Clock,
}

impl LogSink for LogGroups {
    fn put<'a>(&'a self, group: &'a str, stream: &'a str, message: String) -> Pending<'a> {
        Box::pin(async move {
            match self.logs.create_log_stream(group, stream) {
                Ok(()) | Err(LogsError::ResourceAlreadyExists(_)) => {}
                Err(e) => return Err(e.to_string()),
            }
            let event = InputEvent {
                timestamp: self.clock.now_ms(),
                message,
            };
            self.logs
                .put_events(group, stream, vec![event])
                .map(drop)
                .map_err(|e| e.to_string())
        })
    }
}

/// Installs the Lambda and Logs engines as the rules engine's action sinks.
pub fn install(rules: &Engine, lambda: &Lambda, logs: &Logs, clock: &Clock) {
    rules.install_function_invoker(Arc::new(Functions(lambda.clone())));
    let sink = LogGroups {
        logs: logs.clone(),
        clock: clock.clone(),
    };
    rules.install_log_sink(Arc::new(sink));
}
