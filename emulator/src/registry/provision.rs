//! Applying a provisioning [`Plan`] to the registry inside ONE registry write, in AWS's order (dataplane
//! §2.6): thing, policies, policy → certificate, certificate → thing, certificate status.
//! Any failure rolls the whole write back, so nothing is created and the certificate keeps
//! its status.
//!
//! Re-provisioning: a certificate that was provisioned already (ACTIVE or INACTIVE) may be
//! provisioned again, e.g. a device that lost the reply. Everything is re-applied
//! idempotently, and the certificate's status then follows its `Status` override (omitted:
//! left as is). REVOKED and transfer states are refused. (AWS does not document this.)

use std::collections::BTreeMap;

use super::certificate::{CertStatus, Certificate};
use super::plan::{CertificatePlan, CertificateSource, Override, Plan, PolicyPlan, ThingPlan};
use super::thing::{apply_attributes, check_attribute_count, AttributePayload, Thing};
use super::thing_principal::NON_EXCLUSIVE;
use super::{thing_group_members, thing_type};
use super::{ErrorKind, Inner, IotError, IotResult, Registry, Tx};

/// What applying a plan did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// The thing created or updated, if the template has one.
    pub thing_name: Option<String>,
    /// Logical id → ARN of every resource (control-plane RegisterThing's `resourceArns`).
    pub resource_arns: BTreeMap<String, String>,
}

impl Registry {
    /// Applies `plan` for the certificate `certificate_id`, all or nothing.
    pub fn apply_plan(&self, plan: &Plan, certificate_id: &str) -> IotResult<Applied> {
        self.write(|inner, tx| apply_tx(self, inner, tx, plan, certificate_id))
    }
}

/// [`Registry::apply_plan`] as a step of a write.
pub(super) fn apply_tx(
    registry: &Registry,
    inner: &mut Inner,
    tx: &mut Tx,
    plan: &Plan,
    certificate_id: &str,
) -> IotResult<Applied> {
    // Control-plane RegisterThing may provision no certificate at all (an empty id).
    let current = match (&plan.certificate, certificate_id) {
        (None, "") => None,
        _ => Some(provisionable(inner, plan, certificate_id)?),
    };
    let account = registry.account();
    let cert_arn = account.cert_arn(certificate_id);
    let mut applied = Applied::default();
    if let Some(thing) = &plan.thing {
        apply_thing(registry, inner, tx, thing)?;
        applied.thing_name = Some(thing.thing_name.clone());
        let arn = account.thing_arn(&thing.thing_name);
        applied.resource_arns.insert(thing.logical_id.clone(), arn);
    }
    for policy in &plan.policies {
        ensure_policy(registry, inner, tx, policy)?;
        let arn = account.policy_arn(&policy.policy_name);
        applied.resource_arns.insert(policy.logical_id.clone(), arn);
    }
    let (Some(cert), Some(current)) = (&plan.certificate, current) else {
        return Ok(applied);
    };
    for policy in &plan.policies {
        registry.attach_policy_tx(inner, tx, &policy.policy_name, &cert_arn)?;
    }
    if let Some(thing) = &plan.thing {
        registry.attach_thing_principal_tx(
            inner,
            tx,
            &thing.thing_name,
            &cert_arn,
            NON_EXCLUSIVE,
        )?;
    }
    set_status(registry, inner, tx, cert, &current)?;
    applied
        .resource_arns
        .insert(cert.logical_id.clone(), cert_arn);
    Ok(applied)
}

fn registration_failure(message: impl Into<String>) -> IotError {
    IotError::new(ErrorKind::ResourceRegistrationFailure, message)
}

fn conflict(what: &str, name: &str, property: &str) -> IotError {
    IotError::new(
        ErrorKind::ResourceConflicts,
        format!("The {what} {name} already exists and the OverrideSettings for {property} is FAIL"),
    )
}

/// The certificate being provisioned, after checking the template names it and that its
/// status allows provisioning.
fn provisionable(inner: &Inner, plan: &Plan, certificate_id: &str) -> IotResult<Certificate> {
    let cert = inner
        .certificates
        .get(certificate_id)
        .cloned()
        .ok_or_else(|| {
            IotError::not_found(format!("The certificate {certificate_id} does not exist."))
        })?;
    let names_it = match plan.certificate.as_ref().map(|c| &c.source) {
        None => true,
        Some(CertificateSource::Id(id)) => id.eq_ignore_ascii_case(certificate_id),
        Some(CertificateSource::Pem { pem, .. }) => pem.trim() == cert.certificate_pem.trim(),
        Some(CertificateSource::Csr(_)) => {
            return Err(IotError::invalid(
                "CertificateSigningRequest is not supported by this kind of provisioning; use CertificateId",
            ))
        }
    };
    if !names_it {
        return Err(IotError::new(
            ErrorKind::InvalidParameters,
            "The certificate resource of the template does not name the certificate being provisioned",
        ));
    }
    match cert.status {
        CertStatus::PendingActivation | CertStatus::Active | CertStatus::Inactive => Ok(cert),
        other => Err(IotError::invalid(format!(
            "The certificate {certificate_id} is {} and cannot be provisioned",
            other.as_str()
        ))),
    }
}

fn set_status(
    registry: &Registry,
    inner: &mut Inner,
    tx: &mut Tx,
    plan: &CertificatePlan,
    current: &Certificate,
) -> IotResult<()> {
    let id = &current.certificate_id;
    let wanted = match (current.status, plan.status_override) {
        (CertStatus::PendingActivation, _) => plan.status,
        (_, Override::Fail) => return Err(conflict("certificate", id, "Status")),
        (_, Override::Replace) => plan.status,
        (status, _) => status,
    };
    if wanted != current.status {
        registry.set_certificate_status_tx(inner, tx, id, wanted);
    }
    Ok(())
}

fn check_type(inner: &Inner, name: &str) -> IotResult<()> {
    thing_type::check_usable(inner, name).map_err(|e| registration_failure(e.message))
}

fn check_groups(inner: &Inner, groups: &[String]) -> IotResult<()> {
    match groups.iter().find(|g| !inner.thing_groups.contains(g)) {
        Some(g) => Err(registration_failure(format!(
            "Thing group {g} cannot be found."
        ))),
        None => Ok(()),
    }
}

/// The emulator has no billing groups, so a named one never exists.
fn missing_billing_group(name: &str) -> IotError {
    registration_failure(format!("Billing group {name} cannot be found."))
}

fn attributes_after(
    current: &BTreeMap<String, String>,
    given: &BTreeMap<String, String>,
    merge: bool,
) -> BTreeMap<String, String> {
    let payload = AttributePayload {
        attributes: Some(given.clone()),
        merge: Some(merge),
    };
    apply_attributes(current, &payload)
}

fn apply_thing(
    registry: &Registry,
    inner: &mut Inner,
    tx: &mut Tx,
    plan: &ThingPlan,
) -> IotResult<()> {
    match inner.things.get(&plan.thing_name).cloned() {
        None => create_thing(registry, inner, tx, plan),
        Some(existing) => update_thing(inner, tx, plan, existing),
    }
}

fn create_thing(
    registry: &Registry,
    inner: &mut Inner,
    tx: &mut Tx,
    plan: &ThingPlan,
) -> IotResult<()> {
    if let Some(t) = &plan.thing_type_name {
        check_type(inner, t)?;
    }
    if let Some(b) = &plan.billing_group {
        return Err(missing_billing_group(b));
    }
    let groups = plan.thing_groups.clone().unwrap_or_default();
    check_groups(inner, &groups)?;
    let attributes = attributes_after(
        &BTreeMap::new(),
        &plan.attributes.clone().unwrap_or_default(),
        false,
    );
    check_attribute_count(&attributes, plan.thing_type_name.is_some())?;
    let name = &plan.thing_name;
    registry.insert_thing_tx(inner, tx, name, plan.thing_type_name.clone(), attributes);
    for g in &groups {
        thing_group_members::add(inner, tx, name, g)?;
    }
    Ok(())
}

/// An existing thing: each property the template gives follows its override.
fn update_thing(
    inner: &mut Inner,
    tx: &mut Tx,
    plan: &ThingPlan,
    mut thing: Thing,
) -> IotResult<()> {
    let o = plan.overrides;
    if !o.given {
        return agrees_with(plan, &thing);
    }
    let name = plan.thing_name.as_str();
    let fail = |property| Err(conflict("thing", name, property));
    let before = (thing.attributes.clone(), thing.thing_type_name.clone());
    if let Some(given) = &plan.attributes {
        thing.attributes = match o.attribute_payload {
            Override::DoNothing => thing.attributes,
            Override::Fail => return fail("AttributePayload"),
            Override::Replace => attributes_after(&thing.attributes, given, false),
            Override::Merge => attributes_after(&thing.attributes, given, true),
        };
    }
    if let Some(t) = &plan.thing_type_name {
        match o.thing_type_name {
            Override::Fail => return fail("ThingTypeName"),
            Override::Replace if thing.thing_type_name.as_ref() != Some(t) => {
                check_type(inner, t)?;
                thing.thing_type_name = Some(t.clone());
            }
            _ => {}
        }
    }
    if let Some(b) = &plan.billing_group {
        match o.billing_group {
            Override::Fail => return fail("BillingGroup"),
            Override::Replace => return Err(missing_billing_group(b)),
            _ => {}
        }
    }
    check_attribute_count(&thing.attributes, thing.thing_type_name.is_some())?;
    if (thing.attributes.clone(), thing.thing_type_name.clone()) != before {
        thing.version += 1;
        inner.things.put(tx, name, thing.clone());
    }
    match &plan.thing_groups {
        Some(groups) => update_groups(inner, tx, plan, &thing.thing_groups, groups),
        None => Ok(()),
    }
}

/// A template without OverrideSettings leaves an existing thing as it is when it asks for
/// nothing the thing lacks, and is refused otherwise: on AWS, "AttributePayload conflicts
/// with AttributePayload in Template", nothing changed. Conflict means a template attribute
/// the thing lacks or holds with another value; the same rule and wording for ThingTypeName
/// (another type) and ThingGroups (a group the thing is not in) is the emulator's choice,
/// AWS's being UNCONFIRMED (dataplane §2.5).
fn agrees_with(plan: &ThingPlan, thing: &Thing) -> IotResult<()> {
    let conflicts = |property: &str| {
        Err(IotError::new(
            ErrorKind::ResourceConflicts,
            format!("{property} conflicts with {property} in Template"),
        ))
    };
    if let Some(given) = &plan.attributes {
        if given
            .iter()
            .any(|(k, v)| thing.attributes.get(k) != Some(v))
        {
            return conflicts("AttributePayload");
        }
    }
    if let Some(t) = &plan.thing_type_name {
        if thing.thing_type_name.as_ref() != Some(t) {
            return conflicts("ThingTypeName");
        }
    }
    if let Some(groups) = &plan.thing_groups {
        if groups.iter().any(|g| !thing.thing_groups.contains(g)) {
            return conflicts("ThingGroups");
        }
    }
    Ok(())
}

/// The groups of an existing thing, per the ThingGroups override.
fn update_groups(
    inner: &mut Inner,
    tx: &mut Tx,
    plan: &ThingPlan,
    current: &[String],
    groups: &[String],
) -> IotResult<()> {
    let name = plan.thing_name.as_str();
    let setting = plan.overrides.thing_groups;
    match setting {
        Override::DoNothing => Ok(()),
        Override::Fail => Err(conflict("thing", name, "ThingGroups")),
        Override::Replace | Override::Merge => {
            check_groups(inner, groups)?;
            if setting == Override::Replace {
                for g in current.iter().filter(|g| !groups.contains(g)) {
                    thing_group_members::remove(inner, tx, name, g);
                }
            }
            groups
                .iter()
                .try_for_each(|g| thing_group_members::add(inner, tx, name, g))
        }
    }
}

fn ensure_policy(
    registry: &Registry,
    inner: &mut Inner,
    tx: &mut Tx,
    plan: &PolicyPlan,
) -> IotResult<()> {
    if inner.policies.contains(&plan.policy_name) {
        // An existing policy is used as it is, also when the template gives a document
        // (the hash-named policy of an identical document, typically).
        return Ok(());
    }
    match &plan.document {
        Some(document) => {
            registry.insert_policy_tx(inner, tx, &plan.policy_name, document);
            Ok(())
        }
        None => Err(registration_failure(format!(
            "Policy {} cannot be found.",
            plan.policy_name
        ))),
    }
}

#[cfg(test)]
#[path = "provision_tests.rs"]
pub(crate) mod tests;
