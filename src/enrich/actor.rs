//! Who acted: the principal a person would name, from `userIdentity`.
//!
//! An assumed role's `userIdentity.arn` carries the session name, so every session would look
//! like a new principal; the actor is the role. An IAM Identity Center role
//! (`AWSReservedSSO_*`) is shared by everyone with that permission set, so there the session
//! name, which is the person, stays in the actor's name.

use crate::rules::{Doc, Node};

/// What kind of principal acted (`enrichment.actor.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    IamUser,
    /// A role, whatever the session.
    Role,
    /// A person through an IAM Identity Center permission set.
    SsoUser,
    /// A federated user or web-identity/SAML principal.
    Federated,
    /// An AWS service acting for the account.
    Service,
    /// Anything else (another account, an unknown type).
    Other,
}

impl ActorKind {
    /// The name rules match on.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Root => "root",
            ActorKind::IamUser => "iam-user",
            ActorKind::Role => "role",
            ActorKind::SsoUser => "sso-user",
            ActorKind::Federated => "federated",
            ActorKind::Service => "service",
            ActorKind::Other => "other",
        }
    }
}

/// The principal behind a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `enrichment.actor.name`, where the record says enough to name one.
    pub name: Option<String>,
    /// `enrichment.actor.kind`.
    pub kind: ActorKind,
    /// `enrichment.actor.session`: the role session's name, where there is one.
    pub session: Option<String>,
    /// The account the principal belongs to (`userIdentity.accountId`).
    pub account: Option<String>,
}

/// The string at `path`, if it is one.
pub(super) fn text<'d>(doc: &'d dyn Doc, path: &[&str]) -> Option<&'d str> {
    match doc.at(path)? {
        Node::Str(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// The `userIdentity` fields that name an actor, as strings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity<'a> {
    /// `type`.
    pub kind: Option<&'a str>,
    /// `arn`.
    pub arn: Option<&'a str>,
    /// `principalId`.
    pub principal_id: Option<&'a str>,
    /// `accountId`.
    pub account_id: Option<&'a str>,
    /// `userName`.
    pub user_name: Option<&'a str>,
    /// `invokedBy`.
    pub invoked_by: Option<&'a str>,
    /// `identityProvider`.
    pub identity_provider: Option<&'a str>,
    /// `sessionContext.sessionIssuer.arn`.
    pub issuer_arn: Option<&'a str>,
}

/// The actor of `record`.
pub fn actor(record: &dyn Doc) -> Actor {
    let at = |field: &str| text(record, &["userIdentity", field]);
    let identity = Identity {
        kind: at("type"),
        arn: at("arn"),
        principal_id: at("principalId"),
        account_id: at("accountId"),
        user_name: at("userName"),
        invoked_by: at("invokedBy").or_else(|| {
            text(record, &["sourceIPAddress"]).filter(|_| at("type") == Some("AWSService"))
        }),
        identity_provider: at("identityProvider"),
        issuer_arn: text(
            record,
            &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
        ),
    };
    identity.actor()
}

impl Identity<'_> {
    /// The actor these fields name.
    pub fn actor(&self) -> Actor {
        let own = |v: Option<&str>| v.map(str::to_string);
        let (kind, name, session) = match self.kind.unwrap_or("") {
            "Root" => (ActorKind::Root, own(self.arn), None),
            "IAMUser" => (ActorKind::IamUser, own(self.arn), None),
            "AssumedRole" => assumed_role(self.arn, self.issuer_arn),
            "AWSService" => (ActorKind::Service, own(self.invoked_by), None),
            "FederatedUser" => (
                ActorKind::Federated,
                own(self.arn.or(self.principal_id)),
                None,
            ),
            "WebIdentityUser" | "SAMLUser" => (
                ActorKind::Federated,
                match (self.identity_provider, self.user_name) {
                    (Some(provider), Some(user)) => Some(format!("{provider}:{user}")),
                    _ => own(self.principal_id),
                },
                None,
            ),
            _ => (
                ActorKind::Other,
                own(self.arn.or(self.principal_id).or(self.account_id)),
                None,
            ),
        };
        Actor {
            name,
            kind,
            session,
            account: own(self.account_id),
        }
    }
}

/// `arn:aws:sts::A:assumed-role/R/S`, issued by `arn:aws:iam::A:role/path/R`.
fn assumed_role(
    arn: Option<&str>,
    issuer: Option<&str>,
) -> (ActorKind, Option<String>, Option<String>) {
    let parsed = arn.and_then(|arn| {
        let (head, resource) = arn.split_once(":assumed-role/")?;
        let (role, session) = resource.split_once('/')?;
        // `arn:aws:sts::A` → partition and account, for a role ARN when no issuer is given.
        let mut parts = head.split(':');
        let partition = parts.nth(1)?;
        let account = parts.nth(2)?;
        Some((role, session, partition, account))
    });
    let Some((role, session, partition, account)) = parsed else {
        return (ActorKind::Role, issuer.or(arn).map(str::to_string), None);
    };
    let role_arn = issuer
        .map(str::to_string)
        .unwrap_or_else(|| format!("arn:{partition}:iam::{account}:role/{role}"));
    if role.starts_with("AWSReservedSSO_") {
        (
            ActorKind::SsoUser,
            Some(format!("{role_arn}/{session}")),
            Some(session.to_string()),
        )
    } else {
        (ActorKind::Role, Some(role_arn), Some(session.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn of(identity: Value) -> Actor {
        actor(&json!({ "userIdentity": identity, "sourceIPAddress": "203.0.113.7" }))
    }

    #[test]
    fn each_identity_shape_names_the_principal_a_person_would() {
        let user = of(
            json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice",
            "accountId": "111122223333"}),
        );
        assert_eq!(
            (user.kind, user.name.as_deref(), user.account.as_deref()),
            (
                ActorKind::IamUser,
                Some("arn:aws:iam::111122223333:user/alice"),
                Some("111122223333")
            )
        );
        let role = of(json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/deploy/i-0abc",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/ci/deploy"}}}));
        assert_eq!(role.kind, ActorKind::Role);
        assert_eq!(
            role.name.as_deref(),
            Some("arn:aws:iam::111122223333:role/ci/deploy")
        );
        assert_eq!(role.session.as_deref(), Some("i-0abc"));
        let bare = of(json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/deploy/other-session"}));
        assert_eq!(
            bare.name.as_deref(),
            Some("arn:aws:iam::111122223333:role/deploy"),
            "without an issuer the role ARN is built from the session ARN"
        );
        let sso = of(json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/jane@example.com",
            "sessionContext": {"sessionIssuer": {"arn":
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"}}}));
        assert_eq!(sso.kind, ActorKind::SsoUser);
        assert_eq!(
            sso.name.as_deref(),
            Some("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123/jane@example.com")
        );
        let root = of(json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root"}));
        assert_eq!(
            (root.kind, root.name.as_deref()),
            (ActorKind::Root, Some("arn:aws:iam::111122223333:root"))
        );
        let service = of(json!({"type": "AWSService", "invokedBy": "lightsail.amazonaws.com"}));
        assert_eq!(
            (service.kind, service.name.as_deref()),
            (ActorKind::Service, Some("lightsail.amazonaws.com"))
        );
        let federated = of(json!({"type": "FederatedUser",
            "arn": "arn:aws:sts::111122223333:federated-user/bob"}));
        assert_eq!(
            (federated.kind, federated.name.as_deref()),
            (
                ActorKind::Federated,
                Some("arn:aws:sts::111122223333:federated-user/bob")
            )
        );
        let web = of(
            json!({"type": "WebIdentityUser", "identityProvider": "accounts.google.com",
            "userName": "1234"}),
        );
        assert_eq!(web.name.as_deref(), Some("accounts.google.com:1234"));
        let cross = of(json!({"type": "AWSAccount", "accountId": "444455556666",
            "principalId": "AIDAEXAMPLE"}));
        assert_eq!(
            (cross.kind, cross.name.as_deref(), cross.account.as_deref()),
            (ActorKind::Other, Some("AIDAEXAMPLE"), Some("444455556666"))
        );
        assert_eq!(of(json!("not an object")).name, None);
    }
}
