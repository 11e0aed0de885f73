//! Authorizing a principal: [`authorize`], the entry point every front end uses, over what
//! the registry says about the principal (`Registry::authorization_facts`: the thing it is
//! associated with and the policies in force for it). Everything is read from the current
//! registry, so a policy change takes effect at once: [`authorize`] reads it on each call,
//! and [`authorize_cached`] keeps what it read for one principal until the registry's
//! authorization generation moves. Parsed documents are cached by their text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::certvars::CertificateVars;
use super::context::{Context, ThingFacts};
use super::document::{self, PolicyDocument};
use super::eval::{self, Evaluation, Request};
use crate::registry::authorization::{AuthorizationFacts, FactsQuery, ThingChoice};
use crate::registry::thing::Thing;
use crate::registry::{IotResult, Registry};

pub use crate::registry::authorization::Identity;

/// A principal and the request facts that do not come from the registry.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    pub identity: Identity<'a>,
    /// The MQTT client id (`iot:ClientId`; also picks the thing, spec A.4).
    pub client_id: Option<&'a str>,
    /// A thing named by the caller (the credentials provider's `x-amzn-iot-thingname`);
    /// used instead of the client id when it is attached to the certificate.
    pub thing_name: Option<&'a str>,
    /// The certificate's variables, when the caller already has them.
    pub certificate: Option<&'a CertificateVars>,
    /// Request keys such as `iot:ConnectAttributes` or `aws:SourceIp`.
    pub extra: &'a [(String, Vec<String>)],
    /// Whether `iot:Connection.Thing.*` keys exist (MQTT connections).
    pub thing_keys: bool,
}

impl<'a> Principal<'a> {
    /// A certificate connected over MQTT as `client_id`.
    pub fn mqtt(certificate_id: &'a str, client_id: &'a str, cert: &'a CertificateVars) -> Self {
        Principal {
            identity: Identity::Certificate(certificate_id),
            client_id: Some(client_id),
            thing_name: None,
            certificate: Some(cert),
            extra: &[],
            thing_keys: true,
        }
    }
}

/// Policy names to treat as attached (`add`) or not attached (`skip`), as
/// TestAuthorization's `policyNamesToAdd` / `policyNamesToSkip` ask.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides<'a> {
    pub add: &'a [String],
    pub skip: &'a [String],
}

/// What one registry read yields for a principal.
#[derive(Default)]
struct Gathered {
    generation: u64,
    thing: Option<ThingFacts>,
    policies: Vec<(String, Arc<PolicyDocument>)>,
    certificate: Option<CertificateVars>,
}

/// Whether `principal` may perform `action` on `resource` (a full ARN) now.
pub fn authorize(
    registry: &Registry,
    principal: &Principal<'_>,
    action: &str,
    resource: &str,
) -> bool {
    let gathered = gather(registry, principal);
    decide(registry, principal, &gathered, action, resource)
}

/// What the registry says about one principal (its thing and policies), kept between
/// authorizations while the registry's authorization generation stays where it was read.
/// One cache serves one principal: an MQTT connection keeps its own.
#[derive(Default)]
pub struct AuthorizationCache {
    slot: Mutex<Option<(u64, Arc<Gathered>)>>,
}

impl std::fmt::Debug for AuthorizationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthorizationCache")
    }
}

impl AuthorizationCache {
    /// The cached facts if the registry has not changed since they were read, else a
    /// fresh read (which is then cached).
    fn gathered(&self, registry: &Registry, principal: &Principal<'_>) -> Arc<Gathered> {
        let current = registry.authorization_generation();
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((generation, gathered)) = slot.as_ref() {
            if *generation == current {
                return gathered.clone();
            }
        }
        // The generation comes with the facts and names the state they were read from.
        let gathered = Arc::new(gather(registry, principal));
        *slot = Some((gathered.generation, gathered.clone()));
        gathered
    }
}

/// [`authorize`] for a principal that always brings the same `cache` (and is always the
/// same principal): the registry is read again only after something it holds changed.
pub fn authorize_cached(
    registry: &Registry,
    cache: &AuthorizationCache,
    principal: &Principal<'_>,
    action: &str,
    resource: &str,
) -> bool {
    let gathered = cache.gathered(registry, principal);
    decide(registry, principal, &gathered, action, resource)
}

fn decide(
    registry: &Registry,
    principal: &Principal<'_>,
    gathered: &Gathered,
    action: &str,
    resource: &str,
) -> bool {
    let context = context(registry, principal, gathered);
    let request = Request { action, resource };
    eval::allows(
        gathered.policies.iter().map(|(_, d)| d.as_ref()),
        request,
        &context,
    )
}

/// The full evaluation, with the names of the policies behind it (TestAuthorization).
/// Fails when the principal does not exist.
pub fn evaluate(
    registry: &Registry,
    principal: &Principal<'_>,
    overrides: Overrides<'_>,
    requests: &[Request<'_>],
) -> IotResult<Vec<Evaluation>> {
    let gathered = try_gather(registry, principal, overrides, true)?;
    let context = context(registry, principal, &gathered);
    let named = || {
        gathered
            .policies
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_ref()))
    };
    Ok(requests
        .iter()
        .map(|r| eval::evaluate(named(), *r, &context))
        .collect())
}

/// GetEffectivePolicies: `(name, default document)` of every policy in force for
/// `principal`, and for the groups of `thing_name` (which must exist) and their ancestors.
pub fn effective_policies(
    registry: &Registry,
    identity: Identity<'_>,
    thing_name: Option<&str>,
) -> IotResult<Vec<(String, String)>> {
    let facts = registry.authorization_facts(&FactsQuery {
        identity,
        thing: thing_name.map_or(ThingChoice::None, ThingChoice::Named),
        add: &[],
        skip: &[],
        require_identity: true,
        load_certificate: false,
    })?;
    Ok(facts.policies)
}

fn context<'a>(registry: &Registry, p: &Principal<'a>, g: &'a Gathered) -> Context<'a> {
    Context {
        client_id: p.client_id,
        certificate_id: match p.identity {
            Identity::Certificate(id) => Some(id),
            _ => None,
        },
        thing: g.thing.as_ref(),
        thing_keys: p.thing_keys,
        certificate: p.certificate.or(g.certificate.as_ref()),
        extra: p.extra,
        now_ms: Some(registry.clock().now_ms()),
    }
}

/// [`try_gather`] for an authorization, which may name an identity that does not exist.
fn gather(registry: &Registry, principal: &Principal<'_>) -> Gathered {
    // Only a required identity or a named thing fails the read; neither is asked for here.
    try_gather(registry, principal, Overrides::default(), false).unwrap_or_default()
}

/// One registry read for `principal`, its documents parsed (those that do not parse are
/// left out) and the claim policy of a provisioning-claim certificate added. TestAuthorization
/// (`require_identity`) also reads the certificate, for `iot:Certificate.*` keys.
fn try_gather(
    registry: &Registry,
    principal: &Principal<'_>,
    overrides: Overrides<'_>,
    require_identity: bool,
) -> IotResult<Gathered> {
    let associates = principal.thing_keys || principal.thing_name.is_some();
    let load_certificate = require_identity && principal.certificate.is_none();
    let facts = registry.authorization_facts(&FactsQuery {
        identity: principal.identity,
        thing: match associates {
            true => ThingChoice::Associated {
                thing_name: principal.thing_name,
                client_id: principal.client_id,
            },
            false => ThingChoice::None,
        },
        add: overrides.add,
        skip: overrides.skip,
        require_identity,
        load_certificate,
    })?;
    Ok(gathered(registry, facts))
}

fn gathered(registry: &Registry, facts: AuthorizationFacts) -> Gathered {
    let mut policies: Vec<(String, Arc<PolicyDocument>)> = facts
        .policies
        .into_iter()
        .filter_map(|(n, text)| Some((n, parsed(&text)?)))
        .collect();
    if let Some(claim) = &facts.claim_template {
        let doc = super::claim::claim_policy(registry.account(), claim);
        policies.extend(doc.map(|d| (super::claim::CLAIM_POLICY_NAME.to_string(), d)));
    }
    Gathered {
        generation: facts.generation,
        thing: facts.thing.as_ref().map(thing_facts),
        policies,
        certificate: facts
            .certificate_pem
            .map(|pem| CertificateVars::from_pem(&pem)),
    }
}

fn thing_facts(thing: &Thing) -> ThingFacts {
    ThingFacts {
        name: thing.thing_name.clone(),
        type_name: thing.thing_type_name.clone(),
        attributes: thing.attributes.clone(),
    }
}

/// Cached parses of policy documents, keyed by their text (a pure function of it).
fn parsed(text: &str) -> Option<Arc<PolicyDocument>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<PolicyDocument>>>> = OnceLock::new();
    const MAX_ENTRIES: usize = 1024;
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(doc) = map.get(text) {
        return Some(doc.clone());
    }
    let doc = Arc::new(document::parse(text).ok()?);
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(text.to_string(), doc.clone());
    Some(doc)
}

#[cfg(test)]
#[path = "principal_tests.rs"]
mod tests;
