//! One running case: the target, its SDK client, a scratch directory, unique names,
//! fixtures, device connection settings, and a teardown of what the case created.

use std::path::{Path, PathBuf};

use aws_sdk_iot::types::TemplateType;
use iot_device_client::mqtt::MqttConfig;
use iot_device_client::tls::Identity;

use crate::control;
use crate::target::Target;

/// Something to delete at the end, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Created {
    Policy(String),
    Template(String),
    Thing(String),
    Certificate(String),
    CaCertificate(String),
    ThingGroup(String),
    RoleAlias(String),
    TopicRule(String),
    Function(String),
}

/// A certificate the control plane made, with its key.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    pub certificate_id: String,
    pub certificate_arn: String,
    pub identity: Identity,
}

/// A case in progress.
pub struct Case {
    pub target: Target,
    pub iot: aws_sdk_iot::Client,
    pub lambda: aws_sdk_lambda::Client,
    created: Vec<Created>,
    scratch: tempfile::TempDir,
}

impl Case {
    /// The target from the environment, or `None` when the case is skipped.
    /// In process, the emulator is shared by the test binary's cases.
    pub async fn start() -> Option<Case> {
        Self::begin(Target::from_env().await?).await
    }

    /// As [`Case::start`], but in process on a fresh emulator of the case's own, whose
    /// configuration `configure` adjusts (a seed, hook bindings); other targets ignore it.
    pub async fn start_with(configure: impl FnOnce(&mut iot_emulator::Config)) -> Option<Case> {
        Self::begin(Target::from_env_with(configure).await?).await
    }

    async fn begin(mut target: Target) -> Option<Case> {
        let iot = control::client(&target);
        let lambda = control::lambda_client(&target);
        control::resolve_endpoints(&mut target, &iot).await;
        let scratch = tempfile::tempdir().expect("scratch directory");
        Some(Case {
            target,
            iot,
            lambda,
            created: Vec::new(),
            scratch,
        })
    }

    /// `base` as this target names it (prefixed outside the in-process emulator).
    pub fn name(&self, base: &str) -> String {
        self.target.name(base)
    }

    /// A scratch directory removed with the case.
    pub fn dir(&self) -> &Path {
        self.scratch.path()
    }

    /// MQTT settings for a device of this target.
    pub fn mqtt(&self, client_id: &str, identity: Identity) -> MqttConfig {
        let host = self
            .target
            .mqtt_host
            .as_deref()
            .expect("resolved MQTT host");
        MqttConfig::new(
            host,
            self.target.mqtt_port,
            client_id,
            &self.target.ca_pem,
            identity,
        )
    }

    /// CreateKeysAndCertificate (active) through the SDK; deleted at teardown.
    pub async fn create_certificate(&mut self) -> IssuedCertificate {
        let out = self
            .iot
            .create_keys_and_certificate()
            .set_as_active(true)
            .send()
            .await
            .expect("CreateKeysAndCertificate");
        let pair = out.key_pair.expect("keyPair");
        let issued = IssuedCertificate {
            certificate_id: out.certificate_id.expect("certificateId"),
            certificate_arn: out.certificate_arn.expect("certificateArn"),
            identity: Identity {
                cert_pem: out.certificate_pem.expect("certificatePem"),
                key_pem: pair.private_key.expect("PrivateKey"),
            },
        };
        self.track_certificate(&issued.certificate_id);
        issued
    }

    /// A claim certificate with policy `policy_base` (from `policy_fixture`) attached.
    pub async fn claim_certificate(
        &mut self,
        policy_base: &str,
        policy_fixture: &str,
    ) -> IssuedCertificate {
        let claim = self.create_certificate().await;
        let policy = self
            .create_policy(policy_base, &fixture(policy_fixture))
            .await;
        self.iot
            .attach_policy()
            .policy_name(&policy)
            .target(&claim.certificate_arn)
            .send()
            .await
            .expect("AttachPolicy");
        claim
    }

    /// CreatePolicy named `name(base)`; returns the name.
    pub async fn create_policy(&mut self, base: &str, document: &str) -> String {
        let name = self.name(base);
        self.iot
            .create_policy()
            .policy_name(&name)
            .policy_document(document)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreatePolicy {name}: {e:?}"));
        self.created.push(Created::Policy(name.clone()));
        name
    }

    /// CreateProvisioningTemplate (enabled) named `name(base)`; returns the name.
    pub async fn create_template(&mut self, base: &str, body: &str) -> String {
        self.create_template_of(base, body, TemplateType::FleetProvisioning)
            .await
    }

    /// CreateProvisioningTemplate of `kind` (enabled) named `name(base)`, torn down at the end.
    pub async fn create_template_of(
        &mut self,
        base: &str,
        body: &str,
        kind: TemplateType,
    ) -> String {
        let name = self.name(base);
        self.iot
            .create_provisioning_template()
            .template_name(&name)
            .r#type(kind)
            .template_body(body)
            .provisioning_role_arn(&self.target.provisioning_role_arn)
            .enabled(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateProvisioningTemplate {name}: {e:?}"));
        self.created.push(Created::Template(name.clone()));
        name
    }

    /// CreateThingType unless it exists. Thing types are left in place: AWS deletes
    /// one only five minutes after deprecating it.
    pub async fn ensure_thing_type(&mut self, name: &str) {
        let out = self
            .iot
            .create_thing_type()
            .thing_type_name(name)
            .send()
            .await;
        if let Err(e) = out {
            let code = control::error_code(&e);
            assert_eq!(
                code.as_deref(),
                Some("ResourceAlreadyExistsException"),
                "{e:?}"
            );
        }
    }

    /// Deletes the provisioning template `name` at teardown.
    pub fn track_template(&mut self, name: &str) {
        self.created.push(Created::Template(name.to_string()));
    }

    /// Deletes `thing` (after detaching its principals) at teardown.
    pub fn track_thing(&mut self, thing: &str) {
        self.created.push(Created::Thing(thing.to_string()));
    }

    /// Detaches, deactivates and deletes a certificate at teardown (once, however
    /// often it is tracked).
    pub fn track_certificate(&mut self, certificate_id: &str) {
        let item = Created::Certificate(certificate_id.to_string());
        if !self.created.contains(&item) {
            self.created.push(item);
        }
    }

    /// Tears down everything the case created (newest first), then stops the target.
    /// Failures are reported, not fatal: teardown must not hide the case's outcome.
    pub async fn finish(mut self) {
        while let Some(item) = self.created.pop() {
            if let Err(e) = crate::case::teardown::remove(&self.iot, &self.lambda, &item).await {
                eprintln!("conformance: teardown of {item:?} failed: {e}");
            }
        }
        self.target.shutdown().await;
    }
}

/// The text of `fixtures/<rel>` with the fixtures' example ARN prefix
/// (`arn:aws:iot:us-east-1:123456789012:`) replaced by `target`'s.
pub fn fixture_for(target: &Target, rel: &str) -> String {
    fixture(rel).replace("arn:aws:iot:us-east-1:123456789012:", &target.iot_arn(""))
}

/// The text of `fixtures/<rel>` in the repository.
pub fn fixture(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

mod registry;
pub use registry::AutoRegistration;
mod teardown;
