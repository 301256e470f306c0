//! `client_auth: sasl-scram` against AWS: read the key, the secret and the
//! association (`observe`), carry out their plan once the cluster is ACTIVE
//! (`apply`), and delete what forgectl made (`destroy`). The pure
//! comparison is `cluster::scram`.

use serde::Serialize;

use crate::aws::msk::MskCluster;
use crate::aws::scram::{self, KmsKey, ScramSecret};
use crate::aws::AwsClients;
use crate::cluster::plan::{Action, ResourceKind, Step};
use crate::cluster::scram::{KeySource, ScramActual};
use crate::cluster::{ControlPlaneError, Plan, Target};
use crate::naming::{is_managed, Names};
use crate::ops::cluster::apply::Applied;
use crate::progress::Progress;

/// What AWS holds for the target's SCRAM resources; empty without SCRAM.
pub async fn observe(
    clients: &AwsClients,
    target: &Target,
    cluster: Option<&MskCluster>,
) -> Result<ScramActual, ControlPlaneError> {
    let Some(spec) = &target.scram else { return Ok(ScramActual::default()) };
    let key = async {
        match &spec.key {
            KeySource::Managed { alias, .. } => scram::find_key_by_alias(&clients.kms, alias).await,
            KeySource::Given { .. } => Ok(None),
        }
    };
    let secret = scram::describe_secret(&clients.secretsmanager, &spec.secret_name);
    let associated = async {
        match cluster {
            Some(cluster) => scram::associated_secrets(&clients.kafka, &cluster.arn).await,
            None => Ok(Vec::new()),
        }
    };
    let (key, secret, associated) = futures::try_join!(key, secret, associated)?;
    Ok(ScramActual { key, secret, associated })
}

/// Carries out the SCRAM part of `plan` on the ACTIVE `cluster`: the key,
/// then the secret encrypted with it, then the association.
pub async fn apply(
    clients: &AwsClients,
    target: &Target,
    plan: &Plan,
    actual: &ScramActual,
    cluster: &MskCluster,
    progress: &dyn Progress,
) -> Result<Vec<Applied>, ControlPlaneError> {
    let Some(spec) = &target.scram else { return Ok(Vec::new()) };
    let mut applied = Vec::new();
    let mut key_arn = match &spec.key {
        KeySource::Given { arn } => Some(arn.clone()),
        KeySource::Managed { .. } => actual.key.as_ref().map(|key| key.arn.clone()),
    };
    if let (Some(resource), KeySource::Managed { alias, description }) =
        (plan.resource(ResourceKind::ScramKey).filter(|r| r.steps.contains(&Step::CreateKey)), &spec.key)
    {
        let key = scram::create_key(&clients.kms, alias, description, &spec.tags).await?;
        let note = format!("created KMS key {} ({alias})", key.id);
        progress.info(&note);
        applied.push(Applied {
            resource: resource.resource,
            name: alias.clone(),
            id: key.arn.clone(),
            what: vec![note],
        });
        key_arn = Some(key.arn);
    }
    let Some(resource) = plan.resource(ResourceKind::ScramSecret).filter(|r| !matches!(r.action, Action::NoOp)) else {
        return Ok(applied);
    };
    let mut what = Vec::new();
    let mut secret_arn = actual.secret.as_ref().map(|secret| secret.arn.clone());
    if resource.steps.contains(&Step::CreateSecret) {
        let key_arn = key_arn
            .ok_or_else(|| ControlPlaneError::Vanished { resource: format!("the KMS key for {}", spec.secret_name) })?;
        let arn = scram::create_secret(
            &clients.secretsmanager,
            &spec.secret_name,
            &spec.username,
            &key_arn,
            &spec.secret_description,
            &spec.tags,
        )
        .await?;
        what.push(note(
            progress,
            format!("created secret {} (user {}, encrypted with {key_arn})", spec.secret_name, spec.username),
        ));
        secret_arn = Some(arn);
    }
    let arn =
        secret_arn.ok_or_else(|| ControlPlaneError::Vanished { resource: format!("secret {}", spec.secret_name) })?;
    if resource.steps.contains(&Step::AssociateSecret) {
        scram::associate(&clients.kafka, &cluster.arn, &arn).await?;
        what.push(note(progress, format!("associated secret {} with cluster {}", spec.secret_name, cluster.name)));
    }
    applied.push(Applied { resource: resource.resource, name: spec.secret_name.clone(), id: arn, what });
    Ok(applied)
}

fn note(progress: &dyn Progress, text: String) -> String {
    progress.info(&text);
    text
}

/// forgectl's SCRAM secret and key for the environment, if they carry its
/// tags; lookalikes found by name alone are returned apart, to be named in
/// a warning and left alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Owned {
    pub secret: Option<ScramSecret>,
    pub key: Option<(String, KmsKey)>,
    pub foreign: Vec<String>,
}

impl Owned {
    pub fn is_empty(&self) -> bool {
        self.secret.is_none() && self.key.is_none()
    }

    pub fn listing(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.secret.iter().map(|secret| format!("secret {}", secret.name)));
        out.extend(self.key.iter().map(|(alias, key)| format!("KMS key {} ({alias})", key.id)));
        out
    }
}

/// Looks the secret and key up by name, whatever the environment's current
/// `client_auth`: an environment switched away from SCRAM still owns them.
pub async fn discover(clients: &AwsClients, env: &str, names: &Names) -> Result<Owned, ControlPlaneError> {
    let (secret, key) = futures::try_join!(
        scram::describe_secret(&clients.secretsmanager, &names.scram_secret),
        scram::find_key_by_alias(&clients.kms, &names.scram_key_alias),
    )?;
    let mut owned = Owned::default();
    match secret {
        Some(secret) if is_managed(&secret.tags, env) => owned.secret = Some(secret),
        Some(secret) => owned.foreign.push(format!("secret {}", secret.name)),
        None => {}
    }
    match key {
        Some(key) if key.state == "PendingDeletion" => {}
        Some(key) if is_managed(&key.tags, env) => owned.key = Some((names.scram_key_alias.clone(), key)),
        Some(key) => owned.foreign.push(format!("KMS key {} ({})", key.id, names.scram_key_alias)),
        None => {}
    }
    Ok(owned)
}

/// Deletes the secret (at once) and schedules the key's deletion (KMS's
/// shortest window); run after the cluster is gone, which ends the association.
pub async fn destroy(
    clients: &AwsClients,
    owned: &Owned,
    progress: &dyn Progress,
) -> Result<Vec<(ResourceKind, String, String)>, ControlPlaneError> {
    let mut deleted = Vec::new();
    if let Some(secret) = &owned.secret {
        scram::delete_secret(&clients.secretsmanager, &secret.arn).await?;
        progress.info(format!("deleted secret {}", secret.name));
        deleted.push((ResourceKind::ScramSecret, secret.name.clone(), secret.arn.clone()));
    }
    if let Some((alias, key)) = &owned.key {
        scram::retire_key(&clients.kms, alias, key).await?;
        progress.info(format!(
            "scheduled KMS key {} ({alias}) for deletion in {} days",
            key.id,
            scram::KEY_DELETION_WINDOW_DAYS
        ));
        deleted.push((ResourceKind::ScramKey, alias.clone(), key.arn.clone()));
    }
    Ok(deleted)
}
