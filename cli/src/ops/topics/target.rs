//! Which cluster, through which backend: `--bootstrap`, the environment's
//! Kafka endpoint, or the environment's MSK cluster (found by name), and
//! `--via kafka|msk|auto`.

use std::time::Duration;

use serde::Serialize;

use crate::aws::msk::BootstrapBrokers;
use crate::aws::{self, AwsClients};
use crate::config::{ClientAuth, Environment, Provider, SecurityProtocol};
use crate::kafka::{KafkaConnection, ScramCredentials};
use crate::naming::Names;
use crate::progress::Progress;
use crate::topics::{Batching, KafkaBackend, MskBackend, TopicsError};

/// How long `--via auto` gives the brokers to answer before falling back to
/// the MSK topic API. A reachable broker answers Metadata in milliseconds;
/// an unreachable one (outside the VPC) never does, so waiting longer only
/// delays the fallback.
const AUTO_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// The Kafka admin protocol: needs network access to the brokers.
    Kafka,
    /// The MSK topic API: needs only IAM (AWS environments).
    Msk,
    /// Kafka when the brokers answer, else MSK.
    #[default]
    Auto,
}

/// Where the topics live, as given on the command line and in the environment.
#[derive(Debug, Clone)]
pub struct TargetOptions {
    pub environment: Environment,
    pub via: Via,
    /// `--bootstrap`: a Kafka cluster straight, no AWS involved.
    pub bootstrap: Option<String>,
    /// `--cluster-arn`: skip looking the environment's cluster up by name.
    pub cluster_arn: Option<String>,
    /// The run's AWS clients; `None` when the environment is not on AWS.
    pub aws: Option<AwsClients>,
    /// One request per topic instead of batches (the benchmark's baseline).
    pub batching: Batching,
}

pub enum Target {
    Kafka { backend: KafkaBackend, connection: KafkaConnection },
    Msk { backend: MskBackend, cluster_arn: String },
}

impl Target {
    /// What the reports print as "where": bootstrap servers or the cluster ARN.
    pub fn describe(&self) -> String {
        match self {
            Target::Kafka { connection, .. } => connection.bootstrap_servers.clone(),
            Target::Msk { cluster_arn, .. } => cluster_arn.clone(),
        }
    }
}

/// What a command that already found the environment's cluster hands on
/// (`provision`), so that the topics neither build AWS clients nor ask for
/// the cluster or its brokers again.
#[derive(Debug, Clone)]
pub struct KnownCluster {
    pub clients: AwsClients,
    pub cluster_arn: String,
    pub brokers: BootstrapBrokers,
}

pub async fn connect(options: &TargetOptions, progress: &dyn Progress) -> Result<Target, TopicsError> {
    if let Some(direct) = connect_direct(options, progress)? {
        return Ok(direct);
    }
    let env = &options.environment;
    let clients = options.aws.clone().ok_or_else(|| TopicsError::NoTarget {
        message: format!(
            "environment {} has no Kafka bootstrap servers and no AWS clients to find its cluster",
            env.name
        ),
        hint: "pass --bootstrap HOST:PORT, or set kafka.bootstrap_servers in the environment".into(),
    })?;
    let cluster_arn = match &options.cluster_arn {
        Some(arn) => arn.clone(),
        None => {
            aws::msk::find_cluster(&clients.kafka, env).await?.map(|c| c.arn).ok_or_else(|| TopicsError::NoTarget {
                message: format!("environment {} has no MSK cluster named {}", env.name, env.name_prefix),
                hint: "run `forgectl provision` first, or pass --cluster-arn".into(),
            })?
        }
    };
    let brokers = match options.via {
        Via::Msk => BootstrapBrokers::default(),
        Via::Kafka | Via::Auto => aws::msk::bootstrap_brokers(&clients.kafka, &cluster_arn).await?,
    };
    connect_cluster(options, KnownCluster { clients, cluster_arn, brokers }, progress).await
}

/// `connect`, on a cluster the caller found already.
pub async fn connect_known(
    options: &TargetOptions,
    known: KnownCluster,
    progress: &dyn Progress,
) -> Result<Target, TopicsError> {
    match connect_direct(options, progress)? {
        Some(direct) => Ok(direct),
        None => connect_cluster(options, known, progress).await,
    }
}

/// `--bootstrap` or the environment's Kafka endpoint, when there is one;
/// `None` leaves it to the environment's MSK cluster.
fn connect_direct(options: &TargetOptions, progress: &dyn Progress) -> Result<Option<Target>, TopicsError> {
    let env = &options.environment;
    if options.via == Via::Msk && options.bootstrap.is_some() {
        return Err(TopicsError::InvalidArgument {
            message: "--bootstrap talks to brokers directly and cannot be combined with --via msk".into(),
            hint: "drop one of the two".into(),
        });
    }
    let direct = options
        .bootstrap
        .clone()
        .or_else(|| env.kafka.as_ref().and_then(|k| k.bootstrap_servers.clone()).filter(|b| !b.is_empty()));
    if let (Some(bootstrap), false) = (&direct, options.via == Via::Msk) {
        let connection = KafkaConnection::from_endpoint(env.kafka.as_ref(), bootstrap.clone())?;
        return kafka(connection, options.batching, progress).map(Some);
    }
    if env.provider != Provider::Aws {
        return Err(TopicsError::NoTarget {
            message: format!("environment {} has no Kafka bootstrap servers and is not an AWS environment", env.name),
            hint: "pass --bootstrap HOST:PORT, or set kafka.bootstrap_servers in the environment".into(),
        });
    }
    Ok(None)
}

/// The MSK cluster through the backend `--via` asks for.
async fn connect_cluster(
    options: &TargetOptions,
    known: KnownCluster,
    progress: &dyn Progress,
) -> Result<Target, TopicsError> {
    let env = &options.environment;
    let KnownCluster { clients, cluster_arn, brokers } = known;
    let msk = || Target::Msk {
        backend: MskBackend::new(clients.kafka.clone(), cluster_arn.clone(), options.batching, progress),
        cluster_arn: cluster_arn.clone(),
    };
    if options.via == Via::Msk {
        return Ok(msk());
    }

    let (bootstrap, protocol) = match (brokers.for_auth(env.client_auth), env.client_auth) {
        (Some(b), ClientAuth::Unauthenticated) if brokers.tls.as_deref() == Some(b) => {
            (b.to_string(), SecurityProtocol::Ssl)
        }
        (Some(b), ClientAuth::Unauthenticated) => (b.to_string(), SecurityProtocol::Plaintext),
        (Some(b), ClientAuth::Mtls) => (b.to_string(), SecurityProtocol::Ssl),
        (Some(b), _) => (b.to_string(), SecurityProtocol::SaslSsl),
        (None, auth) => {
            if options.via == Via::Auto {
                progress.info(format!("the cluster has no {} listener; using the MSK topic API", auth.as_str()));
                return Ok(msk());
            }
            return Err(TopicsError::NoTarget {
                message: format!("cluster {cluster_arn} has no listener for client auth {}", auth.as_str()),
                hint: "use --via msk".into(),
            });
        }
    };
    let sasl = match protocol {
        SecurityProtocol::SaslSsl if env.client_auth == ClientAuth::SaslScram => {
            Some(scram_login(env, &clients, &cluster_arn).await?)
        }
        _ => None,
    };
    let connection = KafkaConnection {
        bootstrap_servers: bootstrap,
        security_protocol: protocol,
        ssl_ca_location: env.kafka.as_ref().and_then(|k| k.ssl_ca_location.clone()).filter(|ca| !ca.is_empty()),
        sasl,
    };
    if options.via == Via::Kafka {
        return kafka(connection, options.batching, progress);
    }
    // auto: use the brokers when they answer, else the API.
    match kafka(connection, options.batching, progress) {
        Ok(Target::Kafka { backend, connection }) => match backend.admin().metadata(AUTO_PROBE_TIMEOUT, None).await {
            Ok(_) => Ok(Target::Kafka { backend, connection }),
            Err(err) => {
                progress.info(format!("brokers not reachable ({err}); using the MSK topic API"));
                Ok(msk())
            }
        },
        Ok(other) => Ok(other),
        Err(err) => {
            progress.info(format!("cannot use the brokers directly ({err}); using the MSK topic API"));
            Ok(msk())
        }
    }
}

/// The SCRAM login for the environment's MSK cluster: `kafka.sasl_username`
/// and `sasl_password_env` when forgectl.yaml names them, else the Secrets
/// Manager secret `provision` created and associated.
async fn scram_login(
    env: &Environment,
    clients: &AwsClients,
    cluster_arn: &str,
) -> Result<ScramCredentials, TopicsError> {
    if let Some(login) = env.kafka.as_ref().map(ScramCredentials::from_endpoint).transpose()?.flatten() {
        return Ok(login);
    }
    let secret = Names::for_env(env).scram_secret;
    aws::scram::login(&clients.secretsmanager, &secret).await?.ok_or_else(|| TopicsError::NoTarget {
        message: format!("cluster {cluster_arn} uses SASL/SCRAM but the secret {secret} does not exist"),
        hint: "run `forgectl provision` (it creates and associates the secret), or use --via msk".into(),
    })
}

fn kafka(connection: KafkaConnection, batching: Batching, progress: &dyn Progress) -> Result<Target, TopicsError> {
    let backend = KafkaBackend::connect(&connection, batching, progress)?;
    Ok(Target::Kafka { backend, connection })
}
