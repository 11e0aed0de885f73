//! RegisterThing: runs the pre-provisioning hook, evaluates the template's default
//! version against the parameters, and applies the resulting plan atomically.

use std::collections::BTreeMap;

use super::hook::{self, HookEvent};
use super::template::{Template, CERTIFICATE_ID};
use crate::registry::template::check::FLEET_PROVISIONING;
use crate::registry::template::ProvisioningTemplate;
use crate::registry::{IotError, IotResult};
use crate::state::Emulator;

/// A RegisterThing request after the front end resolved the ownership token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    pub template_name: String,
    /// The certificate the ownership token is bound to (the one being provisioned).
    pub certificate_id: String,
    /// The certificate of the connection that sent the request (the claim).
    pub claim_certificate_id: String,
    /// The MQTT client id of that connection.
    pub client_id: String,
    /// The request's `parameters`.
    pub parameters: BTreeMap<String, String>,
}

/// What the accepted reply carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registered {
    /// The thing the template created or updated, if it has an `AWS::IoT::Thing`.
    pub thing_name: Option<String>,
    /// The template's resolved `DeviceConfiguration` (always present, maybe empty).
    pub device_configuration: BTreeMap<String, String>,
}

/// The template `name` if fleet provisioning may use it. The wording is the emulator's:
/// AWS's replies for these cases are not documented (dataplane §1.4).
fn usable_template(emulator: &Emulator, name: &str) -> IotResult<ProvisioningTemplate> {
    let template = emulator
        .registry
        .provisioning_template(name)
        .ok_or_else(|| IotError::not_found(format!("Template {name} not found")))?;
    if template.template_type != FLEET_PROVISIONING {
        return Err(IotError::invalid(format!(
            "Template {name} is of type {}, not FLEET_PROVISIONING",
            template.template_type
        )));
    }
    if !template.enabled {
        return Err(IotError::invalid(format!("Template {name} is disabled")));
    }
    Ok(template)
}

/// Provisions `request.certificate_id` with the template `request.template_name`.
pub async fn register_thing(
    emulator: &Emulator,
    request: RegisterRequest,
) -> IotResult<Registered> {
    let template = usable_template(emulator, &request.template_name)?;
    let mut parameters = request.parameters.clone();
    if let Some(hook) = &template.pre_provisioning_hook {
        let event = hook_event(emulator, &request)?;
        let overrides =
            hook::invoke_target(&emulator.hooks, &emulator.lambda, &hook.target_arn, &event)
                .await?;
        parameters.extend(overrides);
    }
    let parsed = Template::parse(template.default_body())?;
    let injected = BTreeMap::from([(CERTIFICATE_ID.to_string(), request.certificate_id.clone())]);
    let plan = parsed.evaluate(&parameters, &injected)?;
    let applied = emulator
        .registry
        .apply_plan(&plan, &request.certificate_id)?;
    Ok(Registered {
        thing_name: applied.thing_name,
        device_configuration: plan.device_configuration,
    })
}

fn hook_event(emulator: &Emulator, request: &RegisterRequest) -> IotResult<HookEvent> {
    let id = &request.certificate_id;
    let pem = emulator
        .registry
        .certificate_by_id(id)
        .map(|c| c.certificate_pem)
        .ok_or_else(|| IotError::not_found(format!("The certificate {id} does not exist.")))?;
    Ok(HookEvent {
        claim_certificate_id: request.claim_certificate_id.clone(),
        certificate_id: id.clone(),
        certificate_pem: pem,
        template_arn: emulator
            .registry
            .account()
            .template_arn(&request.template_name),
        client_id: request.client_id.clone(),
        parameters: request.parameters.clone(),
    })
}
