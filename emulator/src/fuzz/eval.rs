//! Offline evaluation of one case: the pre-provisioning hook (when one is bound), the
//! template evaluated by the emulator's own engine, and the plan applied as a dry run to an
//! in-memory registry, exactly as RegisterThing does it, with nothing kept.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::classify::{classify, Class};
use super::gen::Parameters;
use super::jitp::{classify_jitp, is_subject};
use crate::basis::{Clock, Entropy};
use crate::provisioning::hook::{self, HookBindings, HookEvent};
use crate::provisioning::template::{Plan, Template, CERTIFICATE_ID};
use crate::registry::{Account, IotError, Registry};

/// The certificate id injected offline (a freshly created certificate's stand-in).
pub const STAND_IN_CERTIFICATE: &str =
    "f0220000000000000000000000000000000000000000000000000000000000aa";

/// The ARN an offline `--hook` target is bound to.
const HOOK_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:fuzz-template-hook";

/// What one case came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Provisioned: the plan that was (or would be) applied.
    Passed(Box<Plan>),
    /// Rejected with this error.
    Failed(IotError),
}

impl Outcome {
    /// The plan of a passed case.
    pub fn plan(&self) -> Option<&Plan> {
        match self {
            Outcome::Passed(p) => Some(p),
            Outcome::Failed(_) => None,
        }
    }
}

/// A pre-provisioning hook run offline.
#[derive(Debug, Clone)]
pub struct OfflineHook {
    bindings: HookBindings,
    runtime: tokio::runtime::Handle,
}

impl OfflineHook {
    /// `target` (a command or an `http://` URL, as `--hook` takes) run on `runtime`;
    /// call [`Offline::evaluate`] from outside that runtime's worker threads (a blocking
    /// task, say).
    pub fn new(target: &str, runtime: tokio::runtime::Handle) -> Result<Self, String> {
        let mut bindings = HookBindings::default();
        bindings.bind(HOOK_ARN, target)?;
        Ok(OfflineHook { bindings, runtime })
    }

    fn run(&self, parameters: &Parameters) -> Result<Parameters, IotError> {
        let event = HookEvent {
            claim_certificate_id: "0".repeat(64),
            certificate_id: STAND_IN_CERTIFICATE.into(),
            certificate_pem: String::new(),
            template_arn: "arn:aws:iot:us-east-1:123456789012:provisioningtemplate/fuzz".into(),
            client_id: "iot-emulator-fuzz".into(),
            parameters: parameters.clone(),
        };
        self.runtime
            .block_on(hook::invoke(&self.bindings, HOOK_ARN, &event))
    }
}

/// A template and the in-memory registry it is evaluated against.
#[derive(Debug, Clone)]
pub struct Offline {
    pub template: Template,
    registry: Registry,
    hook: Option<OfflineHook>,
    injected: BTreeMap<String, String>,
    /// The cases are JITP certificate subjects (see [`Offline::for_jitp`]).
    pub jitp: bool,
}

/// An empty in-memory registry (account 123456789012, us-east-1, clock frozen).
pub fn empty_registry() -> Registry {
    let account = Account {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
    };
    Registry::open(None, account, Clock::frozen(0), Arc::new(Entropy::new(0)))
        .expect("an in-memory registry opens")
}

impl Offline {
    /// `template` against `registry` (thing types, groups and policies the checks see).
    pub fn new(template: Template, registry: Registry, hook: Option<OfflineHook>) -> Self {
        let injected =
            BTreeMap::from([(CERTIFICATE_ID.to_string(), STAND_IN_CERTIFICATE.to_string())]);
        Offline {
            template,
            registry,
            hook,
            injected,
            jitp: false,
        }
    }

    /// The template as JITP applies it: each case is a certificate subject (the
    /// `AWS::IoT::Certificate::*` values JITP injects, no request parameters and no hook),
    /// and failures are classed as JITP failures ([`classify_jitp`]).
    pub fn for_jitp(mut self) -> Self {
        self.jitp = true;
        self.hook = None;
        self
    }

    /// The class of a failure, as fleet provisioning or JITP reports it.
    pub fn class_of(&self, error: &IotError) -> Class {
        match self.jitp {
            true => classify_jitp(error),
            false => classify(error),
        }
    }

    /// The outcome of a RegisterThing with `parameters`.
    pub fn evaluate(&self, parameters: &Parameters) -> Outcome {
        match self.run(parameters) {
            Ok(plan) => Outcome::Passed(Box::new(plan)),
            Err(e) => Outcome::Failed(e),
        }
    }

    fn run(&self, parameters: &Parameters) -> Result<Plan, IotError> {
        let overridden;
        let parameters = match &self.hook {
            Some(h) => {
                let mut p = parameters.clone();
                p.extend(h.run(parameters)?);
                overridden = p;
                &overridden
            }
            None => parameters,
        };
        let plan = match self.jitp {
            // JITP: no request parameters; the subject fields and the id are injected,
            // the id winning (as `provisioning::jit::certificate_parameters` has it).
            true => {
                let mut injected: Parameters = parameters
                    .iter()
                    .filter(|(k, _)| is_subject(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                injected.extend(self.injected.clone());
                self.template.evaluate(&BTreeMap::new(), &injected)?
            }
            false => self.template.evaluate(parameters, &self.injected)?,
        };
        self.registry.dry_run_plan(&plan, STAND_IN_CERTIFICATE)?;
        Ok(plan)
    }
}
