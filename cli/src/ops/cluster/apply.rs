//! Carries out a plan, resource by resource in dependency order: client SG,
//! broker SG (its rules need the client SG's ID), configuration, cluster
//! (it needs all three). Every step is one AWS call whose effect the next
//! run's plan sees, so stopping anywhere and re-running resumes.

use serde::Serialize;

use crate::aws::api::{Ec2Api, MskApi};
use crate::aws::msk::{MskCluster, Placement};
use crate::cluster::target::SecurityGroupSpec;
use crate::cluster::{Action, Actual, ControlPlaneError, Plan, ResourceKind, ResourcePlan, Step, Target};
use crate::ops::cluster::wait::{self, Deadline};
use crate::progress::Progress;

/// What was done to one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub resource: ResourceKind,
    pub name: String,
    pub id: String,
    pub what: Vec<String>,
}

/// Generic over the AWS calls, so unit tests run plans against a fake.
pub struct Applier<'a, A> {
    pub aws: &'a A,
    pub progress: &'a dyn Progress,
    pub target: &'a Target,
    pub deadline: Deadline,
}

/// IDs known so far: from AWS for what exists, from the create calls for
/// what this run made.
#[derive(Default)]
struct Known {
    client_sg: Option<String>,
    broker_sg: Option<String>,
    configuration: Option<(String, i64)>,
}

impl<A: Ec2Api + MskApi> Applier<'_, A> {
    /// Applies `plan` (which must not be refused) and returns what it did
    /// and the cluster as it ends up.
    pub async fn apply(&self, plan: &Plan, actual: &Actual) -> Result<(Vec<Applied>, MskCluster), ControlPlaneError> {
        let mut known = Known {
            client_sg: actual.client_sg.as_ref().map(|g| g.id.clone()),
            broker_sg: actual.broker_sg.as_ref().map(|g| g.id.clone()),
            configuration: actual.configuration.as_ref().map(|c| (c.arn.clone(), c.latest_revision)),
        };
        let mut applied = Vec::new();
        let mut cluster = actual.cluster.clone();
        for resource in &plan.resources {
            if matches!(resource.action, Action::NoOp | Action::Refused { .. }) {
                continue;
            }
            let done = match resource.resource {
                // Applied by `scram::apply` once the cluster is ACTIVE.
                ResourceKind::Network | ResourceKind::ScramKey | ResourceKind::ScramSecret => continue,
                ResourceKind::ClientSecurityGroup => self.client_sg(resource, actual, &mut known).await?,
                ResourceKind::BrokerSecurityGroup => self.broker_sg(resource, actual, &mut known).await?,
                ResourceKind::Configuration => self.configuration(resource, actual, &mut known).await?,
                ResourceKind::Cluster => {
                    let (done, updated) = self.cluster(resource, actual, &known).await?;
                    cluster = Some(updated);
                    done
                }
            };
            applied.push(done);
        }
        let cluster = cluster
            .ok_or_else(|| ControlPlaneError::Vanished { resource: format!("cluster {}", self.target.cluster.name) })?;
        Ok((applied, cluster))
    }

    fn note(&self, text: String) -> String {
        self.progress.info(&text);
        text
    }

    /// The group's ID: the one already found, or a new group (tagged at
    /// creation) when the plan creates it. Returns whether it was created.
    async fn ensure_security_group(
        &self,
        spec: &SecurityGroupSpec,
        known: Option<&String>,
        resource: &ResourcePlan,
        actual: &Actual,
        what: &mut Vec<String>,
    ) -> Result<(String, bool), ControlPlaneError> {
        if let Some(id) = known.filter(|_| resource.action != Action::Create) {
            return Ok((id.clone(), false));
        }
        let id =
            self.aws.create_security_group(&spec.name, &spec.description, &actual.network.vpc_id, &spec.tags).await?;
        what.push(self.note(format!("created security group {} ({id})", spec.name)));
        Ok((id, true))
    }

    async fn client_sg(
        &self,
        resource: &ResourcePlan,
        actual: &Actual,
        known: &mut Known,
    ) -> Result<Applied, ControlPlaneError> {
        let spec = &self.target.client_sg;
        let mut what = Vec::new();
        let (id, _) = self.ensure_security_group(spec, known.client_sg.as_ref(), resource, actual, &mut what).await?;
        known.client_sg = Some(id.clone());
        for step in &resource.steps {
            if let Step::Tags(tags) = step {
                self.aws.tag(&id, tags).await?;
                what.push(self.note(format!("tagged {} with {}", spec.name, describe_tags(tags))));
            }
        }
        Ok(Applied { resource: resource.resource, name: spec.name.clone(), id, what })
    }

    async fn broker_sg(
        &self,
        resource: &ResourcePlan,
        actual: &Actual,
        known: &mut Known,
    ) -> Result<Applied, ControlPlaneError> {
        let spec = &self.target.broker_sg;
        let client = known.client_sg.clone().ok_or_else(|| ControlPlaneError::Vanished {
            resource: format!("security group {}", self.target.client_sg.name),
        })?;
        let mut what = Vec::new();
        let (id, created) =
            self.ensure_security_group(spec, known.broker_sg.as_ref(), resource, actual, &mut what).await?;
        // A new group has no rules yet: it gets exactly the ports of the mode.
        let steps =
            if created { vec![Step::Authorize(self.target.broker_ports.clone())] } else { resource.steps.clone() };
        known.broker_sg = Some(id.clone());
        for step in &steps {
            match step {
                Step::Authorize(ports) => {
                    self.aws.authorize_ingress((&id, &spec.name), ports, &client).await?;
                    let ports = ports.iter().map(|p| format!("tcp/{p}")).collect::<Vec<_>>().join(", ");
                    what.push(self.note(format!("{}: allowed {ports} from {client}", spec.name)));
                }
                Step::Revoke(rules) => {
                    self.aws.revoke_ingress((&id, &spec.name), rules).await?;
                    for rule in rules {
                        what.push(self.note(format!("{}: revoked {rule}", spec.name)));
                    }
                }
                Step::Tags(tags) => {
                    self.aws.tag(&id, tags).await?;
                    what.push(self.note(format!("tagged {} with {}", spec.name, describe_tags(tags))));
                }
                _ => {}
            }
        }
        Ok(Applied { resource: resource.resource, name: spec.name.clone(), id, what })
    }

    async fn configuration(
        &self,
        resource: &ResourcePlan,
        actual: &Actual,
        known: &mut Known,
    ) -> Result<Applied, ControlPlaneError> {
        let spec = &self.target.configuration;
        let properties = spec.server_properties();
        let (arn, revision, what) = match (&resource.action, &actual.configuration) {
            (Action::Update { .. }, Some(existing)) if resource.steps.contains(&Step::NewRevision) => {
                let revision = self.aws.update_configuration(existing, &properties).await?;
                let note = self.note(format!("configuration {}: wrote revision {revision}", spec.name));
                (existing.arn.clone(), revision, note)
            }
            _ => {
                let (arn, revision) = self
                    .aws
                    .create_configuration(&spec.name, &spec.description, &spec.kafka_versions, &properties)
                    .await?;
                let note = self.note(format!("created configuration {} (revision {revision})", spec.name));
                (arn, revision, note)
            }
        };
        known.configuration = Some((arn.clone(), revision));
        Ok(Applied { resource: resource.resource, name: spec.name.clone(), id: arn, what: vec![what] })
    }

    async fn cluster(
        &self,
        resource: &ResourcePlan,
        actual: &Actual,
        known: &Known,
    ) -> Result<(Applied, MskCluster), ControlPlaneError> {
        let spec = &self.target.cluster;
        let missing = |what: &str| ControlPlaneError::Vanished { resource: what.to_string() };
        let (configuration_arn, configuration_revision) = known
            .configuration
            .clone()
            .ok_or_else(|| missing(&format!("configuration {}", self.target.configuration.name)))?;
        let mut what = Vec::new();
        let mut cluster = match (&resource.action, &actual.cluster) {
            (Action::Update { .. }, Some(existing)) => existing.clone(),
            _ => {
                let broker_sg = known
                    .broker_sg
                    .clone()
                    .ok_or_else(|| missing(&format!("security group {}", self.target.broker_sg.name)))?;
                let subnets = actual.network.subnet_ids();
                let placement = Placement {
                    subnets: &subnets,
                    security_group: &broker_sg,
                    configuration_arn: &configuration_arn,
                    configuration_revision,
                };
                let arn = self.aws.create_cluster(spec, &placement).await?;
                what.push(self.note(format!("creating cluster {} (CreateClusterV2 accepted)", spec.name)));
                let cluster =
                    wait::until_active(self.aws, self.progress, &arn, &spec.name, "creating", self.deadline).await?;
                what.push(self.note(format!("cluster {} is ACTIVE", spec.name)));
                return Ok((Applied { resource: resource.resource, name: spec.name.clone(), id: arn, what }, cluster));
            }
        };
        for step in &resource.steps {
            // A run interrupted mid-update re-plans from the old state; once the
            // cluster is ACTIVE again, a change MSK already made is skipped.
            if already_done(step, &cluster, &configuration_arn, configuration_revision) {
                what.push(self.note(format!("cluster {}: {} already done", spec.name, describe_step(step))));
                continue;
            }
            let (operation, label) = match step {
                Step::WaitActive => {
                    let why = format!("resuming: the cluster was {} when this run started", cluster.state);
                    cluster =
                        wait::until_active(self.aws, self.progress, &cluster.arn, &spec.name, &why, self.deadline)
                            .await?;
                    what.push(self.note(format!("cluster {} is ACTIVE", spec.name)));
                    continue;
                }
                Step::Tags(tags) => {
                    self.aws.tag_cluster(&cluster, tags).await?;
                    what.push(self.note(format!("tagged cluster {} with {}", spec.name, describe_tags(tags))));
                    continue;
                }
                Step::BrokerCount(count) => (
                    self.aws.update_broker_count(&cluster, *count).await?,
                    format!("brokers {} → {count}", cluster.broker_count),
                ),
                Step::BrokerStorage(gib) => (
                    self.aws.update_broker_storage(&cluster, *gib).await?,
                    format!("storage {} → {gib} GiB per broker", cluster.ebs_volume_gib.unwrap_or_default()),
                ),
                Step::BrokerType(broker_type) => (
                    self.aws.update_broker_type(&cluster, broker_type).await?,
                    format!("broker type {} → {broker_type}", cluster.broker_type.as_deref().unwrap_or("?")),
                ),
                Step::Monitoring(level) => {
                    (self.aws.update_monitoring(&cluster, level).await?, format!("enhanced monitoring → {level}"))
                }
                Step::Configuration => (
                    self.aws.update_cluster_configuration(&cluster, &configuration_arn, configuration_revision).await?,
                    format!("configuration → revision {configuration_revision}"),
                ),
                Step::Authorize(_)
                | Step::Revoke(_)
                | Step::NewRevision
                | Step::CreateKey
                | Step::CreateSecret
                | Step::AssociateSecret => continue,
            };
            self.progress.info(format!("cluster {}: {label} (operation {operation})", spec.name));
            wait::operation(self.aws, self.progress, &operation, &spec.name, &label, self.deadline).await?;
            // The operation moved CurrentVersion on: read it before the next change.
            cluster =
                wait::until_active(self.aws, self.progress, &cluster.arn, &spec.name, "refreshing", self.deadline)
                    .await?;
            what.push(self.note(format!("cluster {}: {label} done", spec.name)));
        }
        Ok((Applied { resource: resource.resource, name: spec.name.clone(), id: cluster.arn.clone(), what }, cluster))
    }
}

fn describe_tags(tags: &std::collections::BTreeMap<String, String>) -> String {
    tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// Whether the (freshly read) cluster already has what `step` would set.
fn already_done(step: &Step, cluster: &MskCluster, configuration_arn: &str, revision: i64) -> bool {
    match step {
        Step::BrokerCount(count) => cluster.broker_count >= *count,
        Step::BrokerStorage(gib) => cluster.ebs_volume_gib.is_some_and(|have| have >= *gib),
        Step::BrokerType(broker_type) => cluster.broker_type.as_deref() == Some(broker_type.as_str()),
        Step::Monitoring(level) => cluster.enhanced_monitoring.as_deref() == Some(level.as_str()),
        Step::Configuration => {
            cluster.configuration_arn.as_deref() == Some(configuration_arn)
                && cluster.configuration_revision == Some(revision)
        }
        Step::WaitActive
        | Step::Tags(_)
        | Step::Authorize(_)
        | Step::Revoke(_)
        | Step::NewRevision
        | Step::CreateKey
        | Step::CreateSecret
        | Step::AssociateSecret => false,
    }
}

fn describe_step(step: &Step) -> String {
    match step {
        Step::BrokerCount(count) => format!("brokers → {count}"),
        Step::BrokerStorage(gib) => format!("storage → {gib} GiB"),
        Step::BrokerType(broker_type) => format!("broker type → {broker_type}"),
        Step::Monitoring(level) => format!("enhanced monitoring → {level}"),
        Step::Configuration => "configuration".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
