//! The `fuzz-template` subcommand: flags, where the template and registry come from, the
//! progress bar, the output format and the exit status (0: no new findings, 1: new
//! findings, 2: usage error or the run could not be made).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::eval::{empty_registry, Offline, OfflineHook};
use super::jitp::{is_jitp_template, is_subject};
use super::live::{self, LiveTarget};
use super::remote::Api;
use super::report::Report;
use super::run::{run_offline, Options};
use super::{gen::Parameters, table};
use crate::provisioning::template::Template;

/// `iot-emulator fuzz-template` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The template body: `file://path` (as the aws CLI takes it) or the JSON itself.
    #[arg(long, conflicts_with = "template_name")]
    pub template_body: Option<String>,
    /// The name of a template in a running emulator (with --endpoint-url).
    #[arg(long)]
    pub template_name: Option<String>,
    /// The running emulator's control plane, e.g. http://127.0.0.1:4566.
    #[arg(long, env = "AWS_ENDPOINT_URL_IOT")]
    pub endpoint_url: Option<String>,
    /// Copy thing types, thing groups and policies from this running emulator, so that
    /// existence checks are real (offline).
    #[arg(long)]
    pub registry_from: Option<String>,
    /// A known-good parameter map to mutate from, e.g. '{"SerialNumber":"0002"}'.
    #[arg(long)]
    pub example: Option<String>,
    /// How many cases to run (the fixed ones included).
    #[arg(long, default_value_t = 1000)]
    pub cases: u64,
    /// The seed: the same seed gives the same cases and the same report.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop generating after this long (`30`, `30s`, `2m`); the report then covers fewer
    /// cases and may differ between runs.
    #[arg(long, value_parser = parse_duration)]
    pub time_limit: Option<Duration>,
    /// `table` (for people) or `json` (stable; see the README).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Accept a known finding (a class id, `collision:thingName`,
    /// `empty-attribute:<name>`, or a prefix ending in `*`); repeatable.
    #[arg(long = "allow", value_name = "CLASS")]
    pub allow: Vec<String>,
    /// Offline: run this pre-provisioning hook stand-in (a command or an http:// URL, as
    /// `--hook` binds) for every case.
    #[arg(long = "hook", value_name = "TARGET")]
    pub hook: Option<String>,
    /// Send every case through the running emulator over MQTT instead.
    #[arg(long)]
    pub live: bool,
    /// Fuzz as JITP applies the template: each case is a certificate subject. The default
    /// for a JITP-type --template-name and for a body that reads
    /// `AWS::IoT::Certificate::<Field>` parameters other than `Id`.
    #[arg(long)]
    pub jitp: bool,
    /// Live: cases in flight at once, each on its own claim connection.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Live: the emulator's ready file (API URL, MQTT address and root CA in one).
    #[arg(long)]
    pub ready: Option<PathBuf>,
    /// Live: the MQTT host.
    #[arg(long, env = "IOT_EMULATOR_MQTT_HOST")]
    pub mqtt_host: Option<String>,
    /// Live: the MQTT port.
    #[arg(long, env = "IOT_EMULATOR_MQTT_PORT")]
    pub mqtt_port: Option<u16>,
    /// Live: the root CA (PEM file) the MQTT listener's certificate chains to.
    #[arg(long, env = "IOT_EMULATOR_ROOT_CA")]
    pub root_ca: Option<PathBuf>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = match s.strip_suffix('m') {
        Some(n) => (n, 60.0),
        None => (s.strip_suffix('s').unwrap_or(s), 1.0),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{s}: expected seconds, e.g. 30s or 2m"))?;
    if !(n >= 0.0 && n.is_finite()) {
        return Err(format!("{s}: expected a non-negative duration"));
    }
    Ok(Duration::from_secs_f64(n * unit))
}

/// Runs the subcommand; the process exit status.
pub async fn main(args: Args) -> i32 {
    match run(args).await {
        Ok(report) => i32::from(!report.new_findings.is_empty()),
        Err(message) => {
            eprintln!("iot-emulator fuzz-template: {message}");
            2
        }
    }
}

async fn run(mut args: Args) -> Result<Report, String> {
    if let Some(path) = &args.ready {
        let ready = crate::exports::load(Some(path.as_path()), None)?;
        args.endpoint_url.get_or_insert(ready.api_url);
        args.mqtt_host.get_or_insert(ready.mqtt_host);
        args.mqtt_port.get_or_insert(ready.mqtt_port);
        args.root_ca.get_or_insert(ready.root_ca_path.into());
    }
    let (body, name, hook_arn, jitp_type) = template_source(&args).await?;
    let template = Template::parse(&body).map_err(|e| format!("the template is invalid: {e}"))?;
    let jitp = args.jitp || jitp_type || reads_subject(&template);
    let example = example(&args, jitp)?;
    let options = Options {
        cases: args.cases,
        seed: args.seed,
        time_limit: args.time_limit,
        example,
        allow: args.allow.clone(),
        template: name.clone(),
    };
    let registry = empty_registry();
    if let Some(url) = &args.registry_from {
        Api::new(url)?.copy_into(&registry).await?;
    }
    let report = if args.live {
        if jitp {
            return Err(JITP_LIVE.into());
        }
        let target = live_target(&args, &name, &body, hook_arn)?;
        live::run(
            &target,
            template,
            registry,
            &options,
            progress_bar(args.cases),
        )
        .await?
    } else {
        let offline = offline(&args, template, registry, jitp)?;
        let mut bar = progress_bar(args.cases);
        tokio::task::spawn_blocking(move || run_offline(&offline, &options, &mut *bar))
            .await
            .map_err(|e| format!("the run failed: {e}"))?
    };
    print_report(&args, &report)?;
    Ok(report)
}

/// The offline evaluator: with `--hook`'s stand-in, or as JITP applies the template.
fn offline(
    args: &Args,
    template: Template,
    registry: crate::registry::Registry,
    jitp: bool,
) -> Result<Offline, String> {
    let hook = match &args.hook {
        Some(_) if jitp => return Err("--hook: JITP runs no pre-provisioning hook".into()),
        Some(t) => Some(OfflineHook::new(t, tokio::runtime::Handle::current())?),
        None => None,
    };
    Ok(match jitp {
        true => Offline::new(template, registry, None).for_jitp(),
        false => Offline::new(template, registry, hook),
    })
}

fn print_report(args: &Args, report: &Report) -> Result<(), String> {
    if std::io::stderr().is_terminal() {
        // Clears the progress bar's line.
        eprint!("\r\x1b[K");
    }
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(report).map_err(|e| e.to_string())? + "\n",
        _ => table::render(report),
    };
    print!("{text}");
    let _ = std::io::stdout().flush();
    Ok(())
}

/// Why `--live --jitp` is refused: a live JITP case needs a device certificate signed by
/// a CA registered in the emulator, one per subject, and a TLS connection per case.
const JITP_LIVE: &str = "--live is not supported for JITP templates (offline only: each \
     case would need its own CA-signed device certificate)";

/// Whether the template reads certificate subject parameters (a JITP template).
fn reads_subject(template: &Template) -> bool {
    let uses = super::trace::uses(template);
    is_jitp_template(template.parameters.keys().chain(uses.keys()))
}

/// `--example`, a map of parameters (JITP: of subject fields only).
fn example(args: &Args, jitp: bool) -> Result<Option<Parameters>, String> {
    let Some(text) = &args.example else {
        return Ok(None);
    };
    let map = serde_json::from_str::<Parameters>(text)
        .map_err(|e| format!("--example must be a JSON object of strings to strings: {e}"))?;
    if let Some(k) = map.keys().find(|k| jitp && !is_subject(k)) {
        return Err(format!(
            "--example: {k} is no certificate subject field JITP injects \
             (AWS::IoT::Certificate::CommonName, ::Country, ::Organization, \
             ::OrganizationalUnit, ::DistinguishedNameQualifier, ::StateName, ::SerialNumber)"
        ));
    }
    Ok(Some(map))
}

/// The template body, a name for the report, the hook ARN of a named template, and
/// whether a named template is of type JITP.
async fn template_source(args: &Args) -> Result<(String, String, Option<String>, bool), String> {
    match (&args.template_body, &args.template_name) {
        (Some(body), _) => match body.strip_prefix("file://") {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
                let name = std::path::Path::new(path)
                    .file_name()
                    .map_or(path.to_string(), |n| n.to_string_lossy().into_owned());
                Ok((text, name, None, false))
            }
            None => Ok((body.clone(), "template".into(), None, false)),
        },
        (None, Some(name)) => {
            let url = args
                .endpoint_url
                .as_deref()
                .ok_or("--template-name needs --endpoint-url")?;
            let t = Api::new(url)?.template(name).await?;
            Ok((t.body, name.clone(), t.hook_arn, t.jitp))
        }
        (None, None) => Err("pass --template-body file://<path> or --template-name <name>".into()),
    }
}

fn live_target(
    args: &Args,
    name: &str,
    body: &str,
    hook_arn: Option<String>,
) -> Result<LiveTarget, String> {
    let missing = |what: &str| format!("--live needs {what} (or --ready <file>)");
    let root_ca = args.root_ca.as_ref().ok_or_else(|| missing("--root-ca"))?;
    let ca_pem =
        std::fs::read_to_string(root_ca).map_err(|e| format!("{}: {e}", root_ca.display()))?;
    Ok(LiveTarget {
        api: Api::new(
            args.endpoint_url
                .as_deref()
                .ok_or_else(|| missing("--endpoint-url"))?,
        )?,
        mqtt_host: args
            .mqtt_host
            .clone()
            .ok_or_else(|| missing("--mqtt-host"))?,
        mqtt_port: args.mqtt_port.ok_or_else(|| missing("--mqtt-port"))?,
        ca_pem,
        template_name: args.template_name.clone(),
        template_body: body.to_string(),
        report_name: name.to_string(),
        hook_arn,
        concurrency: args.concurrency.max(1),
    })
}

/// A progress bar on stderr when it is a terminal; otherwise nothing.
fn progress_bar(total: u64) -> Box<dyn FnMut(u64) + Send> {
    if !std::io::stderr().is_terminal() || total == 0 {
        return Box::new(|_| {});
    }
    let mut shown = u64::MAX;
    Box::new(move |done| {
        let percent = done * 100 / total;
        if percent == shown && done != total {
            return;
        }
        shown = percent;
        let filled = (percent / 2) as usize;
        eprint!(
            "\r[{}{}] {done}/{total}",
            "#".repeat(filled),
            " ".repeat(50 - filled.min(50))
        );
        if done >= total {
            eprintln!();
        }
    })
}
