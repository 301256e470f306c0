//! `client_auth: sasl-scram`: the KMS key, the `AmazonMSK_` secret it
//! encrypts, and the secret's association with the cluster. Desired
//! ([`ScramSpec`]) against actual ([`ScramActual`]), pure like the rest of
//! the plan: each returns the resource's plan with its steps.

use std::collections::BTreeMap;

use serde::Serialize;

use super::plan::{Action, FieldChange, ResourceKind, ResourcePlan, Step};
use crate::aws::scram::{KmsKey, ScramSecret};
use crate::naming::{is_managed, TAG_ENV};

/// Which key encrypts the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum KeySource {
    /// forgectl's own customer managed key, found by this alias.
    Managed { alias: String, description: String },
    /// The environment's `kms_key_arn`: used, never created or deleted.
    Given { arn: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct ScramSpec {
    pub key: KeySource,
    pub secret_name: String,
    pub secret_description: String,
    /// The SCRAM user the services log in as.
    pub username: String,
    pub tags: BTreeMap<String, String>,
}

/// What AWS holds for SCRAM.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScramActual {
    /// The key behind forgectl's alias (not looked up for a given key).
    pub key: Option<KmsKey>,
    pub secret: Option<ScramSecret>,
    /// Secrets associated with the cluster (empty without a cluster).
    pub associated: Vec<String>,
}

fn resource(kind: ResourceKind, name: &str, id: Option<String>, action: Action, reason: String) -> ResourcePlan {
    ResourcePlan { resource: kind, name: name.to_string(), id, action, reason, steps: Vec::new() }
}

fn refused(kind: ResourceKind, name: &str, id: Option<String>, reason: String) -> ResourcePlan {
    resource(kind, name, id, Action::Refused { reason: reason.clone() }, reason)
}

pub fn key(spec: &ScramSpec, actual: &ScramActual, env: &str) -> ResourcePlan {
    let kind = ResourceKind::ScramKey;
    let (alias, description) = match &spec.key {
        KeySource::Given { arn } => {
            return resource(kind, arn, Some(arn.clone()), Action::NoOp, "the environment's kms_key_arn".into());
        }
        KeySource::Managed { alias, description } => (alias, description),
    };
    let Some(key) = &actual.key else {
        let mut plan =
            resource(kind, alias, None, Action::Create, format!("no customer managed key {alias}: {description}"));
        plan.steps = vec![Step::CreateKey];
        return plan;
    };
    if !is_managed(&key.tags, env) {
        return refused(
            kind,
            alias,
            Some(key.arn.clone()),
            format!(
                "{} behind {alias} is not tagged {TAG_ENV}={env}; forgectl will not use a key it did not make",
                key.id
            ),
        );
    }
    if key.state != "Enabled" {
        return refused(
            kind,
            alias,
            Some(key.arn.clone()),
            format!(
                "key {} is {}: cancel its deletion or enable it (aws kms cancel-key-deletion / enable-key)",
                key.id, key.state
            ),
        );
    }
    resource(kind, alias, Some(key.arn.clone()), Action::NoOp, "exists with forgectl's tags".into())
}

/// Whether the secret's key (as Secrets Manager reports it) is `wanted`.
fn same_key(reported: Option<&str>, wanted: &KeySource, actual_key: Option<&KmsKey>) -> bool {
    let Some(reported) = reported else { return false };
    match wanted {
        KeySource::Given { arn } => reported == arn || arn.ends_with(&format!("/{reported}")),
        KeySource::Managed { alias, .. } => {
            reported == alias || actual_key.is_some_and(|key| reported == key.arn || reported == key.id)
        }
    }
}

pub fn secret(spec: &ScramSpec, actual: &ScramActual, env: &str, cluster: Option<&str>) -> ResourcePlan {
    let kind = ResourceKind::ScramSecret;
    let name = &spec.secret_name;
    let target = cluster.unwrap_or("the cluster");
    let Some(secret) = &actual.secret else {
        let mut plan = resource(
            kind,
            name,
            None,
            Action::Create,
            format!("no secret {name}: a generated password for {}, associated with {target}", spec.username),
        );
        plan.steps = vec![Step::CreateSecret, Step::AssociateSecret];
        return plan;
    };
    let id = Some(secret.arn.clone());
    if !is_managed(&secret.tags, env) {
        return refused(
            kind,
            name,
            id,
            format!("secret {name} is not tagged {TAG_ENV}={env}; forgectl will not hand out a login it did not make"),
        );
    }
    // A key created in this run cannot have encrypted an existing secret.
    if !same_key(secret.kms_key_id.as_deref(), &spec.key, actual.key.as_ref()) {
        let have = secret.kms_key_id.as_deref().unwrap_or("the default aws/secretsmanager key");
        return refused(
            kind,
            name,
            id,
            format!(
                "secret {name} is encrypted with {have}, not the environment's key; MSK needs a customer managed \
                 key (re-encrypt it with `aws secretsmanager update-secret --kms-key-id`, or delete it)"
            ),
        );
    }
    if actual.associated.contains(&secret.arn) {
        return resource(kind, name, id, Action::NoOp, format!("exists and is associated with {target}"));
    }
    let mut plan = resource(
        kind,
        name,
        id,
        Action::Update { changes: vec![FieldChange::new("association", "(not associated)", target)] },
        format!("not associated with {target}"),
    );
    plan.steps = vec![Step::AssociateSecret];
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::{MANAGED_BY, TAG_MANAGED_BY};

    fn ours() -> BTreeMap<String, String> {
        BTreeMap::from([(TAG_ENV.to_string(), "dev".to_string()), (TAG_MANAGED_BY.to_string(), MANAGED_BY.to_string())])
    }

    fn spec() -> ScramSpec {
        ScramSpec {
            key: KeySource::Managed { alias: "alias/fx-msk-scram".into(), description: "d".into() },
            secret_name: "AmazonMSK_fx-clients".into(),
            secret_description: "s".into(),
            username: "fx".into(),
            tags: ours(),
        }
    }

    fn key_of(tags: BTreeMap<String, String>) -> KmsKey {
        KmsKey { id: "k-1".into(), arn: "arn:aws:kms:r:1:key/k-1".into(), state: "Enabled".into(), tags }
    }

    fn secret_of(kms_key_id: Option<&str>, tags: BTreeMap<String, String>) -> ScramSecret {
        ScramSecret {
            arn: "arn:s".into(),
            name: "AmazonMSK_fx-clients".into(),
            kms_key_id: kms_key_id.map(str::to_string),
            tags,
        }
    }

    #[test]
    fn nothing_yet_creates_key_then_secret_and_association() {
        let actual = ScramActual::default();
        let key = key(&spec(), &actual, "dev");
        assert_eq!((key.action.clone(), key.steps.clone()), (Action::Create, vec![Step::CreateKey]));
        let secret = secret(&spec(), &actual, "dev", None);
        assert_eq!(secret.action, Action::Create);
        assert_eq!(secret.steps, vec![Step::CreateSecret, Step::AssociateSecret]);
    }

    #[test]
    fn converged_is_no_op_and_a_lost_association_is_restored() {
        let mut actual = ScramActual {
            key: Some(key_of(ours())),
            secret: Some(secret_of(Some("arn:aws:kms:r:1:key/k-1"), ours())),
            associated: vec!["arn:s".into()],
        };
        assert_eq!(key(&spec(), &actual, "dev").action, Action::NoOp);
        assert_eq!(secret(&spec(), &actual, "dev", Some("arn:c")).action, Action::NoOp);
        actual.associated.clear();
        let plan = secret(&spec(), &actual, "dev", Some("arn:c"));
        assert!(matches!(plan.action, Action::Update { .. }));
        assert_eq!(plan.steps, vec![Step::AssociateSecret]);
    }

    #[test]
    fn foreign_or_default_key_secrets_and_foreign_keys_are_refused() {
        let foreign = ScramActual { key: Some(key_of(BTreeMap::new())), ..ScramActual::default() };
        assert!(matches!(key(&spec(), &foreign, "dev").action, Action::Refused { .. }));
        let default_key =
            ScramActual { key: Some(key_of(ours())), secret: Some(secret_of(None, ours())), associated: Vec::new() };
        let plan = secret(&spec(), &default_key, "dev", Some("arn:c"));
        assert!(matches!(&plan.action, Action::Refused { reason } if reason.contains("aws/secretsmanager")));
        let not_ours = ScramActual {
            key: Some(key_of(ours())),
            secret: Some(secret_of(Some("k-1"), BTreeMap::new())),
            associated: Vec::new(),
        };
        assert!(matches!(secret(&spec(), &not_ours, "dev", None).action, Action::Refused { .. }));
    }

    #[test]
    fn a_given_key_is_used_and_never_created() {
        let given = ScramSpec { key: KeySource::Given { arn: "arn:aws:kms:r:1:key/mine".into() }, ..spec() };
        let actual =
            ScramActual { key: None, secret: Some(secret_of(Some("mine"), ours())), associated: vec!["arn:s".into()] };
        assert_eq!(key(&given, &actual, "dev").action, Action::NoOp);
        assert_eq!(secret(&given, &actual, "dev", Some("arn:c")).action, Action::NoOp);
    }
}
