//! Environments: named deployment targets from `forgectl.yaml`, with
//! command-line overrides. An environment says where (provider, region,
//! network) and how (auth, India switch, default tier); the tier profile
//! says how big.

mod alerts;
mod error;
mod name;
mod schema;
mod services;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use forgectl_contract::endpoints::PRODUCER_PORT;
use serde::Serialize;

pub use error::ConfigError;
pub use name::environment_name_problem;
pub use schema::{
    AlertSubscriptions, ClientAuth, InstanceSize, LoadBalancerScheme, PostgresSslMode, Provider, SecurityProtocol,
    ServicesSpec,
};
use schema::{ConfigFile, EnvironmentSpec};

pub const DEFAULT_CONFIG_FILE: &str = "forgectl.yaml";

/// Name of the environment used when there is no config file at all.
pub const IMPLICIT_ENVIRONMENT: &str = "default";

/// What the command line can override.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentOverrides {
    pub config: Option<PathBuf>,
    pub env: Option<String>,
    pub region: Option<String>,
    pub aws_profile: Option<String>,
    pub india: bool,
}

/// One resolved environment, ready for operations.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub name: String,
    pub provider: Provider,
    pub region: Option<String>,
    #[serde(skip)]
    pub aws_profile: Option<String>,
    pub vpc_id: Option<String>,
    pub subnets: Vec<String>,
    pub name_prefix: String,
    pub tags: BTreeMap<String, String>,
    pub client_auth: ClientAuth,
    pub allow_plaintext: bool,
    pub india: bool,
    pub tier: Option<String>,
    pub kms_key_arn: Option<String>,
    pub kafka: Option<KafkaEndpoint>,
    pub postgres: Option<PostgresEndpoint>,
    pub mongodb: Option<MongoEndpoint>,
    pub producer_port: u16,
    pub services: ServicesSpec,
    /// Who the alarms notify: the subscriptions of the environment's SNS topic.
    pub alerts: AlertSubscriptions,
}

#[derive(Debug, Clone, Serialize)]
pub struct KafkaEndpoint {
    pub bootstrap_servers: Option<String>,
    pub security_protocol: SecurityProtocol,
    pub ssl_ca_location: Option<String>,
    /// SCRAM user for SASL_SSL, with `sasl_password_env`.
    pub sasl_username: Option<String>,
    /// The variable holding the SCRAM password, never the password.
    pub sasl_password_env: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostgresEndpoint {
    pub host: String,
    pub port: String,
    pub username: String,
    /// The variable holding the password, never the password.
    pub password_env: String,
    pub database: String,
    pub sync_database: String,
    pub ssl_mode: PostgresSslMode,
    /// The CA bundle's path on this machine.
    pub ca_file: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MongoEndpoint {
    pub host: String,
    pub port: String,
    pub username: Option<String>,
    /// The variable holding the password, never the password.
    pub password_env: Option<String>,
    pub database: String,
    pub enabled_sources: String,
}

impl Environment {
    /// The tier to act on: the command's `--tier`, else the environment's.
    pub fn tier_or(&self, explicit: Option<&str>) -> Result<String, ConfigError> {
        explicit.map(str::to_string).or_else(|| self.tier.clone()).ok_or_else(|| ConfigError::Invalid {
            env: self.name.clone(),
            key: "tier".into(),
            message: "no tier given and the environment sets none".into(),
            hint: "pass --tier (e.g. --tier 50k) or set `tier:` in the environment".into(),
        })
    }
}

/// Loads the config file (if any) and selects the environment.
/// The JSON Schema of `forgectl.yaml`, from the types it is read into: what
/// editors validate against (`schemas/forgectl.schema.json`) and what
/// docs/config.md is generated from, so neither can drift from the parser.
pub fn json_schema() -> serde_json::Value {
    serde_json::Value::from(schemars::schema_for!(schema::ConfigFile))
}

pub fn select_environment(overrides: &EnvironmentOverrides) -> Result<Environment, ConfigError> {
    let path = overrides.config.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
    let file = match (path.is_file(), &overrides.config) {
        (true, _) => Some(read_config(&path)?),
        (false, Some(_)) => return Err(ConfigError::MissingFile { path }),
        (false, None) => None,
    };
    let (name, spec) = match file {
        Some(file) => pick(&path, file, overrides.env.as_deref())?,
        None => match &overrides.env {
            Some(name) => return Err(ConfigError::NoConfigFile { name: name.clone() }),
            None => (IMPLICIT_ENVIRONMENT.to_string(), implicit_spec()),
        },
    };
    resolve(name, spec, overrides, &|name| std::env::var(name).ok())
}

fn read_config(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    serde_norway::from_str(&text).map_err(|err| {
        let (line, column, message) = crate::yaml_position::split(&err);
        ConfigError::Parse { path: path.to_path_buf(), line, column, message }
    })
}

fn pick(path: &Path, mut file: ConfigFile, wanted: Option<&str>) -> Result<(String, EnvironmentSpec), ConfigError> {
    let name = match (wanted, &file.default_environment) {
        (Some(name), _) => name.to_string(),
        (None, Some(default)) => default.clone(),
        (None, None) if file.environments.len() == 1 => file.environments.keys().next().cloned().unwrap_or_default(),
        (None, None) => return Err(ConfigError::AmbiguousEnvironment { path: path.to_path_buf() }),
    };
    match file.environments.shift_remove(&name) {
        Some(spec) => Ok((name, spec)),
        None => Err(ConfigError::UnknownEnvironment {
            name,
            path: path.to_path_buf(),
            available: file.environments.keys().cloned().collect::<Vec<_>>().join(", "),
        }),
    }
}

fn implicit_spec() -> EnvironmentSpec {
    EnvironmentSpec {
        provider: Provider::Aws,
        region: None,
        aws_profile: None,
        vpc_id: None,
        subnets: None,
        name_prefix: None,
        tags: BTreeMap::new(),
        client_auth: ClientAuth::default(),
        allow_plaintext: false,
        india: false,
        tier: None,
        kms_key_arn: None,
        kafka: None,
        postgres: None,
        mongodb: None,
        producer_port: None,
        services: ServicesSpec::default(),
        alerts: AlertSubscriptions::default(),
    }
}

fn resolve(
    name: String,
    spec: EnvironmentSpec,
    overrides: &EnvironmentOverrides,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Environment, ConfigError> {
    let invalid = |key: &str, message: String, hint: &str| ConfigError::Invalid {
        env: name.clone(),
        key: key.to_string(),
        message,
        hint: hint.to_string(),
    };
    if let Some(problem) = name::environment_name_problem(&name) {
        return Err(invalid(
            "environment name",
            format!("the name {problem}"),
            "rename the environment in forgectl.yaml: [a-z][a-z0-9-]{0,31}, it becomes part of AWS resource names",
        ));
    }

    if spec.subnets.as_ref().is_some_and(Vec::is_empty) {
        return Err(invalid(
            "subnets",
            "is an empty list: no client subnets".into(),
            "omit `subnets` to use the default VPC (one subnet per AZ), or list one subnet per AZ",
        ));
    }
    let subnets = spec.subnets.clone().unwrap_or_default();
    if !subnets.is_empty() && subnets.len() < 2 {
        return Err(invalid(
            "subnets",
            format!("{} client subnet given; MSK needs subnets in at least 2 AZs", subnets.len()),
            "list two or three subnets in distinct AZs, or omit subnets to use the default VPC",
        ));
    }
    if let Some(bad) = subnets.iter().find(|subnet| !subnet.starts_with("subnet-")) {
        return Err(invalid("subnets", format!("`{bad}` is not a subnet ID"), "subnet IDs look like subnet-0abc1234"));
    }
    let mut unique = subnets.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != subnets.len() {
        return Err(invalid("subnets", "a subnet is listed twice".into(), "list each subnet once"));
    }
    if let Some(vpc) = spec.vpc_id.as_deref().filter(|vpc| !vpc.starts_with("vpc-")) {
        return Err(invalid("vpc_id", format!("`{vpc}` is not a VPC ID"), "VPC IDs look like vpc-0abc1234"));
    }
    if let Some(key) = spec.kms_key_arn.as_deref().filter(|arn| !arn.starts_with("arn:")) {
        return Err(invalid("kms_key_arn", format!("`{key}` is not an ARN"), "give the full key ARN, arn:aws:kms:…"));
    }
    if let Some((key, message, hint)) = services::problem(&spec.services) {
        return Err(invalid(key, message, hint));
    }
    if let Some((key, message, hint)) = alerts::problem(&spec.alerts) {
        return Err(invalid(key, message, hint));
    }
    let name_prefix = spec.name_prefix.clone().unwrap_or_else(|| format!("forgectl-{name}"));
    if name_prefix.is_empty()
        || name_prefix.len() > 40
        || !name_prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(invalid(
            "name_prefix",
            format!("`{name_prefix}` must be 1-40 letters, digits or hyphens"),
            "MSK cluster names allow letters, digits and hyphens only",
        ));
    }

    let expand = |key: &str, value: &str| {
        interpolate(value, lookup).map_err(|variable| ConfigError::MissingVariable {
            env: name.clone(),
            key: key.to_string(),
            variable,
            local: spec.provider == Provider::Local,
        })
    };
    if let Some(kafka) = &spec.kafka {
        let has_login = kafka.sasl_username.is_some() || kafka.sasl_password_env.is_some();
        if kafka.sasl_username.is_some() != kafka.sasl_password_env.is_some() {
            return Err(invalid(
                "kafka",
                "`sasl_username` and `sasl_password_env` go together".into(),
                "set both (a SASL_SSL listener) or neither",
            ));
        }
        let sasl = kafka.security_protocol == SecurityProtocol::SaslSsl;
        // On AWS without bootstrap servers the login comes from the cluster's
        // Secrets Manager secret; brokers named here need one from this file.
        if has_login && !sasl || sasl && !has_login && kafka.bootstrap_servers.is_some() {
            return Err(invalid(
                "kafka.security_protocol",
                if has_login {
                    format!("is {}, but a SCRAM login is only used over SASL_SSL", kafka.security_protocol.as_str())
                } else {
                    "is SASL_SSL with bootstrap_servers, but no SCRAM login is given".into()
                },
                "use `security_protocol: SASL_SSL` with `sasl_username` and `sasl_password_env`",
            ));
        }
    }
    let kafka = match &spec.kafka {
        Some(kafka) => Some(KafkaEndpoint {
            bootstrap_servers: kafka
                .bootstrap_servers
                .as_deref()
                .map(|value| expand("kafka.bootstrap_servers", value))
                .transpose()?,
            security_protocol: kafka.security_protocol,
            ssl_ca_location: kafka
                .ssl_ca_location
                .as_deref()
                .map(|value| expand("kafka.ssl_ca_location", value))
                .transpose()?,
            sasl_username: kafka
                .sasl_username
                .as_deref()
                .map(|value| expand("kafka.sasl_username", value))
                .transpose()?,
            sasl_password_env: kafka.sasl_password_env.clone(),
        }),
        None => None,
    };
    let postgres = match &spec.postgres {
        Some(pg) => Some(PostgresEndpoint {
            host: expand("postgres.host", &pg.host)?,
            port: expand("postgres.port", &pg.port)?,
            username: expand("postgres.username", &pg.username)?,
            password_env: pg.password_env.clone(),
            database: expand("postgres.database", &pg.database)?,
            sync_database: expand("postgres.sync_database", &pg.sync_database)?,
            ssl_mode: pg.ssl_mode,
            ca_file: pg.ca_file.as_deref().map(|value| expand("postgres.ca_file", value)).transpose()?,
        }),
        None => None,
    };
    let mongodb = match &spec.mongodb {
        Some(mongo) => {
            if mongo.username.is_some() != mongo.password_env.is_some() {
                return Err(invalid(
                    "mongodb",
                    "`username` and `password_env` go together".into(),
                    "set both (a server with authentication) or neither (one without)",
                ));
            }
            Some(MongoEndpoint {
                host: expand("mongodb.host", &mongo.host)?,
                port: expand("mongodb.port", &mongo.port)?,
                username: mongo.username.as_deref().map(|value| expand("mongodb.username", value)).transpose()?,
                password_env: mongo.password_env.clone(),
                database: expand("mongodb.database", &mongo.database)?,
                enabled_sources: expand("mongodb.enabled_sources", &mongo.enabled_sources)?,
            })
        }
        None => None,
    };
    if spec.provider == Provider::Local && kafka.as_ref().and_then(|k| k.bootstrap_servers.as_ref()).is_none() {
        return Err(invalid(
            "kafka",
            "the local provider needs a Kafka bootstrap address".into(),
            "add `kafka: {bootstrap_servers: \"${KAFKA_BOOTSTRAP_SERVERS}\"}`",
        ));
    }

    Ok(Environment {
        provider: spec.provider,
        region: overrides.region.clone().or(spec.region),
        aws_profile: overrides.aws_profile.clone().or(spec.aws_profile),
        vpc_id: spec.vpc_id,
        subnets,
        name_prefix,
        tags: spec.tags,
        client_auth: spec.client_auth,
        allow_plaintext: spec.allow_plaintext,
        india: overrides.india || spec.india,
        tier: spec.tier,
        kms_key_arn: spec.kms_key_arn,
        kafka,
        postgres,
        mongodb,
        producer_port: spec.producer_port.unwrap_or(PRODUCER_PORT),
        services: spec.services,
        alerts: spec.alerts,
        name,
    })
}

/// Expands `${VAR}`; returns the first unset variable's name as the error.
fn interpolate(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let variable = &after[..end];
        out.push_str(&lookup(variable).ok_or_else(|| variable.to_string())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
pub mod test_support;
#[cfg(test)]
mod tests;
