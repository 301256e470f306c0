//! `forgectl images`: the ECR repositories the services' images go to, and
//! the registry login a CI job pipes into `docker login`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::ecr::{self, RegistryLogin};
use crate::aws::{AwsClients, AwsErrorKind};
use crate::fleet::desired;
use crate::fleet::plan::Change;
use crate::fleet::FleetError;
use crate::naming::fleet::{CONSUMER_REPOSITORY, PRODUCER_REPOSITORY};
use crate::naming::{MANAGED_BY, TAG_MANAGED_BY};

#[derive(Debug, Clone, Serialize)]
pub struct RepositoryResult {
    pub name: String,
    pub uri: String,
    pub change: Change,
}

/// Creates the two repositories (scan on push, keep the newest `keep`
/// images) or brings existing ones to those settings.
pub async fn init(clients: &AwsClients, keep: u32) -> Result<Vec<RepositoryResult>, FleetError> {
    // The repositories serve every environment of the account, so they carry
    // forgectl's marker but no environment tag.
    let tags = BTreeMap::from([(TAG_MANAGED_BY.to_string(), MANAGED_BY.to_string())]);
    let policy = desired::lifecycle_policy(keep);
    let mut results = Vec::new();
    for name in [PRODUCER_REPOSITORY, CONSUMER_REPOSITORY] {
        let (repo, mut change) = match ecr::find_repository(&clients.ecr, name).await? {
            Some(repo) => (repo, Change::Keep),
            None => match ecr::create_repository(&clients.ecr, name, &tags).await {
                Ok(repo) => (repo, Change::Create),
                // Another run created it a moment ago: use that one.
                Err(error) if error.is(AwsErrorKind::Conflict) => {
                    match ecr::find_repository(&clients.ecr, name).await? {
                        Some(repo) => (repo, Change::Keep),
                        None => return Err(error.into()),
                    }
                }
                Err(error) => return Err(error.into()),
            },
        };
        if !repo.scan_on_push {
            ecr::enable_scan_on_push(&clients.ecr, name).await?;
            change = change.max_with(Change::Update);
        }
        let current = ecr::lifecycle_policy(&clients.ecr, name).await?;
        if !current.is_some_and(|text| desired::same_json(&text, &policy)) {
            ecr::put_lifecycle_policy(&clients.ecr, name, &policy.to_string()).await?;
            change = change.max_with(Change::Update);
        }
        results.push(RepositoryResult { name: repo.name, uri: repo.uri, change });
    }
    Ok(results)
}

pub async fn login(clients: &AwsClients) -> Result<RegistryLogin, FleetError> {
    Ok(ecr::registry_login(&clients.ecr).await?)
}
