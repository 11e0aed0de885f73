//! What an authorization decision reads from the registry, in ONE read: the thing a
//! principal is associated with, the policies in force for it (its own, then those of its
//! thing's groups and all their ancestors, default versions only), its provisioning-claim
//! template and, with them, the authorization generation that names the state read. The
//! policy engine (`policy::principal`) evaluates what this returns; the reads go through
//! the registry's indexes, so they cost the same with ten thousand things as with none.

use super::thing::{thing_not_found, Thing};
use super::thing_group::ancestors;
use super::thing_principal::EXCLUSIVE;
use super::{Inner, IotError, IotResult, Registry};

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

/// Which thing's groups contribute policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThingChoice<'a> {
    /// None.
    #[default]
    None,
    /// The thing a certificate connection is associated with (spec A.4): the attached
    /// thing named by `thing_name` or else `client_id`; failing that, the thing the
    /// certificate is attached to exclusively.
    Associated {
        thing_name: Option<&'a str>,
        client_id: Option<&'a str>,
    },
    /// The thing of this name, which must exist (GetEffectivePolicies).
    Named(&'a str),
}

/// One authorization read.
#[derive(Debug, Clone, Copy)]
pub struct FactsQuery<'a> {
    pub identity: Identity<'a>,
    pub thing: ThingChoice<'a>,
    /// Policy names to treat as attached (TestAuthorization's `policyNamesToAdd`).
    pub add: &'a [String],
    /// Policy names to treat as not attached (`policyNamesToSkip`).
    pub skip: &'a [String],
    /// Fail with ResourceNotFound when the certificate or thing group does not exist.
    pub require_identity: bool,
    /// Also return the certificate's PEM.
    pub load_certificate: bool,
}

/// What the registry holds for one principal.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationFacts {
    /// The authorization generation of the state read (see
    /// [`Registry::authorization_generation`]).
    pub generation: u64,
    pub thing: Option<Thing>,
    /// `(name, default document)` of each existing policy in force, in order.
    pub policies: Vec<(String, String)>,
    /// The template of a CreateProvisioningClaim certificate.
    pub claim_template: Option<String>,
    /// The certificate's PEM, when asked for.
    pub certificate_pem: Option<String>,
}

impl Registry {
    /// Everything an authorization of `query.identity` reads, under one lock.
    pub fn authorization_facts(&self, query: &FactsQuery<'_>) -> IotResult<AuthorizationFacts> {
        self.read(|inner| {
            let identity = query.identity;
            if query.require_identity {
                identity_exists(inner, identity)?;
            }
            let thing = match query.thing {
                ThingChoice::None => None,
                ThingChoice::Associated {
                    thing_name,
                    client_id,
                } => self.associated_thing(inner, identity, [thing_name, client_id]),
                ThingChoice::Named(name) => Some(
                    inner
                        .things
                        .get(name)
                        .ok_or_else(|| thing_not_found(name))?,
                ),
            };
            let mut names = self.policy_names(inner, identity, thing);
            names.retain(|n| !query.skip.contains(n));
            for extra in query.add {
                if !names.contains(extra) {
                    names.push(extra.clone());
                }
            }
            let certificate = match identity {
                Identity::Certificate(id) => inner.certificates.get(id),
                _ => None,
            };
            Ok(AuthorizationFacts {
                // Read under the lock, so it names the state read.
                generation: self.authorization_generation(),
                thing: thing.cloned(),
                policies: names
                    .into_iter()
                    .filter_map(|n| {
                        let document = inner.policies.get(&n)?.default_document().to_string();
                        Some((n, document))
                    })
                    .collect(),
                claim_template: certificate.and_then(|c| c.claim_template.clone()),
                certificate_pem: certificate
                    .filter(|_| query.load_certificate)
                    .map(|c| c.certificate_pem.clone()),
            })
        })
    }

    fn associated_thing<'i>(
        &self,
        inner: &'i Inner,
        identity: Identity<'_>,
        names: [Option<&str>; 2],
    ) -> Option<&'i Thing> {
        let Identity::Certificate(id) = identity else {
            return None;
        };
        let arn = self.account().cert_arn(id);
        let named = names
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
        &self,
        inner: &Inner,
        identity: Identity<'_>,
        thing: Option<&Thing>,
    ) -> Vec<String> {
        let account = self.account();
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
}

fn identity_exists(inner: &Inner, identity: Identity<'_>) -> IotResult<()> {
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
