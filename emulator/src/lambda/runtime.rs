//! Which local program runs a function, and with what: `--lambda-runtime RUNTIME=INTERPRETER`
//! picks the interpreter (default `python3` from PATH for every `python3.*`, `node` for
//! every `nodejs*.x`),
//! `--lambda-layer LAYER_ARN=DIR` maps a layer to a local directory, and [`environment`]
//! builds the process environment from scratch.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::{LambdaError, LambdaResult};
use super::function::FunctionRecord;

/// The interpreters and layer directories the runtime uses.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    interpreters: BTreeMap<String, String>,
    layers: BTreeMap<String, PathBuf>,
    /// How many invocations run at once (the rest wait their turn).
    pub concurrency: usize,
}

/// The languages the local runtime runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// `python3.<n>`.
    Python,
    /// `nodejs<n>.x`.
    Node,
}

impl Language {
    /// The language of a Lambda runtime name, if the emulator runs it.
    pub fn of(runtime: &str) -> Option<Self> {
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if runtime.strip_prefix("python3.").is_some_and(digits) {
            return Some(Language::Python);
        }
        let node = runtime
            .strip_prefix("nodejs")
            .and_then(|r| r.strip_suffix(".x"));
        node.is_some_and(digits).then_some(Language::Node)
    }

    fn default_interpreter(self) -> &'static str {
        match self {
            Language::Python => "python3",
            Language::Node => "node",
        }
    }
}

/// What a function's process is started with, besides its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub language: Language,
    pub interpreter: String,
    /// Layer directories: on `sys.path` after the task root (as `/opt/python` is in
    /// AWS), or on `NODE_PATH` (as `/opt/nodejs/node_modules`).
    pub layer_paths: Vec<PathBuf>,
}

fn split_binding(flag: &str, what: &str) -> Result<(String, String), String> {
    let (key, value) = flag
        .split_once('=')
        .ok_or_else(|| format!("{flag}: expected {what}"))?;
    let (key, value) = (key.trim(), value.trim());
    if key.is_empty() || value.is_empty() {
        return Err(format!("{flag}: expected {what}"));
    }
    Ok((key.to_string(), value.to_string()))
}

impl RuntimeConfig {
    /// From `RUNTIME=INTERPRETER` and `LAYER_ARN=DIR` flags.
    pub fn from_flags(
        runtimes: &[String],
        layers: &[String],
        concurrency: usize,
    ) -> Result<Self, String> {
        let mut out = RuntimeConfig {
            concurrency: concurrency.max(1),
            ..Default::default()
        };
        for flag in runtimes.iter().filter(|f| !f.trim().is_empty()) {
            let (runtime, interpreter) = split_binding(flag, "RUNTIME=INTERPRETER")?;
            if Language::of(&runtime).is_none() {
                return Err(format!(
                    "{runtime}: iot-emulator runs python3.x and nodejs*.x functions only"
                ));
            }
            out.interpreters.insert(runtime, interpreter);
        }
        for flag in layers.iter().filter(|f| !f.trim().is_empty()) {
            let (arn, dir) = split_binding(flag, "LAYER_ARN=DIR")?;
            if !arn.starts_with("arn:") || !arn.contains(":layer:") {
                return Err(format!("{arn}: not a Lambda layer ARN"));
            }
            out.layers.insert(arn, PathBuf::from(dir));
        }
        Ok(out)
    }

    /// Refuses a runtime the emulator cannot run, at CreateFunction time.
    pub fn check_runtime(&self, runtime: &str) -> LambdaResult<Language> {
        Language::of(runtime).ok_or_else(|| LambdaError::InvalidParameterValue(format!(
            "The runtime parameter of {runtime} is not supported by iot-emulator, which runs python3.x and nodejs*.x functions only (java, dotnet, ruby, go and custom runtimes are not emulated)"
        )))
    }

    /// The interpreter and layer paths for `record`. A layer with no local directory is
    /// reported: its packages must then come from the interpreter's own site-packages.
    pub fn launch(&self, record: &FunctionRecord) -> LambdaResult<Launch> {
        let language = self.check_runtime(&record.runtime)?;
        let interpreter = self
            .interpreters
            .get(&record.runtime)
            .cloned()
            .unwrap_or_else(|| language.default_interpreter().to_string());
        let interpreter = on_path(&interpreter);
        let mut layer_paths = Vec::new();
        for arn in &record.layers {
            match self.layer_dir(arn) {
                Some(dir) => layer_paths.extend(match language {
                    Language::Python => python_paths(dir, &record.runtime),
                    Language::Node => node_paths(dir),
                }),
                None => tracing::warn!(
                    function = %record.name, layer = %arn,
                    "layer has no local directory (--lambda-layer ARN=DIR); its packages must be installed in the interpreter"
                ),
            }
        }
        Ok(Launch {
            language,
            interpreter,
            layer_paths,
        })
    }

    /// Whether `arn` has a local directory (also matched without its version).
    pub fn layer_dir(&self, arn: &str) -> Option<&PathBuf> {
        self.layers.get(arn).or_else(|| {
            let (unversioned, _) = arn.rsplit_once(':')?;
            self.layers.get(unversioned)
        })
    }
}

/// A bare program name resolved against the emulator's own PATH (the function's
/// environment has a fixed one); names with a `/` are kept as given.
fn on_path(program: &str) -> String {
    if program.contains('/') {
        return program.to_string();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .map_or_else(|| program.to_string(), |p| p.display().to_string())
}

/// A layer's `nodejs/node_modules`, as AWS's `/opt/nodejs/node_modules`; else the
/// directory itself.
fn node_paths(dir: &std::path::Path) -> Vec<PathBuf> {
    let modules = dir.join("nodejs").join("node_modules");
    vec![if modules.is_dir() {
        modules
    } else {
        dir.to_path_buf()
    }]
}

/// A layer's directories on `sys.path`, as AWS's `/opt/python` and
/// `/opt/python/lib/<runtime>/site-packages`; a directory with neither is used as is.
fn python_paths(dir: &std::path::Path, runtime: &str) -> Vec<PathBuf> {
    let python = dir.join("python");
    let site = python.join("lib").join(runtime).join("site-packages");
    let found: Vec<PathBuf> = [python, site].into_iter().filter(|p| p.is_dir()).collect();
    if found.is_empty() {
        vec![dir.to_path_buf()]
    } else {
        found
    }
}

/// What [`environment`] needs to know about one invocation.
#[derive(Debug, Clone)]
pub struct EnvContext<'a> {
    pub region: &'a str,
    pub task_root: &'a std::path::Path,
    pub log_stream: &'a str,
    /// The emulator's API URL, for the function's SDK.
    pub endpoint: &'a str,
}

/// The process environment, built from scratch: nothing of the emulator's own
/// environment (in particular no `AWS_*` variable of the user) reaches the function.
pub fn environment(record: &FunctionRecord, ctx: &EnvContext<'_>) -> Vec<(String, String)> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut set = |k: &str, v: &str| {
        env.insert(k.to_string(), v.to_string());
    };
    set("PATH", "/usr/local/bin:/usr/bin:/bin");
    set("LANG", "en_US.UTF-8");
    set("TZ", ":UTC");
    set("_HANDLER", &record.handler);
    set(
        "AWS_EXECUTION_ENV",
        &format!("AWS_Lambda_{}", record.runtime),
    );
    set("AWS_REGION", ctx.region);
    set("AWS_DEFAULT_REGION", ctx.region);
    set("AWS_LAMBDA_FUNCTION_NAME", &record.name);
    set(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        &record.memory_size.to_string(),
    );
    set("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    set("AWS_LAMBDA_LOG_GROUP_NAME", &record.log_group());
    set("AWS_LAMBDA_LOG_STREAM_NAME", ctx.log_stream);
    set("LAMBDA_TASK_ROOT", &ctx.task_root.display().to_string());
    // Dummy credentials, as the emulator accepts any.
    set("AWS_ACCESS_KEY_ID", "AKIAIOTEMULATORLAMBDA");
    set("AWS_SECRET_ACCESS_KEY", "iot-emulator-lambda-secret");
    set("AWS_SESSION_TOKEN", "iot-emulator-lambda-session");
    set("AWS_ENDPOINT_URL", ctx.endpoint);
    // Not Lambda's: keeps the user's ~/.aws files (profiles, per-service endpoints) out
    // of the function, which in AWS has no such files either.
    set("AWS_CONFIG_FILE", "/dev/null");
    set("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    // The function's own variables come last; a function may point its SDK elsewhere
    // (reserved names were refused when they were set).
    for (k, v) in &record.variables {
        set(k, v);
    }
    env.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_runtimes_and_layers() {
        let c = RuntimeConfig::from_flags(
            &["python3.12=/opt/py/bin/python".into()],
            &["arn:aws:lambda:us-east-1:770693421928:layer:Klayers-cryptography=/tmp/l".into()],
            4,
        )
        .unwrap();
        assert_eq!(c.check_runtime("python3.13").ok(), Some(Language::Python));
        assert_eq!(c.check_runtime("nodejs20.x").ok(), Some(Language::Node));
        let e = c.check_runtime("java21").unwrap_err();
        assert_eq!(e.exception_name(), "InvalidParameterValueException");
        assert!(c
            .layer_dir("arn:aws:lambda:us-east-1:770693421928:layer:Klayers-cryptography:7")
            .is_some());
        assert!(RuntimeConfig::from_flags(&["nodejs20.x=node".into()], &[], 1).is_ok());
        assert!(RuntimeConfig::from_flags(&["ruby3.3=ruby".into()], &[], 1).is_err());
        assert!(RuntimeConfig::from_flags(&["python3.12".into()], &[], 1).is_err());
        assert_eq!(Language::of("python3."), None);
        assert_eq!(Language::of("python2.7"), None);
        assert_eq!(Language::of("nodejs"), None);
    }
}
