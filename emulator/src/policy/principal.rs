//! The registry side of authorization: the thing a principal is associated with, the
//! policies in force for it (its own, plus those of its thing's groups and all their
//! ancestors, default versions only), and [`authorize`], the entry point every front end
//! uses. Everything is read from the current registry, so a policy change takes effect at
//! once: [`authorize`] reads it on each call, and [`authorize_cached`] keeps what it read
//! for one principal until the registry's authorization generation moves. The reads go
//! through the registry's indexes, so they cost the same with ten thousand things
//! registered as with none. Parsed documents are cached by their text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::certvars::CertificateVars;
use super::context::{Context, ThingFacts};
use super::document::{self, PolicyDocument};
use super::eval::{self, Evaluation, Request};
use crate::registry::thing::Thing;
use crate::registry::thing_group::ancestors;
use crate::registry::thing_principal::EXCLUSIVE;
use crate::registry::{Inner, IotError, IotResult, Registry};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity<'a> {
    /// A certificate, by id.
    Certificate(&'a str),
    /// A thing group, by name (TestAuthorization accepts one as principal).
    ThingGroup(&'a str),
    /// Any other attachment target (a Cognito identity id).
    Other(&'a str),
}

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
struct Gathered {
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
    let gathered =
        registry.read(|inner| gather(registry, inner, principal, Overrides::default(), false));
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
        // The generation is read under the registry lock, so it names the state read.
        let (generation, gathered) = registry.read(|inner| {
            let facts = gather(registry, inner, principal, Overrides::default(), false);
            (registry.authorization_generation(), Arc::new(facts))
        });
        *slot = Some((generation, gathered.clone()));
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
    let gathered = registry.read(|inner| {
        principal_exists(inner, principal.identity)?;
        Ok::<_, IotError>(gather(registry, inner, principal, overrides, true))
    })?;
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
    registry.read(|inner| {
        principal_exists(inner, identity)?;
        let thing = match thing_name {
            Some(name) => Some(
                inner
                    .things
                    .get(name)
                    .ok_or_else(|| crate::registry::thing::thing_not_found(name))?,
            ),
            None => None,
        };
        let names = policy_names(registry, inner, identity, thing);
        Ok(names
            .into_iter()
            .filter_map(|n| inner.policies.get(&n))
            .map(|p| (p.policy_name.clone(), p.default_document().to_string()))
            .collect())
    })
}

fn principal_exists(inner: &Inner, identity: Identity<'_>) -> IotResult<()> {
    match identity {
        Identity::Certificate(id) if !inner.certificates.contains(id) => Err(IotError::not_found(
            format!("The certificate {id} does not exist"),
        )),
        Identity::ThingGroup(name) if !inner.thing_groups.contains(name) => Err(
            IotError::not_found(format!("Thing group {name} cannot be found.")),
        ),
        _ => Ok(()),
    }
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

fn gather(
    registry: &Registry,
    inner: &Inner,
    principal: &Principal<'_>,
    overrides: Overrides<'_>,
    load_certificate: bool,
) -> Gathered {
    let thing = associated_thing(registry, inner, principal);
    let mut names = policy_names(registry, inner, principal.identity, thing);
    names.retain(|n| !overrides.skip.contains(n));
    for extra in overrides.add {
        if !names.contains(extra) {
            names.push(extra.clone());
        }
    }
    let mut policies: Vec<(String, Arc<PolicyDocument>)> = names
        .into_iter()
        .filter_map(|n| {
            let doc = parsed(inner.policies.get(&n)?.default_document())?;
            Some((n, doc))
        })
        .collect();
    if let Some(claim) = claim_template(inner, principal.identity) {
        let doc = super::claim::claim_policy(registry.account(), claim);
        policies.extend(doc.map(|d| (super::claim::CLAIM_POLICY_NAME.to_string(), d)));
    }
    let certificate = match (principal.identity, principal.certificate, load_certificate) {
        (Identity::Certificate(id), None, true) => inner
            .certificates
            .get(id)
            .map(|c| CertificateVars::from_pem(&c.certificate_pem)),
        _ => None,
    };
    Gathered {
        thing: thing.map(facts),
        policies,
        certificate,
    }
}

/// The template of a CreateProvisioningClaim certificate.
fn claim_template<'i>(inner: &'i Inner, identity: Identity<'_>) -> Option<&'i str> {
    let Identity::Certificate(id) = identity else {
        return None;
    };
    inner.certificates.get(id)?.claim_template.as_deref()
}

fn facts(thing: &Thing) -> ThingFacts {
    ThingFacts {
        name: thing.thing_name.clone(),
        type_name: thing.thing_type_name.clone(),
        attributes: thing.attributes.clone(),
    }
}

/// The thing a certificate connection is associated with (spec A.4): the attached thing
/// named by `thing_name` or else the client id; failing that, the thing the certificate is
/// attached to exclusively.
fn associated_thing<'i>(
    registry: &Registry,
    inner: &'i Inner,
    p: &Principal<'_>,
) -> Option<&'i Thing> {
    let Identity::Certificate(id) = p.identity else {
        return None;
    };
    if !p.thing_keys && p.thing_name.is_none() {
        return None;
    }
    let arn = registry.account().cert_arn(id);
    let named = [p.thing_name, p.client_id]
        .into_iter()
        .flatten()
        .filter_map(|name| inner.things.get(name))
        .find(|t| t.principals.contains_key(&arn));
    named.or_else(|| {
        inner
            .things_of_principal(&arn)
            .find(|(_, kind)| *kind == EXCLUSIVE)
            .map(|(t, _)| t)
    })
}

/// The names of the policies in force: the identity's own, then those of each group of
/// `thing` and its ancestors (nearest first), without repeats.
fn policy_names(
    registry: &Registry,
    inner: &Inner,
    identity: Identity<'_>,
    thing: Option<&Thing>,
) -> Vec<String> {
    let account = registry.account();
    let mut targets = match identity {
        Identity::Certificate(id) => vec![account.cert_arn(id)],
        Identity::ThingGroup(name) => ancestors(inner, name)
            .iter()
            .map(|g| account.thing_group_arn(g))
            .collect(),
        Identity::Other(target) => vec![target.to_string()],
    };
    for group in thing.map(|t| t.thing_groups.as_slice()).unwrap_or_default() {
        targets.extend(
            ancestors(inner, group)
                .iter()
                .map(|g| account.thing_group_arn(g)),
        );
    }
    let mut names: Vec<String> = Vec::new();
    for target in &targets {
        for name in inner.policies_attached_to(target) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
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
