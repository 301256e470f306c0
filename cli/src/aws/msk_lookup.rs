//! Which MSK cluster is an environment's. Tags are the source of truth: a
//! cluster tagged `forgectl:env`=env and `forgectl:managed-by`=forgectl is
//! the environment's whatever its name, which is how a cluster adopted from
//! a runbook (it keeps the runbook's name) is found again. Without such a
//! cluster, the one named like forgectl would name it is reported too,
//! whoever owns it, so that the planner refuses to touch a foreign cluster
//! instead of trying to create a second one with the same name.

use aws_sdk_kafka::Client;

use super::call::Call;
use super::error::AwsError;
use super::msk::{convert, resource, MskCluster};
use crate::config::Environment;
use crate::naming::{is_managed, Names};

/// ListClustersV2 page size: MSK's maximum, so one call covers most accounts.
const LIST_PAGE_SIZE: i32 = 100;

/// Every provisioned cluster whose name starts with `prefix` (all of them
/// for an empty prefix), with its tags: ListClustersV2 returns them.
async fn list_clusters(client: &Client, prefix: &str, about: String) -> Result<Vec<MskCluster>, AwsError> {
    let call = Call::new("kafka:ListClustersV2", about);
    let mut request = client.list_clusters_v2().cluster_type_filter("PROVISIONED").max_results(LIST_PAGE_SIZE);
    if !prefix.is_empty() {
        request = request.cluster_name_filter(prefix);
    }
    let mut found = Vec::new();
    let mut pages = request.into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        for cluster in page.cluster_info_list() {
            found.push(convert(&call, cluster)?);
        }
    }
    Ok(found)
}

/// Every provisioned cluster whose name is exactly `name` (at most one: MSK
/// names are unique per account and region). One call in the common case.
pub async fn list_clusters_named(client: &Client, name: &str) -> Result<Vec<MskCluster>, AwsError> {
    // A prefix filter: it also returns e.g. `name-2`, dropped here.
    let clusters = list_clusters(client, name, resource(name)).await?;
    Ok(clusters.into_iter().filter(|cluster| cluster.name == name).collect())
}

/// The environment's cluster for the control plane: tagged as forgectl's
/// for `env` (see [`pick_environment_cluster`]), else the one named `name`.
pub async fn find_environment_cluster(client: &Client, env: &str, name: &str) -> Result<Option<MskCluster>, AwsError> {
    let clusters = list_clusters(client, "", format!("clusters tagged forgectl:env={env} or named {name}")).await?;
    Ok(pick_environment_cluster(clusters, env, name))
}

/// The environment's cluster for its users (deploy, topics, alarms): only
/// one tagged as forgectl's for the environment, whatever its name.
pub async fn find_cluster(client: &Client, env: &Environment) -> Result<Option<MskCluster>, AwsError> {
    let names = Names::for_env(env);
    let found = find_environment_cluster(client, &env.name, &names.cluster).await?;
    Ok(found.filter(|cluster| is_managed(&cluster.tags, &env.name)))
}

/// Tagged for `env` first (the one named `name` among several, else the
/// first by name, so every run picks the same), then the one named `name`.
pub fn pick_environment_cluster(clusters: Vec<MskCluster>, env: &str, name: &str) -> Option<MskCluster> {
    let (mut tagged, others): (Vec<MskCluster>, Vec<MskCluster>) =
        clusters.into_iter().partition(|cluster| is_managed(&cluster.tags, env));
    tagged.sort_by(|a, b| (a.name != name).cmp(&(b.name != name)).then(a.name.cmp(&b.name)));
    tagged.into_iter().next().or_else(|| others.into_iter().find(|cluster| cluster.name == name))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::aws::msk::ClientAuthState;
    use crate::naming::{MANAGED_BY, TAG_ENV, TAG_MANAGED_BY};

    fn cluster(name: &str, env: Option<&str>) -> MskCluster {
        let tags: BTreeMap<String, String> = env
            .map(|env| BTreeMap::from([(TAG_ENV.into(), env.into()), (TAG_MANAGED_BY.into(), MANAGED_BY.into())]))
            .unwrap_or_default();
        MskCluster {
            arn: format!("arn:aws:kafka:us-east-1:1:cluster/{name}/x"),
            name: name.into(),
            state: "ACTIVE".into(),
            state_info: None,
            current_version: "K1".into(),
            active_operation_arn: None,
            kafka_version: None,
            broker_count: 3,
            broker_type: None,
            ebs_volume_gib: None,
            client_subnets: vec![],
            security_groups: vec![],
            client_broker: None,
            in_cluster: None,
            kms_key_id: None,
            enhanced_monitoring: None,
            client_auth: ClientAuthState::default(),
            configuration_arn: None,
            configuration_revision: None,
            tags,
        }
    }

    fn picked(clusters: Vec<MskCluster>) -> Option<String> {
        pick_environment_cluster(clusters, "prod", "forgectl-prod").map(|cluster| cluster.name)
    }

    #[test]
    fn an_adopted_cluster_is_found_by_its_tags_whatever_its_name() {
        let found = picked(vec![cluster("other", None), cluster("mobileforge-sync-cluster", Some("prod"))]);
        assert_eq!(found.as_deref(), Some("mobileforge-sync-cluster"));
    }

    #[test]
    fn the_tagged_cluster_wins_over_a_foreign_one_with_forgectls_name() {
        let found = picked(vec![cluster("forgectl-prod", None), cluster("runbook", Some("prod"))]);
        assert_eq!(found.as_deref(), Some("runbook"));
    }

    #[test]
    fn without_tags_the_named_cluster_is_reported_for_the_planner_to_refuse() {
        assert_eq!(picked(vec![cluster("forgectl-prod", Some("dev"))]).as_deref(), Some("forgectl-prod"));
        assert_eq!(picked(vec![cluster("runbook", None)]), None);
    }

    #[test]
    fn among_several_tagged_clusters_the_pick_is_stable() {
        let found = picked(vec![cluster("b", Some("prod")), cluster("a", Some("prod"))]);
        assert_eq!(found.as_deref(), Some("a"));
        let found = picked(vec![cluster("a", Some("prod")), cluster("forgectl-prod", Some("prod"))]);
        assert_eq!(found.as_deref(), Some("forgectl-prod"));
    }
}
