//! Case helpers for the JIT and credentials scenarios: CA registration with a
//! verification certificate, thing groups, role aliases, and what JITP made.

use aws_sdk_iot::types::{AutoRegistrationStatus, RegistrationConfig, TemplateType};

use super::{Case, Created};

/// How a registered CA provisions the certificates it signed.
#[derive(Debug, Clone, Default)]
pub enum AutoRegistration {
    /// Auto-registration off.
    #[default]
    Off,
    /// JITR: on, without a template; certificates land PENDING_ACTIVATION.
    Jitr,
    /// JITP with an inline template body (S3's `--registration-config file://...`).
    TemplateBody(String),
}

impl Case {
    /// GetRegistrationCode, a verification certificate (CN = the code) signed by `ca`,
    /// then RegisterCACertificate `--set-as-active`; returns the CA's certificate id.
    /// The CA is deactivated and deleted at teardown.
    pub async fn register_ca(&mut self, ca: &test_pki::Ca, auto: AutoRegistration) -> String {
        let code = self
            .iot
            .get_registration_code()
            .send()
            .await
            .expect("GetRegistrationCode")
            .registration_code
            .expect("registrationCode");
        let verification = ca.verification(&code).expect("verification certificate");
        let mut request = self
            .iot
            .register_ca_certificate()
            .ca_certificate(&ca.issued.cert_pem)
            .verification_certificate(&verification.cert_pem)
            .set_as_active(true)
            .allow_auto_registration(!matches!(auto, AutoRegistration::Off));
        if let AutoRegistration::TemplateBody(body) = auto {
            let config = RegistrationConfig::builder()
                .template_body(body)
                .role_arn(&self.target.provisioning_role_arn)
                .build();
            request = request.registration_config(config);
        }
        let id = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("RegisterCACertificate: {e:?}"))
            .certificate_id
            .expect("certificateId");
        self.created.push(Created::CaCertificate(id.clone()));
        id
    }

    /// UpdateCACertificate: auto-registration on, with the JITP template `template`.
    pub async fn enable_jitp(&self, ca_id: &str, template: &str) {
        let config = RegistrationConfig::builder()
            .template_name(template)
            .build();
        self.iot
            .update_ca_certificate()
            .certificate_id(ca_id)
            .new_auto_registration_status(AutoRegistrationStatus::Enable)
            .registration_config(config)
            .send()
            .await
            .unwrap_or_else(|e| panic!("UpdateCACertificate: {e:?}"));
    }

    /// CreateProvisioningTemplate `--type JITP` (enabled) named `name(base)`.
    pub async fn create_jitp_template(&mut self, base: &str, body: &str) -> String {
        self.create_template_of(base, body, TemplateType::Jitp)
            .await
    }

    /// CreateThing `thing` (torn down at the end) with `principal` attached.
    pub async fn create_thing_with(&mut self, thing: &str, principal: &str) {
        self.iot
            .create_thing()
            .thing_name(thing)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateThing {thing}: {e:?}"));
        self.track_thing(thing);
        self.iot
            .attach_thing_principal()
            .thing_name(thing)
            .principal(principal)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AttachThingPrincipal {thing}: {e:?}"));
    }

    /// CreateThingGroup named `name(base)`; returns its name and ARN.
    pub async fn create_thing_group(&mut self, base: &str) -> (String, String) {
        let name = self.name(base);
        let out = self
            .iot
            .create_thing_group()
            .thing_group_name(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateThingGroup {name}: {e:?}"));
        self.created.push(Created::ThingGroup(name.clone()));
        (name, out.thing_group_arn.expect("thingGroupArn"))
    }

    /// CreateRoleAlias named `name(base)` for `role_arn`; returns its name and ARN.
    pub async fn create_role_alias(&mut self, base: &str, role_arn: &str) -> (String, String) {
        let name = self.name(base);
        let out = self
            .iot
            .create_role_alias()
            .role_alias(&name)
            .role_arn(role_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateRoleAlias {name}: {e:?}"));
        self.created.push(Created::RoleAlias(name.clone()));
        (name, out.role_alias_arn.expect("roleAliasArn"))
    }

    /// AttachPolicy `policy` to `target` (a certificate or thing group ARN).
    pub async fn attach_policy(&self, policy: &str, target: &str) {
        self.iot
            .attach_policy()
            .policy_name(policy)
            .target(target)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AttachPolicy {policy} to {target}: {e:?}"));
    }

    /// The certificate ids attached to `thing`, each tracked for teardown with the
    /// thing (what JITP or a provisioning template created).
    pub async fn track_provisioned_thing(&mut self, thing: &str) -> Vec<String> {
        let principals = self
            .iot
            .list_thing_principals()
            .thing_name(thing)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListThingPrincipals {thing}: {e:?}"));
        let ids: Vec<String> = principals
            .principals()
            .iter()
            .filter_map(|arn| arn.rsplit_once("cert/").map(|(_, id)| id.to_string()))
            .collect();
        for id in &ids {
            self.track_template_policies(id).await;
            self.track_certificate(id);
        }
        self.track_thing(thing);
        ids
    }

    /// Tracks the policies attached to a certificate that this case did not create
    /// itself (a template's inline `PolicyDocument` makes one with a generated name).
    async fn track_template_policies(&mut self, certificate_id: &str) {
        let arn = self.target.iot_arn(&format!("cert/{certificate_id}"));
        let attached = self
            .iot
            .list_attached_policies()
            .target(&arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListAttachedPolicies {arn}: {e:?}"));
        for name in attached.policies().iter().filter_map(|p| p.policy_name()) {
            let ours = self
                .created
                .iter()
                .any(|c| matches!(c, Created::Policy(p) if p == name));
            if !ours {
                self.created.push(Created::Policy(name.to_string()));
            }
        }
    }

    /// Deletes topic rule `name` at the end of the case.
    pub fn track_topic_rule(&mut self, name: &str) {
        self.created.push(Created::TopicRule(name.to_string()));
    }

    /// A Python function `base` (as `index.py`, handler `index.handler`) with
    /// `environment`, which iot.amazonaws.com may invoke; its ARN. `None` (with the
    /// reason printed) against AWS without `CONFORMANCE_LAMBDA_ROLE_ARN`.
    pub async fn create_function(
        &mut self,
        base: &str,
        source: &str,
        environment: &[(&str, &str)],
    ) -> Option<String> {
        let role = self.lambda_role_arn()?;
        let name = self.name(base);
        let variables = environment
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let env = aws_sdk_lambda::types::Environment::builder()
            .set_variables(Some(variables.collect()))
            .build();
        let code = aws_sdk_lambda::types::FunctionCode::builder()
            .zip_file(aws_sdk_lambda::primitives::Blob::new(zipped(
                "index.py", source,
            )))
            .build();
        let made = self
            .lambda
            .create_function()
            .function_name(&name)
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .handler("index.handler")
            .role(role)
            .environment(env)
            .code(code)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateFunction: {e:?}"));
        self.created.push(Created::Function(name.clone()));
        self.lambda
            .add_permission()
            .function_name(&name)
            .statement_id("conformance-iot")
            .action("lambda:InvokeFunction")
            .principal("iot.amazonaws.com")
            .send()
            .await
            .unwrap_or_else(|e| panic!("AddPermission: {e:?}"));
        made.function_arn
    }

    /// A role ARN from `variable`, a dummy `dummy` role on an emulator, or `None` (with
    /// the reason printed) against AWS without it.
    fn role_from_env(&self, variable: &str, what: &str, dummy: &str) -> Option<String> {
        if let Ok(arn) = std::env::var(variable) {
            return Some(arn);
        }
        if self.target.kind == crate::TargetKind::Aws {
            eprintln!("conformance: SKIPPED against aws: {variable} ({what}) is not set");
            return None;
        }
        Some(format!(
            "arn:aws:iam::{}:role/{dummy}",
            self.target.account_id
        ))
    }

    /// The role a case's functions run as: `CONFORMANCE_LAMBDA_ROLE_ARN` (a role trusting
    /// `lambda.amazonaws.com` that may `iot:Publish`), a dummy one on an emulator; `None`
    /// (with the reason printed) against AWS without it.
    pub fn lambda_role_arn(&self) -> Option<String> {
        self.role_from_env(
            "CONFORMANCE_LAMBDA_ROLE_ARN",
            "a role trusting lambda.amazonaws.com that may iot:Publish",
            "ConformanceFunctionRole",
        )
    }

    /// Deletes `thing` and the certificates attached to it now, their policies detached
    /// (what a device provisioned through a stack's template holds, gone before the
    /// stack is deleted), instead of at teardown.
    pub async fn remove_thing_now(&mut self, thing: &str) {
        let principals = self
            .iot
            .list_thing_principals()
            .thing_name(thing)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListThingPrincipals {thing}: {e:?}"));
        let mut items: Vec<Created> = principals
            .principals()
            .iter()
            .filter_map(|arn| arn.rsplit_once("cert/"))
            .map(|(_, id)| Created::Certificate(id.to_string()))
            .collect();
        items.push(Created::Thing(thing.to_string()));
        for item in items {
            super::teardown::remove(&self.iot, &self.lambda, &item)
                .await
                .unwrap_or_else(|e| panic!("removing {item:?}: {e}"));
            self.created.retain(|c| *c != item);
        }
    }

    /// The role a republish action assumes: `CONFORMANCE_REPUBLISH_ROLE_ARN` (a role
    /// trusting `iot.amazonaws.com` that may `iot:Publish`), a dummy one on an emulator;
    /// `None` (with the reason printed) against AWS without it.
    pub fn republish_role_arn(&self) -> Option<String> {
        self.role_from_env(
            "CONFORMANCE_REPUBLISH_ROLE_ARN",
            "a role trusting iot.amazonaws.com with iot:Publish",
            "ConformanceRepublishRole",
        )
    }

    /// The role the credentials provider assumes: `CONFORMANCE_CREDENTIALS_ROLE_ARN`
    /// (a role trusting `credentials.iot.amazonaws.com`), a dummy one on an emulator;
    /// `None` (with the reason printed) against AWS without it.
    pub fn credentials_role_arn(&self) -> Option<String> {
        self.role_from_env(
            "CONFORMANCE_CREDENTIALS_ROLE_ARN",
            "a role trusting credentials.iot.amazonaws.com",
            "ConformanceDeviceRole",
        )
    }
}

/// A `.zip` holding one file.
fn zipped(file: &str, text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(file, zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(text.as_bytes()).expect("zip write");
    zip.finish().expect("zip").into_inner()
}
