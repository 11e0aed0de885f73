//! `--live`: every case sent through a running emulator over MQTT, as a device does it. A
//! provisioning claim (CreateProvisioningClaim) is the claim certificate; each case is
//! CreateCertificateFromCsr then RegisterThing on that connection, hooks included; then
//! the case's certificate is detached and deleted, and at the end every thing and policy
//! the run created goes too (and a template it created for `--template-body`).
//! Classes are shrunk offline where the offline engine agrees, and each shrunk example is
//! confirmed by one more live RegisterThing.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use iot_device_client::mqtt::{Connection, MqttConfig};
use iot_device_client::provision::{generate_csr, Provisioner};
use iot_device_client::tls::Identity;
use iot_device_client::wire::Format;
use iot_device_client::ClientError;
use serde_json::{json, Value};

use super::classify::classify_reply;
use super::eval::Offline;
use super::gen::{Generators, Parameters};
use super::remote::{encode, Api};
use super::report::{Findings, Report, Verdict};
use super::run::{self, cases, name_inputs, verdict, Options};
use crate::provisioning::template::Template;
use crate::registry::Registry;

/// Cases one claim connection runs before it takes a fresh claim (a claim lives 5 min).
const CASES_PER_CLAIM: usize = 500;

/// Where the running emulator is.
#[derive(Debug, Clone)]
pub struct LiveTarget {
    pub api: Api,
    pub mqtt_host: String,
    pub mqtt_port: u16,
    pub ca_pem: String,
    /// An existing template; `None`: `template_body` is created for the run.
    pub template_name: Option<String>,
    pub template_body: String,
    pub report_name: String,
    pub hook_arn: Option<String>,
    pub concurrency: usize,
}

/// What the run created, to delete at the end.
struct Before {
    things: BTreeSet<String>,
    policies: BTreeSet<String>,
}

/// Runs the cases live and reports them.
pub async fn run(
    target: &LiveTarget,
    template: Template,
    registry: Registry,
    options: &Options,
    mut progress: Box<dyn FnMut(u64) + Send>,
) -> Result<Report, String> {
    let api = &target.api;
    let before = Before {
        things: names(api, "/things", "things", "thingName").await?,
        policies: names(api, "/policies", "policies", "policyName").await?,
    };
    let template_name = match &target.template_name {
        Some(n) => n.clone(),
        None => create_template(target, options.seed).await?,
    };
    if let Err(e) = api.copy_into(&registry).await {
        tracing::debug!(%e, "registry copy incomplete");
    }
    let offline = Offline::new(template, registry, None);
    let gens = Generators::new(&offline.template);
    let all: Vec<Parameters> = cases(&gens, options).collect();
    let results = run_cases(target, &template_name, &all, &mut *progress).await;
    let mut findings = Findings::new(name_inputs(&gens));
    for (p, result) in all.iter().zip(&results) {
        findings.add(p, live_verdict(&offline, p, result)?);
    }
    let mut report = run::finish(&offline, &gens, findings, options, "live");
    let examples: Vec<Parameters> = report.classes.iter().map(|c| c.example.clone()).collect();
    let confirmations = run_cases(target, &template_name, &examples, &mut |_| {}).await;
    for (class, result) in report.classes.iter_mut().zip(confirmations) {
        if let Ok(Err((status, code, message))) = result {
            let confirmed = classify_reply(status, &code, &message).id == class.id;
            class.confirmed = Some(confirmed);
            if confirmed {
                class.message = message;
            }
        } else {
            class.confirmed = Some(false);
        }
    }
    clean_up(
        api,
        &before,
        target.template_name.is_none().then_some(&template_name),
    )
    .await?;
    Ok(report)
}

/// A live reply: the thing name, or the `/rejected` status, code and message; `Err` when
/// the case could not be run at all.
type LiveResult = Result<Result<Option<String>, (u16, String, String)>, String>;

fn live_verdict(offline: &Offline, p: &Parameters, result: &LiveResult) -> Result<Verdict, String> {
    match result {
        Err(e) => Err(format!("a live case could not be run: {e}")),
        Ok(Err((status, code, message))) => Ok(Verdict::Failed {
            class: classify_reply(*status, code, message),
            message: message.clone(),
        }),
        Ok(Ok(thing_name)) => {
            // Attributes AWS drops cannot be seen live: the offline plan says which.
            let empty_attributes = match verdict(&offline.evaluate(p)) {
                Verdict::Passed {
                    empty_attributes, ..
                } => empty_attributes,
                Verdict::Failed { .. } => Vec::new(),
            };
            Ok(Verdict::Passed {
                thing_name: thing_name.clone(),
                empty_attributes,
            })
        }
    }
}

/// Runs `cases` on `concurrency` claim connections; results in case order.
async fn run_cases(
    target: &LiveTarget,
    template: &str,
    all: &[Parameters],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Vec<LiveResult> {
    let queue: Arc<Mutex<VecDeque<usize>>> = Arc::new(Mutex::new((0..all.len()).collect()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let shared: Arc<Vec<Parameters>> = Arc::new(all.to_vec());
    for worker in 0..target.concurrency.min(all.len().max(1)) {
        let (target, template, queue, shared, tx) = (
            target.clone(),
            template.to_string(),
            queue.clone(),
            shared.clone(),
            tx.clone(),
        );
        tokio::spawn(async move {
            let mut w = Worker {
                target,
                template,
                worker,
                connection: None,
                claim: None,
                used: 0,
            };
            loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                let Some(i) = next else { break };
                let result = w.case(&shared[i]).await;
                let _ = tx.send((i, result));
            }
            w.retire().await;
        });
    }
    drop(tx);
    let mut out: Vec<LiveResult> = (0..all.len()).map(|_| Err("not run".into())).collect();
    let mut done = 0;
    while let Some((i, result)) = rx.recv().await {
        out[i] = result;
        done += 1;
        progress(done);
    }
    out
}

/// One claim connection working through cases.
struct Worker {
    target: LiveTarget,
    template: String,
    worker: usize,
    connection: Option<Connection>,
    /// The claim certificate's id, deleted when the connection is retired.
    claim: Option<String>,
    used: usize,
}

impl Worker {
    async fn connect(&mut self) -> Result<&mut Connection, String> {
        if self.used >= CASES_PER_CLAIM || self.connection.is_none() {
            self.retire().await;
        }
        if self.connection.is_none() {
            let path = format!(
                "/provisioning-templates/{}/provisioning-claim",
                encode(&self.template)
            );
            let claim = self.target.api.ok("POST", &path, None).await?;
            let identity = Identity {
                cert_pem: claim["certificatePem"].as_str().unwrap_or_default().into(),
                key_pem: claim["keyPair"]["PrivateKey"]
                    .as_str()
                    .unwrap_or_default()
                    .into(),
            };
            self.claim = claim["certificateId"].as_str().map(str::to_string);
            let t = &self.target;
            let client_id = format!("iot-emulator-fuzz-{}", self.worker);
            let config =
                MqttConfig::new(&t.mqtt_host, t.mqtt_port, &client_id, &t.ca_pem, identity);
            let c = Connection::connect(&config)
                .await
                .map_err(|e| e.to_string())?;
            self.connection = Some(c);
            self.used = 0;
        }
        self.used += 1;
        self.connection
            .as_mut()
            .ok_or_else(|| "no connection".to_string())
    }

    /// Disconnects and deletes the claim certificate.
    async fn retire(&mut self) {
        if let Some(c) = self.connection.take() {
            c.disconnect().await;
        }
        if let Some(id) = self.claim.take() {
            if let Err(e) = remove_certificate(&self.target.api, &id).await {
                tracing::warn!(%e, "the claim certificate could not be deleted");
            }
        }
    }

    async fn case(&mut self, parameters: &Parameters) -> LiveResult {
        let (csr, _key) = generate_csr("iot-emulator-fuzz").map_err(|e| e.to_string())?;
        let template = self.template.clone();
        let connection = self.connect().await?;
        let mut api = Provisioner::new(connection, Format::Json);
        let made = match api.create_certificate_from_csr(&csr).await {
            Ok(m) => m,
            Err(e) => {
                self.connection = None;
                return Err(e.to_string());
            }
        };
        let parameters = (!parameters.is_empty()).then(|| parameters.clone());
        let result = api
            .register_thing(&template, &made.certificate_ownership_token, parameters)
            .await;
        let outcome = match result {
            Ok(r) => Ok(r.thing_name.filter(|n| !n.is_empty())),
            Err(ClientError::Rejected {
                status_code,
                error_code,
                error_message,
                ..
            }) => Err((status_code, error_code, error_message)),
            Err(e) => {
                self.connection = None;
                return Err(e.to_string());
            }
        };
        remove_certificate(&self.target.api, &made.certificate_id).await?;
        Ok(outcome)
    }
}

/// Detaches the certificate from its policies and things, then deletes it.
async fn remove_certificate(api: &Api, id: &str) -> Result<(), String> {
    let d = api.ok("GET", &format!("/certificates/{id}"), None).await?;
    let arn = d["certificateDescription"]["certificateArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let attached = api
        .ok(
            "POST",
            &format!("/attached-policies/{}", encode(&arn)),
            None,
        )
        .await?;
    for p in attached["policies"].as_array().cloned().unwrap_or_default() {
        let name = p["policyName"].as_str().unwrap_or_default();
        let body = json!({ "target": arn });
        api.ok(
            "POST",
            &format!("/target-policies/{}", encode(name)),
            Some(&body),
        )
        .await?;
    }
    let header = [("x-amzn-principal", arn.as_str())];
    let (_, things) = api
        .call_with("GET", "/principals/things", None, &header)
        .await?;
    for t in things["things"].as_array().cloned().unwrap_or_default() {
        let t = t.as_str().unwrap_or_default();
        let path = format!("/things/{}/principals", encode(t));
        api.call_with("DELETE", &path, None, &header).await?;
    }
    api.ok(
        "PUT",
        &format!("/certificates/{id}?newStatus=INACTIVE"),
        None,
    )
    .await?;
    api.ok("DELETE", &format!("/certificates/{id}"), None)
        .await?;
    Ok(())
}

async fn names(api: &Api, path: &str, field: &str, key: &str) -> Result<BTreeSet<String>, String> {
    let items = api.list(path, field).await?;
    Ok(items
        .iter()
        .filter_map(|v| v[key].as_str().map(str::to_string))
        .collect())
}

/// Creates the template of `--template-body` (enabled) for the run; its name.
async fn create_template(target: &LiveTarget, seed: u64) -> Result<String, String> {
    let name = format!("iot-emulator-fuzz-{seed}");
    let body = json!({
        "templateName": name,
        "templateBody": target.template_body,
        "enabled": true,
        "provisioningRoleArn": "arn:aws:iam::123456789012:role/iot-emulator-fuzz",
    });
    target
        .api
        .ok("POST", "/provisioning-templates", Some(&body))
        .await?;
    Ok(name)
}

/// Deletes the things and policies the run created, and its template.
async fn clean_up(api: &Api, before: &Before, template: Option<&String>) -> Result<(), String> {
    for t in names(api, "/things", "things", "thingName").await? {
        if !before.things.contains(&t) {
            api.ok("DELETE", &format!("/things/{}", encode(&t)), None)
                .await?;
        }
    }
    for p in names(api, "/policies", "policies", "policyName").await? {
        if !before.policies.contains(&p) {
            api.ok("DELETE", &format!("/policies/{}", encode(&p)), None)
                .await?;
        }
    }
    if let Some(name) = template {
        api.ok(
            "DELETE",
            &format!("/provisioning-templates/{}", encode(name)),
            None,
        )
        .await
        .map(|_: Value| ())?;
    }
    Ok(())
}
