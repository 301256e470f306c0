//! The on-disk shape of `forgectl.yaml`: named environments.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The environment used when `--env` is not given.
    pub default_environment: Option<String>,
    /// The environments, by name (`[a-z][a-z0-9-]{0,31}`).
    pub environments: IndexMap<String, EnvironmentSpec>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// `aws` (MSK, EC2 Auto Scaling) or `local` (this machine's Kafka, services as processes).
    pub provider: Provider,
    /// AWS region; the SDK's chain (AWS_REGION, the profile) otherwise.
    pub region: Option<String>,
    /// Named AWS profile from ~/.aws/config; the standard chain otherwise.
    pub aws_profile: Option<String>,
    /// The VPC of `subnets`; checked against them.
    pub vpc_id: Option<String>,
    /// Omitted: the default VPC's subnets. An empty list is an error, not a
    /// silent fallback to the default VPC.
    pub subnets: Option<Vec<String>>,
    /// Prefix of every resource name; defaults to `forgectl-<env>`.
    pub name_prefix: Option<String>,
    /// Added to every resource forgectl creates, next to its own `forgectl:*` tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// Also open the plaintext listener (9092). Off by default: MSK's and
    /// the runbook's default is TLS between clients and brokers.
    #[serde(default)]
    pub allow_plaintext: bool,
    /// Apply the profiles' India switch (drops contacts and call logs).
    #[serde(default)]
    pub india: bool,
    /// Default tier for commands that take `--tier`.
    pub tier: Option<String>,
    /// Customer-managed KMS key for encryption at rest; AWS-managed otherwise.
    pub kms_key_arn: Option<String>,
    /// A Kafka cluster reached directly (the `local` provider, self-managed
    /// Kafka). Values may use `${VAR}` to read the environment.
    pub kafka: Option<KafkaEndpointSpec>,
    /// PostgreSQL for the services (the `local` provider).
    pub postgres: Option<PostgresSpec>,
    /// MongoDB for the consumers' second sink; omitted: PostgreSQL only.
    pub mongodb: Option<MongoSpec>,
    /// The local provider's load balancer port in front of the producers.
    pub producer_port: Option<u16>,
    /// How the aws provider runs the services (`deploy`).
    #[serde(default)]
    pub services: ServicesSpec,
    /// Who the alarms notify (the aws provider): `deploy` keeps an SNS topic,
    /// `<name_prefix>-alerts`, with exactly these subscriptions.
    #[serde(default)]
    pub alerts: AlertSubscriptions,
}

/// The subscriptions of the environment's alarm topic. Every CloudWatch
/// alarm `deploy` creates notifies the topic when it fires and when it
/// recovers. An email address must confirm the subscription from the
/// message AWS sends before it receives anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSubscriptions {
    /// Email addresses (SNS protocol `email`), e.g. `oncall@example.com`.
    #[serde(default)]
    pub email: Vec<String>,
    /// HTTPS endpoints that receive each notification as a JSON POST (SNS
    /// protocol `https`), e.g. a pager's or a chat tool's webhook URL.
    #[serde(default)]
    pub https: Vec<String>,
}

/// The aws provider's fleet settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicesSpec {
    /// Which of the role's instance types to use: the runbook's dev/UAT
    /// size or its production size.
    #[serde(default)]
    pub instance_size: InstanceSize,
    /// Who may reach the producer's load balancer.
    #[serde(default = "default_load_balancer_cidrs")]
    pub load_balancer_cidrs: Vec<String>,
    /// Images each ECR repository keeps; older ones expire.
    #[serde(default = "default_keep_images")]
    pub keep_images: u32,
    /// ACM certificate for the producer's load balancer: HTTPS on 443, and
    /// port 80 redirects to it. Without one the API is plain HTTP on 80,
    /// which `deploy` refuses on an internet-facing load balancer unless
    /// `allow_plain_http` says so.
    #[serde(default)]
    pub certificate_arn: Option<String>,
    /// `internet-facing` (the default) or `internal`: reachable only inside
    /// the VPC (and what is peered or connected to it).
    #[serde(default)]
    pub load_balancer_scheme: LoadBalancerScheme,
    /// Opt-out, by name: serve the API over plain HTTP on an internet-facing
    /// load balancer. Uploads and API keys then cross the internet in clear.
    #[serde(default)]
    pub allow_plain_http: bool,
    /// Opt-out, by name: producers accept uploads without an API key
    /// (`PRODUCER_ALLOW_ANONYMOUS=true`) when `forgectl api-keys` has
    /// created none. Anyone who reaches the endpoint can then upload.
    #[serde(default)]
    pub allow_anonymous_uploads: bool,
    /// IPv4 ranges that may scrape the services' Prometheus metrics (the
    /// producers' port 8002, the consumers' 8001) from outside the
    /// instance, e.g. a Prometheus server's subnet. Empty (the default):
    /// nobody; the metrics ports are bound to loopback and the CloudWatch
    /// agent on each instance scrapes them there.
    #[serde(default)]
    pub monitoring_cidrs: Vec<String>,
    /// A security group (`sg-…`) whose members may scrape the services'
    /// metrics ports, e.g. your Prometheus servers'. None (the default):
    /// nobody from outside the instance.
    #[serde(default)]
    pub monitoring_security_group: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LoadBalancerScheme {
    #[default]
    InternetFacing,
    Internal,
}

impl LoadBalancerScheme {
    /// Elastic Load Balancing's own spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadBalancerScheme::InternetFacing => "internet-facing",
            LoadBalancerScheme::Internal => "internal",
        }
    }
}

impl Default for ServicesSpec {
    fn default() -> Self {
        ServicesSpec {
            instance_size: InstanceSize::default(),
            load_balancer_cidrs: default_load_balancer_cidrs(),
            keep_images: default_keep_images(),
            certificate_arn: None,
            load_balancer_scheme: LoadBalancerScheme::default(),
            allow_plain_http: false,
            allow_anonymous_uploads: false,
            monitoring_cidrs: Vec::new(),
            monitoring_security_group: None,
        }
    }
}

fn default_load_balancer_cidrs() -> Vec<String> {
    vec!["0.0.0.0/0".into()]
}

fn default_keep_images() -> u32 {
    30
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InstanceSize {
    Dev,
    #[default]
    Production,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaEndpointSpec {
    /// Required for the local provider; on AWS the brokers come from MSK.
    pub bootstrap_servers: Option<String>,
    #[serde(default)]
    pub security_protocol: SecurityProtocol,
    /// CA bundle for brokers whose certificates a private CA signed; the
    /// system trust store otherwise (MSK's certificates are public).
    pub ssl_ca_location: Option<String>,
    /// SCRAM-SHA-512 user for `security_protocol: SASL_SSL` (a self-managed
    /// or local cluster; on AWS the login comes from the Secrets Manager
    /// secret `provision` created). Goes with `sasl_password_env`.
    pub sasl_username: Option<String>,
    /// Name of the environment variable that holds the SCRAM password; the
    /// password itself never sits in this file, in argv or in logs.
    pub sasl_password_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresSpec {
    pub host: String,
    pub port: String,
    pub username: String,
    /// Name of the environment variable that holds the password; the
    /// password itself never sits in this file.
    pub password_env: String,
    pub database: String,
    pub sync_database: String,
    /// How the services and forgectl protect the connection: `verify-full`
    /// (default: TLS, the certificate chain and the host name checked),
    /// `require` (TLS, the server not checked) or `disable` (plain text).
    /// Only a mode named here weakens the default.
    #[serde(default)]
    pub ssl_mode: PostgresSslMode,
    /// PEM bundle of the CAs that sign the server's certificate, on the
    /// machine running forgectl: the RDS bundle of the region (e.g.
    /// `us-east-1-bundle.pem`), the local stack's `${DI_POSTGRES_SSL_ROOT_CERT}`.
    /// `deploy` copies it onto the instances (certificates are public, no
    /// secret); omitted: the public web roots.
    pub ca_file: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PostgresSslMode {
    #[default]
    VerifyFull,
    Require,
    Disable,
}

impl From<PostgresSslMode> for forgectl_postgres_tls::SslMode {
    fn from(mode: PostgresSslMode) -> Self {
        match mode {
            PostgresSslMode::VerifyFull => forgectl_postgres_tls::SslMode::VerifyFull,
            PostgresSslMode::Require => forgectl_postgres_tls::SslMode::Require,
            PostgresSslMode::Disable => forgectl_postgres_tls::SslMode::Disable,
        }
    }
}

/// A MongoDB-protocol server (MongoDB, DocumentDB, Atlas; FerretDB in dev).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MongoSpec {
    pub host: String,
    pub port: String,
    /// Omitted for a server without authentication (the dev stack's FerretDB).
    pub username: Option<String>,
    /// Name of the environment variable that holds the password; required
    /// with `username`.
    pub password_env: Option<String>,
    pub database: String,
    /// `DI_MONGODB_ENABLED_SOURCES`: `*` or kinds/topics, comma-separated.
    #[serde(default = "all_sources")]
    pub enabled_sources: String,
}

fn all_sources() -> String {
    "*".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Local,
}

/// How clients authenticate to the brokers; decides the broker port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// TLS encryption, no client identity (the runbook's setup). Port 9094.
    #[default]
    Unauthenticated,
    /// Mutual TLS with certificates from AWS Private CA. Port 9094.
    Mtls,
    /// SASL/SCRAM with credentials in Secrets Manager. Port 9096.
    SaslScram,
    /// IAM access control. Port 9098.
    Iam,
}

impl ClientAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::Unauthenticated => "unauthenticated",
            ClientAuth::Mtls => "mtls",
            ClientAuth::SaslScram => "sasl-scram",
            ClientAuth::Iam => "iam",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SecurityProtocol {
    #[default]
    Plaintext,
    Ssl,
    SaslSsl,
}

impl SecurityProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }
}
