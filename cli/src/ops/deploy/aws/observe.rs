//! `forgectl deploy` on the aws provider: read what runs, check the images,
//! and plan. Nothing here changes AWS; `apply` does, after the
//! plan was shown and confirmed.

use std::collections::BTreeMap;
use std::time::Duration;

use forgectl_contract::endpoints::CONSUMER_METRICS_PORT;
use forgectl_contract::env_vars;
use secrecy::ExposeSecret;

use crate::aws::autoscaling::{self, Group};
use crate::aws::ec2;
use crate::aws::ecr;
use crate::aws::elb;
use crate::aws::elb_rules;
use crate::aws::iam;
use crate::aws::launch_template::{self, LaunchTemplate};
use crate::aws::ssm::{self, SecretValue};
use crate::aws::{msk, scaling_policy, scram, AwsClients};
use crate::config::{ClientAuth, Environment, SecurityProtocol};
use crate::fleet::actual::{instance_versions, template_numbers, Actual, ApiKeysState, ObservedRole, SecretState};
use crate::fleet::desired::{self, AccountScope};
use crate::fleet::msk_iam;
use crate::fleet::target::Target;
use crate::fleet::FleetError;
use crate::kafka::KafkaConnection;
use crate::naming::fleet::{repository, FleetNames, CONSUMER_REPOSITORY, PRODUCER_REPOSITORY};
use crate::naming::Names;
use crate::ops::render::{mongodb_connection, postgres_connection};
use crate::profile::{Profile, RoleName};
use crate::render::{service_env, EnvVar};
use forgectl_contract::env_vars::{PRODUCER_ALLOW_ANONYMOUS, PRODUCER_API_KEYS};

#[derive(Debug, Clone)]
pub struct AwsDeployOptions {
    pub environment: Environment,
    pub profile: Profile,
    pub version: String,
    /// Empty: every role of the tier.
    pub roles: Vec<RoleName>,
    /// How long a batch of new instances may take to become healthy before
    /// the rollout is rolled back.
    pub batch_timeout: Duration,
    pub poll_interval: Duration,
}

impl AwsDeployOptions {
    /// What the plan compares against what AWS holds.
    pub fn target(&self) -> Target<'_> {
        Target {
            environment: &self.environment,
            profile: &self.profile,
            version: &self.version,
            roles: &self.roles,
            consumer_metrics_port: CONSUMER_METRICS_PORT,
        }
    }
}

/// Before anything changes: every secret must be stored already or given now.
pub fn require_secrets(actual: &Actual, env: &str) -> Result<(), FleetError> {
    match actual.secrets.iter().find(|secret| secret.stored.is_none() && secret.given.is_none()) {
        Some(secret) => Err(FleetError::MissingSecret {
            env: env.to_string(),
            parameter: secret.parameter.clone(),
            variable: secret.source.clone(),
        }),
        None => Ok(()),
    }
}

/// Reads the fleet and checks that the version's images exist. Fails before
/// anything changes when an image, the cluster or the client security group
/// is missing.
pub async fn observe(clients: &AwsClients, options: &AwsDeployOptions) -> Result<Actual, FleetError> {
    let environment = &options.environment;
    let names = FleetNames::for_env(environment);
    let roles = options.target().selected_roles();

    let mut repositories = Vec::new();
    for name in [PRODUCER_REPOSITORY, CONSUMER_REPOSITORY] {
        match ecr::find_repository(&clients.ecr, name).await? {
            Some(repo) => repositories.push(repo),
            None => return Err(FleetError::RepositoryMissing { repository: name.into() }),
        }
    }
    let registry = repositories.first().map(|repo| repo.registry().to_string()).unwrap_or_default();
    let mut needed: Vec<&str> = roles.iter().map(|role| repository(*role)).collect();
    needed.dedup();
    for name in needed {
        if !ecr::image_exists(&clients.ecr, name, &options.version).await? {
            return Err(FleetError::ImageMissing {
                repository: name.into(),
                tag: options.version.clone(),
                registry: registry.clone(),
            });
        }
    }
    let scope = repositories.first().and_then(|repo| AccountScope::from_arn(&repo.arn)).ok_or_else(|| {
        crate::aws::AwsError::malformed("ecr:DescribeRepositories", "forgectl-producer", "account in the ARN")
    })?;
    let mut lifecycle_policies = BTreeMap::new();
    for repo in &repositories {
        lifecycle_policies.insert(repo.name.clone(), ecr::lifecycle_policy(&clients.ecr, &repo.name).await?);
    }

    let subnets = if environment.subnets.is_empty() {
        ec2::default_subnets(&clients.ec2).await?
    } else {
        ec2::describe_subnets(&clients.ec2, &environment.subnets).await?
    };
    let vpc_id = subnets.first().map(|subnet| subnet.vpc_id.clone()).ok_or_else(|| FleetError::NotProvisioned {
        env: environment.name.clone(),
        what: "subnets (none configured and no default VPC)".into(),
    })?;
    let security_groups = ec2::find_security_groups(&clients.ec2, &environment.name).await?;
    let client_sg_name = Names::for_env(environment).client_sg;
    let client_sg =
        security_groups.iter().find(|group| group.name == client_sg_name).map(|group| group.id.clone()).ok_or_else(
            || FleetError::NotProvisioned {
                env: environment.name.clone(),
                what: format!("client security group {client_sg_name}"),
            },
        )?;
    let (kafka, cluster_name) = kafka_for_instances(clients, environment).await?;
    let msk_iam_cluster = msk_iam_cluster(clients, environment).await?;

    let secrets = secret_states(clients, environment, &names, &kafka).await?;
    let api_keys_parameter = names.secret(PRODUCER_API_KEYS);
    let api_keys = ApiKeysState {
        stored: ssm::secret(&clients.ssm, &api_keys_parameter).await?.is_some(),
        parameter: api_keys_parameter,
    };
    let role = iam::get_role(&clients.iam, &names.instance_role).await?;
    let role_policy = match &role {
        Some(_) => iam::get_role_policy(&clients.iam, &names.instance_role, &names.role_policy).await?,
        None => None,
    };
    let instance_profile = iam::get_instance_profile(&clients.iam, &names.instance_profile).await?;

    let (target_group, load_balancer, listeners) = if roles.contains(&RoleName::Producer) {
        let target_group = elb::find_target_group(&clients.elb, &names.target_group).await?;
        let load_balancer = elb::find_load_balancer(&clients.elb, &names.load_balancer).await?;
        let mut ports = match &load_balancer {
            Some(lb) => elb::listeners(&clients.elb, lb).await?,
            None => Vec::new(),
        };
        for listener in &mut ports {
            listener.routes = elb_rules::routes(&clients.elb, &listener.arn).await?;
        }
        (target_group, load_balancer, ports)
    } else {
        (None, None, Vec::new())
    };

    let mut images = BTreeMap::new();
    let groups = autoscaling::find_groups(&clients.autoscaling, &environment.name).await?;
    let mut observed_roles = BTreeMap::new();
    let mut envs = BTreeMap::new();
    let postgres = postgres_connection(environment, false)?;
    let mongodb = mongodb_connection(environment, false);
    for role in &roles {
        let spec = options.profile.role(*role).ok_or_else(|| FleetError::Invalid {
            env: environment.name.clone(),
            message: format!("role {role} is not in tier {}", options.profile.tier),
            hint: "roles are producer, sms-consumer, events-consumer and common-consumer".into(),
        })?;
        let instance_type = desired::instance_type(environment, spec);
        let parameter = desired::ami_parameter(&instance_type);
        if !images.contains_key(parameter) {
            let image =
                ssm::public_parameter(&clients.ssm, parameter).await?.ok_or_else(|| FleetError::NotProvisioned {
                    env: environment.name.clone(),
                    what: format!("AMI parameter {parameter} in this region"),
                })?;
            images.insert(parameter.to_string(), image);
        }
        let template = launch_template::find(&clients.ec2, &names.launch_template(*role)).await?;
        let group = groups.iter().find(|group| group.name == names.group(*role)).cloned();
        let policies = (names.scaling_policy(*role), role.is_consumer().then(|| names.lag_policy(*role)));
        observed_roles.insert(*role, observe_role(clients, &policies, template, group).await?);
        let mut env = service_env(&options.profile, *role, &kafka, &postgres, mongodb.as_ref())?;
        if msk_iam_cluster.is_some() {
            msk_iam::with_msk_iam(&mut env, &scope.region);
        }
        // The producer refuses to start without a key unless told that
        // anonymous uploads are wanted; forgectl.yaml said so, and no key exists.
        if *role == RoleName::Producer && environment.services.allow_anonymous_uploads && !api_keys.stored {
            env.vars.push(EnvVar { name: PRODUCER_ALLOW_ANONYMOUS.into(), value: "true".into(), secret: false });
        }
        envs.insert(*role, env);
    }

    Ok(Actual {
        names,
        scope,
        registry,
        repositories,
        lifecycle_policies,
        subnets,
        vpc_id,
        client_sg,
        security_groups,
        kafka,
        cluster_name,
        role,
        role_policy,
        instance_profile,
        secrets,
        api_keys,
        target_group,
        load_balancer,
        listeners,
        images,
        roles: observed_roles,
        envs,
        msk_iam_cluster,
    })
}

/// The cluster whose topics and groups the instance role may use, when
/// the environment's clients authenticate with IAM.
async fn msk_iam_cluster(clients: &AwsClients, environment: &Environment) -> Result<Option<String>, FleetError> {
    if environment.client_auth != ClientAuth::Iam {
        return Ok(None);
    }
    Ok(msk::find_cluster(&clients.kafka, environment).await?.map(|cluster| cluster.arn))
}

/// The brokers as the instances reach them: MSK's TLS (or, if that is all
/// there is, plaintext) bootstrap string, verified against the system trust
/// store; with `client_auth: sasl-scram` the SASL_SSL string and the login
/// from the Secrets Manager secret `provision` created. The environment's
/// `kafka.ssl_ca_location` is a path on the machine running forgectl, so it
/// is not passed on. Also returns the cluster's name, which its CloudWatch
/// metrics carry.
async fn kafka_for_instances(
    clients: &AwsClients,
    environment: &Environment,
) -> Result<(KafkaConnection, String), FleetError> {
    let not_provisioned =
        |what: &str| FleetError::NotProvisioned { env: environment.name.clone(), what: what.to_string() };
    let cluster =
        msk::find_cluster(&clients.kafka, environment).await?.ok_or_else(|| not_provisioned("MSK cluster"))?;
    let brokers = msk::bootstrap_brokers(&clients.kafka, &cluster.arn).await?;
    let bootstrap = brokers
        .for_auth(environment.client_auth)
        .ok_or_else(|| not_provisioned("bootstrap brokers yet (is the cluster still CREATING?)"))?;
    if environment.client_auth == ClientAuth::SaslScram {
        let secret = Names::for_env(environment).scram_secret;
        let login = scram::login(&clients.secretsmanager, &secret)
            .await?
            .ok_or_else(|| not_provisioned(&format!("SCRAM secret {secret}")))?;
        let connection = KafkaConnection {
            bootstrap_servers: bootstrap.to_string(),
            security_protocol: SecurityProtocol::SaslSsl,
            ssl_ca_location: None,
            sasl: Some(login),
        };
        return Ok((connection, cluster.name));
    }
    let security_protocol =
        if brokers.tls.as_deref() == Some(bootstrap) { SecurityProtocol::Ssl } else { SecurityProtocol::Plaintext };
    let connection = KafkaConnection {
        bootstrap_servers: bootstrap.to_string(),
        security_protocol,
        ssl_ca_location: None,
        sasl: None,
    };
    Ok((connection, cluster.name))
}

async fn secret_states(
    clients: &AwsClients,
    environment: &Environment,
    names: &FleetNames,
    kafka: &KafkaConnection,
) -> Result<Vec<SecretState>, FleetError> {
    let postgres = environment.postgres.as_ref().ok_or_else(|| FleetError::Invalid {
        env: environment.name.clone(),
        message: "the services need PostgreSQL and the environment has no `postgres` section".into(),
        hint: "add `postgres: {host, port, username, password_env, database, sync_database}` to the environment".into(),
    })?;
    let variable = env_vars::DI_POSTGRES_PASSWORD.to_string();
    let parameter = names.secret(&variable);
    let stored = ssm::secret(&clients.ssm, &parameter).await?;
    let given = std::env::var(&postgres.password_env).ok().filter(|value| !value.is_empty()).map(SecretValue::new);
    let mut secrets = vec![SecretState { variable, parameter, source: postgres.password_env.clone(), stored, given }];
    // The MongoDB password sits next to PostgreSQL's, under the same path
    // the instances read at boot.
    if let Some(source) = environment.mongodb.as_ref().and_then(|mongo| mongo.password_env.clone()) {
        let variable = env_vars::DI_MONGODB_PASSWORD.to_string();
        let parameter = names.secret(&variable);
        let stored = ssm::secret(&clients.ssm, &parameter).await?;
        let given = std::env::var(&source).ok().filter(|value| !value.is_empty()).map(SecretValue::new);
        secrets.push(SecretState { variable, parameter, source, stored, given });
    }
    // The SCRAM password goes to the instances the same way, from the
    // Secrets Manager secret (never through user data).
    if let Some(login) = &kafka.sasl {
        let variable = env_vars::DI_KAFKA_SASL_PASSWORD.to_string();
        let parameter = names.secret(&variable);
        let stored = ssm::secret(&clients.ssm, &parameter).await?;
        let given = Some(SecretValue::new(login.password.expose_secret().to_string()));
        let source = Names::for_env(environment).scram_secret;
        secrets.push(SecretState { variable, parameter, source, stored, given });
    }
    Ok(secrets)
}

/// `policies`: the CPU policy's name and, for a consumer, the lag policy's.
async fn observe_role(
    clients: &AwsClients,
    (scaling_policy, lag_policy): &(String, Option<String>),
    template: Option<LaunchTemplate>,
    group: Option<Group>,
) -> Result<ObservedRole, FleetError> {
    let active_refresh = match &group {
        Some(group) => autoscaling::active_refresh(&clients.autoscaling, &group.name).await?,
        None => None,
    };
    let cpu_target = match &group {
        Some(group) => autoscaling::cpu_target(&clients.autoscaling, &group.name, scaling_policy).await?,
        None => None,
    };
    let lag_policy = match (&group, lag_policy) {
        (Some(group), Some(policy)) => {
            scaling_policy::tracked_metric(&clients.autoscaling, &group.name, policy).await?
        }
        _ => None,
    };
    let Some(template) = template else {
        return Ok(ObservedRole { group, cpu_target, lag_policy, active_refresh, ..ObservedRole::default() });
    };
    let mut numbers = group.as_ref().map(|group| template_numbers(group, &template.id)).unwrap_or_default();
    if !numbers.contains(&template.latest_version) {
        numbers.push(template.latest_version);
    }
    let versions = launch_template::versions(&clients.ec2, &template.id, &numbers).await?;
    let group_number = group.as_ref().and_then(|g| g.template.as_ref()).and_then(|t| t.number());
    let group_template = versions.iter().find(|version| Some(version.number) == group_number).cloned();
    let latest_template = versions.iter().find(|version| version.number == template.latest_version).cloned();
    let instance_versions = group.as_ref().map(|group| instance_versions(group, &versions)).unwrap_or_default();
    Ok(ObservedRole {
        group,
        template: Some(template),
        group_template,
        latest_template,
        instance_versions,
        cpu_target,
        lag_policy,
        active_refresh,
    })
}
