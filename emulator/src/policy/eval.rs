//! The evaluator: which statements of which policies apply to one request, and the IAM
//! decision (an explicit Deny anywhere wins, then any Allow, otherwise an implicit deny).
//! Pure: the request context arrives through [`Variables`].

use super::document::{Effect, Matcher, PolicyDocument, Statement};
use super::operators;
use super::pattern::{self, Variables};

/// The version under which policy variables are resolved (IAM's rule, spec A.1).
const VARIABLES_VERSION: &str = "2012-10-17";

/// One authorization question: `action` (e.g. `iot:Publish`) on `resource` (a full ARN).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
}

/// The final decision, named as TestAuthorization's `authDecision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    /// The `authDecision` wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "ALLOWED",
            Decision::ExplicitDeny => "EXPLICIT_DENY",
            Decision::ImplicitDeny => "IMPLICIT_DENY",
        }
    }
}

/// What a set of policies says about one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// Names of the policies with an applicable Allow statement.
    pub allowed: Vec<String>,
    /// Names of the policies with an applicable Deny statement.
    pub denied: Vec<String>,
    /// Names of the policies that neither allow nor deny.
    pub silent: Vec<String>,
    /// Context keys a statement referred to and the request did not have.
    pub missing: Vec<String>,
}

impl Evaluation {
    pub fn decision(&self) -> Decision {
        if !self.denied.is_empty() {
            Decision::ExplicitDeny
        } else if !self.allowed.is_empty() {
            Decision::Allowed
        } else {
            Decision::ImplicitDeny
        }
    }

    pub fn is_allowed(&self) -> bool {
        self.decision() == Decision::Allowed
    }
}

/// Evaluates `request` against the named policies.
pub fn evaluate<'p>(
    policies: impl IntoIterator<Item = (&'p str, &'p PolicyDocument)>,
    request: Request<'_>,
    vars: &dyn Variables,
) -> Evaluation {
    let mut out = Evaluation::default();
    for (name, document) in policies {
        let (allow, deny) = document_effects(document, request, vars, &mut out.missing);
        let list = match (allow, deny) {
            (_, true) => &mut out.denied,
            (true, false) => &mut out.allowed,
            (false, false) => &mut out.silent,
        };
        list.push(name.to_string());
    }
    out.missing.sort();
    out.missing.dedup();
    out
}

/// Whether `request` is allowed by `policies` (the broker's yes/no form).
pub fn allows<'p>(
    policies: impl IntoIterator<Item = &'p PolicyDocument>,
    request: Request<'_>,
    vars: &dyn Variables,
) -> bool {
    let mut allowed = false;
    let mut missing = Vec::new();
    for document in policies {
        let (allow, deny) = document_effects(document, request, vars, &mut missing);
        if deny {
            return false;
        }
        allowed |= allow;
    }
    allowed
}

/// `(some Allow applies, some Deny applies)` for one document.
fn document_effects(
    document: &PolicyDocument,
    request: Request<'_>,
    vars: &dyn Variables,
    missing: &mut Vec<String>,
) -> (bool, bool) {
    let substitute = document.version.as_deref() == Some(VARIABLES_VERSION);
    let mut effects = (false, false);
    for statement in &document.statements {
        if applies(statement, request, vars, substitute, missing) {
            match statement.effect {
                Effect::Allow => effects.0 = true,
                Effect::Deny => effects.1 = true,
            }
        }
    }
    effects
}

/// A statement applies when its action, resource and every condition match.
fn applies(
    statement: &Statement,
    request: Request<'_>,
    vars: &dyn Variables,
    substitute: bool,
    missing: &mut Vec<String>,
) -> bool {
    action_matches(&statement.action, request.action)
        && resource_matches(
            &statement.resource,
            request.resource,
            vars,
            substitute,
            missing,
        )
        && statement
            .conditions
            .iter()
            .all(|c| operators::holds(c, vars, substitute, missing))
}

/// Actions compare case-insensitively, as in IAM; they hold no variables.
fn action_matches(matcher: &Matcher, action: &str) -> bool {
    let any = matcher
        .patterns
        .iter()
        .any(|p| pattern::glob_matches(p, action, true));
    any != matcher.negated
}

/// `Resource`: some pattern matches. `NotResource`: no pattern matches, and every pattern
/// could be resolved (an unresolvable variable makes the statement not apply).
fn resource_matches(
    matcher: &Matcher,
    resource: &str,
    vars: &dyn Variables,
    substitute: bool,
    missing: &mut Vec<String>,
) -> bool {
    let with = substitute.then_some(vars);
    let mut any = false;
    for raw in &matcher.patterns {
        match pattern::compile(raw, with) {
            Ok(pieces) => any |= pattern::matches(&pieces, resource, false),
            Err(name) => {
                missing.push(name);
                if matcher.negated {
                    return false;
                }
            }
        }
    }
    any != matcher.negated
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
