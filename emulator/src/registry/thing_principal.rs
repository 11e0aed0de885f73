//! Principal attachments of things: AttachThingPrincipal, DetachThingPrincipal,
//! ListThingPrincipals(V2) and ListPrincipalThings(V2).

use super::thing::{cert_id_of, principal_type, thing_not_found};
use super::{validate, Inner, IotError, IotResult, Registry, Tx};

/// The default `thingPrincipalType`.
pub const NON_EXCLUSIVE: &str = "NON_EXCLUSIVE_THING";
/// A principal attached this way may be attached to no other thing.
pub const EXCLUSIVE: &str = "EXCLUSIVE_THING";

/// A `(name, thingPrincipalType)` pair: a principal of a thing, or a thing of a principal.
pub type Attachment = (String, String);

impl Registry {
    /// The stored key of `principal` after checking it names an existing certificate.
    fn existing_principal(&self, inner: &Inner, principal: &str) -> IotResult<String> {
        let Some(id) = cert_id_of(self, principal) else {
            // Cognito identities and other principal kinds do not exist in the emulator.
            return Err(IotError::invalid(format!(
                "The principal {principal} is not a certificate ARN of this account"
            )));
        };
        if !inner.certificates.contains(&id) {
            return Err(IotError::not_found(
                "The certificate given in the principal does not exist.",
            ));
        }
        Ok(self.account().cert_arn(&id))
    }

    /// AttachThingPrincipal; `kind` defaults to NON_EXCLUSIVE_THING.
    pub fn attach_thing_principal(
        &self,
        thing_name: &str,
        principal: &str,
        kind: Option<&str>,
    ) -> IotResult<()> {
        validate::thing_name("thingName", thing_name)?;
        let kind = kind.unwrap_or(NON_EXCLUSIVE);
        principal_type("thingPrincipalType", kind)?;
        self.write(|inner, tx| {
            self.attach_thing_principal_tx(inner, tx, thing_name, principal, kind)
        })
    }

    /// AttachThingPrincipal as a step of a larger write (`kind` already checked).
    pub(crate) fn attach_thing_principal_tx(
        &self,
        inner: &mut Inner,
        tx: &mut Tx,
        thing_name: &str,
        principal: &str,
        kind: &str,
    ) -> IotResult<()> {
        if !inner.things.contains(thing_name) {
            return Err(thing_not_found(thing_name));
        }
        let key = self.existing_principal(inner, principal)?;
        let others = inner
            .things_of_principal(&key)
            .filter(|(t, _)| t.thing_name != thing_name);
        for (other, other_kind) in others {
            let other = &other.thing_name;
            if kind == EXCLUSIVE || other_kind == EXCLUSIVE {
                return Err(IotError::invalid(format!(
                    "Principal {principal} is already attached to thing {other}; an exclusive attachment allows only one thing"
                )));
            }
        }
        inner.things.update(tx, thing_name, |t| {
            t.principals.insert(key, kind.to_string());
        });
        Ok(())
    }

    /// DetachThingPrincipal. Detaching a principal that is not attached succeeds, as the
    /// call is idempotent in AWS's asynchronous model (our choice; AWS does not document it).
    pub fn detach_thing_principal(&self, thing_name: &str, principal: &str) -> IotResult<()> {
        validate::thing_name("thingName", thing_name)?;
        self.write(|inner, tx| {
            let Some(thing) = inner.things.get(thing_name) else {
                return Err(thing_not_found(thing_name));
            };
            let key = self.principal_key(principal);
            if thing.principals.contains_key(&key) {
                inner
                    .things
                    .update(tx, thing_name, |t| t.principals.remove(&key));
                return Ok(());
            }
            self.existing_principal(inner, principal).map(|_| ())
        })
    }

    /// ListThingPrincipals / ListThingPrincipalsV2: the thing's principals, by ARN.
    pub fn list_thing_principals(
        &self,
        thing_name: &str,
        kind: Option<&str>,
    ) -> IotResult<Vec<Attachment>> {
        validate::thing_name("thingName", thing_name)?;
        if let Some(k) = kind {
            principal_type("thingPrincipalType", k)?;
        }
        // AWS's own wording for this operation, not the usual "cannot be found".
        let missing = || {
            IotError::not_found(format!(
                "Failed to list principals for thing {thing_name} because the thing does not exist in your account"
            ))
        };
        let thing = self
            .read(|inner| inner.things.get(thing_name).cloned())
            .ok_or_else(missing)?;
        Ok(thing
            .principals
            .into_iter()
            .filter(|(_, k)| kind.is_none_or(|want| want == k))
            .collect())
    }

    /// ListPrincipalThings / ListPrincipalThingsV2: the things a principal is attached to.
    pub fn list_principal_things(
        &self,
        principal: &str,
        kind: Option<&str>,
    ) -> IotResult<Vec<Attachment>> {
        if let Some(k) = kind {
            principal_type("thingPrincipalType", k)?;
        }
        self.read(|inner| {
            let key = self.existing_principal(inner, principal)?;
            Ok(inner
                .things_of_principal(&key)
                .filter(|(_, k)| kind.is_none_or(|want| want == *k))
                .map(|(t, k)| (t.thing_name.clone(), k.to_string()))
                .collect())
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use crate::registry::thing_ops::tests::registry;
    use crate::registry::ErrorKind;

    /// Inserts a certificate record with `id` and returns its ARN.
    pub(crate) fn fake_cert(r: &Registry, id: &str) -> String {
        crate::registry::testing::insert_certificate(r, id)
    }

    fn thing(r: &Registry, name: &str) {
        r.create_thing(name, Default::default()).unwrap();
    }

    #[test]
    fn attach_list_detach() {
        let r = registry();
        let arn = fake_cert(&r, &"a".repeat(64));
        thing(&r, "t1");
        thing(&r, "t2");
        r.attach_thing_principal("t1", &arn, None).unwrap();
        r.attach_thing_principal("t2", &arn, None).unwrap();
        let things = r.list_principal_things(&arn, None).unwrap();
        assert_eq!(things.len(), 2);
        assert_eq!(r.things_for_principal(&arn).len(), 2);
        let ps = r.list_thing_principals("t1", None).unwrap();
        assert_eq!(ps, vec![(arn.clone(), NON_EXCLUSIVE.to_string())]);
        let e = r.delete_thing("t1", None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        r.detach_thing_principal("t1", &arn).unwrap();
        r.detach_thing_principal("t1", &arn).unwrap();
        r.delete_thing("t1", None).unwrap();
        assert_eq!(r.things_for_principal(&arn).len(), 1);
    }

    #[test]
    fn exclusive_and_missing() {
        let r = registry();
        let arn = fake_cert(&r, &"b".repeat(64));
        thing(&r, "t1");
        thing(&r, "t2");
        r.attach_thing_principal("t1", &arn, Some(EXCLUSIVE))
            .unwrap();
        let e = r.attach_thing_principal("t2", &arn, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        r.attach_thing_principal("t1", &arn, Some(EXCLUSIVE))
            .unwrap();
        let v2 = r.list_thing_principals("t1", Some(NON_EXCLUSIVE)).unwrap();
        assert!(v2.is_empty());
        let missing = r.account().cert_arn(&"c".repeat(64));
        let e = r.attach_thing_principal("t1", &missing, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        let e = r.attach_thing_principal("nope", &arn, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        let e = r.list_principal_things(&missing, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        let e = r
            .attach_thing_principal("t1", &arn, Some("BAD"))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
    }

    /// The principal index follows rollback and is rebuilt from the store on open.
    #[test]
    fn the_principal_index_follows_rollback_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let open = || {
            let store = crate::basis::Store::open(&dir.path().join("r.redb")).unwrap();
            let account = crate::registry::Account {
                region: "us-east-1".into(),
                account_id: "123456789012".into(),
            };
            let clock = crate::basis::Clock::frozen(0);
            let entropy = std::sync::Arc::new(crate::basis::Entropy::new(1));
            Registry::open(Some(store), account, clock, entropy).unwrap()
        };
        let r = open();
        let arn = fake_cert(&r, &"d".repeat(64));
        thing(&r, "t1");
        thing(&r, "t2");
        let failed = r.write(|inner, tx| {
            r.attach_thing_principal_tx(inner, tx, "t1", &arn, EXCLUSIVE)?;
            Err::<(), _>(crate::registry::IotError::invalid("undo"))
        });
        assert!(failed.is_err());
        assert!(r.things_for_principal(&arn).is_empty(), "rolled back");
        r.attach_thing_principal("t2", &arn, Some(EXCLUSIVE))
            .unwrap();
        drop(r);
        let r = open();
        let things = r.list_principal_things(&arn, None).unwrap();
        assert_eq!(things, vec![("t2".to_string(), EXCLUSIVE.to_string())]);
        let e = r.attach_thing_principal("t1", &arn, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "t2 holds it exclusively");
        r.detach_thing_principal("t2", &arn).unwrap();
        r.attach_thing_principal("t1", &arn, None).unwrap();
        assert_eq!(r.things_for_principal(&arn)[0].thing_name, "t1");
    }
}
