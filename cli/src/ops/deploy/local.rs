//! `forgectl deploy` on the local provider: the services as processes,
//! replaced one instance at a time. A new instance must answer `/ready`
//! before an old one stops, and producers leave the balancer before they
//! stop, so uploads keep succeeding through a version change.

use std::path::PathBuf;
use std::time::Duration;

use forgectl_contract::env_vars;
use serde::Serialize;

use crate::config::Environment;
use crate::fleet::roles::{plan, RoleAction, RolePlan, RunningRole};
use crate::kafka::KafkaConnection;
use crate::local::api_key;
use crate::local::balancer::TARGETS_POLL;
use crate::local::process::{self, GRACEFUL_STOP};
use crate::local::release::{self, Artifacts, Release};
use crate::local::scrape;
use crate::local::state::{Instance, StateDir};
use crate::local::LocalError;
use crate::ops::local::runtime::{ensure_balancer, live_instances, wait_ready};
use crate::profile::{Profile, RoleName};
use crate::progress::Progress;
use crate::render::{service_env, MongoConnection, PostgresConnection};

#[derive(Debug, Clone)]
pub struct LocalDeployOptions {
    pub environment: Environment,
    pub profile: Profile,
    pub version: String,
    pub roles: Vec<RoleName>,
    pub artifacts: Artifacts,
    pub ready_timeout: Duration,
    /// Directory that holds `.forgectl/` (the working directory).
    pub base_dir: PathBuf,
    pub kafka: KafkaConnection,
    pub postgres: PostgresConnection,
    pub mongodb: Option<MongoConnection>,
    pub producer_port: u16,
    /// Where the stack's Prometheus reads scrape targets, if it runs one.
    pub scrape_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    pub environment: String,
    pub tier: String,
    pub version: String,
    pub roles: Vec<RolePlan>,
    pub started: Vec<String>,
    pub stopped: Vec<String>,
    pub producer_endpoint: Option<String>,
}

pub fn local_plan(options: &LocalDeployOptions) -> Result<Vec<RolePlan>, LocalError> {
    let state = StateDir::new(&options.base_dir, &options.environment.name);
    let live = live_instances(&state)?;
    let running: Vec<RunningRole> = crate::profile::RoleName::ALL
        .iter()
        .map(|role| RunningRole {
            role: *role,
            versions: live.iter().filter(|i| i.role == *role).map(|i| i.version.clone()).collect(),
        })
        .collect();
    Ok(plan(&options.profile, &running, &options.roles, &options.version))
}

pub async fn apply(
    options: &LocalDeployOptions,
    plans: Vec<RolePlan>,
    progress: &dyn Progress,
) -> Result<DeployReport, LocalError> {
    let state = StateDir::new(&options.base_dir, &options.environment.name);
    state.ensure()?;
    let release = release::prepare(&state, &options.version, &options.artifacts)?;
    let mut rollout =
        Rollout { options, state: &state, release: &release, progress, started: Vec::new(), stopped: Vec::new() };

    let touches_producer = plans.iter().any(|p| p.role == RoleName::Producer && p.action != RoleAction::NoOp);
    let producer_endpoint = if touches_producer || plans.iter().any(|p| p.role == RoleName::Producer) {
        Some(ensure_balancer(&state, options.producer_port, progress).await?)
    } else {
        None
    };

    // Consumers first: their new version is reading before producers change.
    let mut ordered = plans.clone();
    ordered.sort_by_key(|plan| plan.role == RoleName::Producer);
    for role_plan in &ordered {
        rollout.role(role_plan).await?;
    }
    let live = live_instances(&state)?;
    let groups = scrape::target_groups(&options.environment.name, &options.profile, &live);
    scrape::publish(&state, options.scrape_dir.as_deref(), &options.environment.name, &groups)?;
    Ok(DeployReport {
        environment: options.environment.name.clone(),
        tier: options.profile.tier.clone(),
        version: options.version.clone(),
        roles: plans,
        started: rollout.started,
        stopped: rollout.stopped,
        producer_endpoint,
    })
}

struct Rollout<'a> {
    options: &'a LocalDeployOptions,
    state: &'a StateDir,
    release: &'a Release,
    progress: &'a dyn Progress,
    started: Vec<String>,
    stopped: Vec<String>,
}

impl Rollout<'_> {
    async fn role(&mut self, plan: &RolePlan) -> Result<(), LocalError> {
        let live: Vec<Instance> = live_instances(self.state)?.into_iter().filter(|i| i.role == plan.role).collect();
        match plan.action {
            RoleAction::NoOp => Ok(()),
            RoleAction::Start | RoleAction::Scale => {
                let current = live.len();
                let wanted = plan.new_count as usize;
                for _ in current..wanted {
                    let instance = self.start(plan.role).await?;
                    self.publish_producers(None).await?;
                    self.started.push(instance.id);
                }
                for extra in live.iter().skip(wanted) {
                    self.retire(extra).await?;
                }
                Ok(())
            }
            RoleAction::RollingUpdate => {
                let mut waiting = self.progress.wait(&format!("rolling {}", plan.role));
                let total = live.len();
                for (done, old) in live.iter().enumerate() {
                    waiting.update(&format!("replacing {} ({}/{total})", old.id, done + 1));
                    match self.start(plan.role).await {
                        Ok(instance) => {
                            self.started.push(instance.id);
                            self.retire(old).await?;
                        }
                        Err(err) => {
                            waiting.finish(&format!("stopped: {err}; rolling back"));
                            self.roll_back(plan.role).await?;
                            return Err(err);
                        }
                    }
                }
                waiting.finish(&format!("{total} instance(s) on {}", plan.new_version));
                Ok(())
            }
        }
    }

    /// Starts one instance of the new release and waits until it is ready.
    /// A producer joins the balancer only once ready.
    async fn start(&mut self, role: RoleName) -> Result<Instance, LocalError> {
        let instance = launch(self.options, self.state, self.release, role)?;
        self.state.record(&instance)?;
        if let Err(err) = wait_ready(&instance, self.options.ready_timeout).await {
            process::stop(instance.pid, &instance.executable, GRACEFUL_STOP).await?;
            self.state.forget(&instance)?;
            return Err(err);
        }
        self.progress.info(format!("started {} (pid {}, port {})", instance.id, instance.pid, instance.port));
        if role == RoleName::Producer {
            self.publish_producers(None).await?;
        }
        Ok(instance)
    }

    /// Takes an instance out of service: out of the balancer first, then a
    /// graceful stop, so requests it has accepted complete.
    async fn retire(&mut self, instance: &Instance) -> Result<(), LocalError> {
        if instance.role == RoleName::Producer {
            self.publish_producers(Some(&instance.id)).await?;
        }
        process::stop(instance.pid, &instance.executable, GRACEFUL_STOP).await?;
        self.state.forget(instance)?;
        self.progress.info(format!("stopped {} (pid {})", instance.id, instance.pid));
        self.stopped.push(instance.id.clone());
        Ok(())
    }

    /// Stops the instances this rollout started for `role`. The old version's
    /// instances that were not yet replaced keep serving; replaced ones are
    /// started again from their own release.
    async fn roll_back(&mut self, role: RoleName) -> Result<(), LocalError> {
        let started: Vec<Instance> = live_instances(self.state)?
            .into_iter()
            .filter(|i| i.role == role && self.started.contains(&i.id))
            .collect();
        for instance in &started {
            let prefix = format!("{role}-");
            let previous = self
                .stopped
                .iter()
                .rev()
                .filter(|id| id.starts_with(&prefix))
                .find_map(|id| version_of(id))
                .map(str::to_string);
            if let Some(version) = previous {
                let release = release::prepare(self.state, &version, &self.options.artifacts)?;
                let restored = launch(self.options, self.state, &release, role)?;
                self.state.record(&restored)?;
                wait_ready(&restored, self.options.ready_timeout).await?;
                if role == RoleName::Producer {
                    self.publish_producers(None).await?;
                }
            }
            self.retire(instance).await?;
        }
        Ok(())
    }

    /// Points the balancer at every live producer except `leaving`, then
    /// waits until the balancer has read the change.
    async fn publish_producers(&self, leaving: Option<&str>) -> Result<(), LocalError> {
        let targets: Vec<String> = live_instances(self.state)?
            .into_iter()
            .filter(|i| i.role == RoleName::Producer && Some(i.id.as_str()) != leaving)
            .map(|i| format!("127.0.0.1:{}", i.port))
            .collect();
        self.state.set_balancer_targets(&targets)?;
        tokio::time::sleep(TARGETS_POLL * 3).await;
        Ok(())
    }
}

/// Instance ids are `<role>-<version>-<n>`; the version is what the
/// rollback needs to restore.
fn version_of(id: &str) -> Option<&str> {
    let (rest, _) = id.rsplit_once('-')?;
    RoleName::ALL.iter().find_map(|role| rest.strip_prefix(&format!("{}-", role.as_str())))
}

fn launch(
    options: &LocalDeployOptions,
    state: &StateDir,
    release: &Release,
    role: RoleName,
) -> Result<Instance, LocalError> {
    let port = process::free_port()?;
    let id = format!("{}-{}-{}", role, release.version, unique_suffix());
    let log = state.logs().join(format!("{id}.log"));
    let executable = if role.is_consumer() { release.consumer.clone() } else { release.producer.clone() };
    let service = service_env(&options.profile, role, &options.kafka, &options.postgres, options.mongodb.as_ref())
        .map_err(|err| LocalError::Spawn { what: id.clone(), source: std::io::Error::other(err.to_string()) })?;
    let mut env: Vec<(String, String)> = service.vars.into_iter().map(|var| (var.name, var.value)).collect();
    let listen = format!("127.0.0.1:{port}");
    let mut metrics_port = None;
    if role.is_consumer() {
        env.push((env_vars::CONSUMER_METRICS_ADDR.to_string(), listen));
    } else {
        let metrics = process::free_port()?;
        metrics_port = Some(metrics);
        env.push((env_vars::PRODUCER_LISTEN_ADDR.to_string(), listen));
        env.push((env_vars::PRODUCER_METRICS_ADDR.to_string(), format!("127.0.0.1:{metrics}")));
        env.push((env_vars::PRODUCER_API_KEYS.to_string(), api_key::producer_keys_var(&api_key::ensure(state)?)));
    }
    let pid = process::spawn(&executable, &[], &env, &log)?;
    Ok(Instance { id, role, version: release.version.clone(), pid, port, metrics_port, executable, log })
}

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("{:x}", nanos % 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_give_back_their_version() {
        assert_eq!(version_of("sms-consumer-v1.2-1a2b"), Some("v1.2"));
        assert_eq!(version_of("producer-v2-ff"), Some("v2"));
        assert_eq!(version_of("nonsense"), None);
    }
}
