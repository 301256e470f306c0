//! Kafka client settings from the environment, shared by both services so
//! TLS and SASL work the same way in each.

use std::fmt;
use std::str::FromStr;

use rdkafka::ClientConfig;

use crate::env::{self, ConfigError, EnvSource};
use crate::env_vars;
use crate::kafka_iam::{AuthContext, MskIam};
use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslSsl,
}

impl SecurityProtocol {
    fn as_librdkafka(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "plaintext",
            SecurityProtocol::Ssl => "ssl",
            SecurityProtocol::SaslSsl => "sasl_ssl",
        }
    }
}

impl FromStr for SecurityProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Ok(Self::Plaintext),
            "SSL" | "TLS" => Ok(Self::Ssl),
            "SASL_SSL" => Ok(Self::SaslSsl),
            _ => Err("expected PLAINTEXT, SSL or SASL_SSL".into()),
        }
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_librdkafka())
    }
}

#[derive(Debug, Clone)]
pub struct SaslSettings {
    pub mechanism: String,
    pub username: String,
    pub password: Secret,
}

#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub brokers: String,
    pub security_protocol: SecurityProtocol,
    pub ssl_ca_location: Option<String>,
    /// Off only for test clusters whose certificates name no host.
    pub ssl_verify_hostname: bool,
    pub sasl: Option<SaslSettings>,
    /// `DI_KAFKA_MSK_IAM_REGION`: MSK IAM over SASL/OAUTHBEARER instead of
    /// a username and password.
    pub iam: Option<MskIam>,
}

impl KafkaSettings {
    pub fn plaintext(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            security_protocol: SecurityProtocol::Plaintext,
            ssl_ca_location: None,
            ssl_verify_hostname: true,
            sasl: None,
            iam: None,
        }
    }

    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let brokers = env::required(env, env_vars::DI_KAFKA_BROKER_ENDPOINT)?;
        let security_protocol = env::parse_or(env, env_vars::DI_KAFKA_SECURITY_PROTOCOL, SecurityProtocol::Plaintext)?;
        let ssl_ca_location = env::optional(env, env_vars::DI_KAFKA_SSL_CA_LOCATION);
        let ssl_verify_hostname = env::bool_or(env, "DI_KAFKA_SSL_VERIFY_HOSTNAME", true)?;
        let username = env::optional(env, "DI_KAFKA_SASL_USERNAME");
        let password = env::secret(env, "DI_KAFKA_SASL_PASSWORD");
        let mechanism = env::optional(env, "DI_KAFKA_SASL_MECHANISM").unwrap_or_else(|| "SCRAM-SHA-512".to_string());
        if let Some(region) = env::optional(env, env_vars::DI_KAFKA_MSK_IAM_REGION) {
            return Self::msk_iam(brokers, security_protocol, ssl_ca_location, ssl_verify_hostname, username, region);
        }

        if security_protocol == SecurityProtocol::Plaintext && ssl_ca_location.is_some() {
            return Err(ConfigError::Conflict(
                "DI_KAFKA_SSL_CA_LOCATION is set but DI_KAFKA_SECURITY_PROTOCOL is PLAINTEXT; \
                 set the protocol to SSL or SASL_SSL, or delete DI_KAFKA_SSL_CA_LOCATION"
                    .into(),
            ));
        }
        let sasl = match (security_protocol, username, password) {
            (SecurityProtocol::SaslSsl, Some(username), Some(password)) => {
                if !matches!(mechanism.as_str(), "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512") {
                    return Err(ConfigError::Invalid {
                        var: "DI_KAFKA_SASL_MECHANISM",
                        value: mechanism,
                        reason: "expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512".into(),
                    });
                }
                Some(SaslSettings { mechanism, username, password })
            }
            (SecurityProtocol::SaslSsl, _, _) => {
                return Err(ConfigError::Conflict(
                    "DI_KAFKA_SECURITY_PROTOCOL is SASL_SSL: set both DI_KAFKA_SASL_USERNAME \
                     and DI_KAFKA_SASL_PASSWORD"
                        .into(),
                ))
            }
            (_, None, None) => None,
            (_, _, _) => {
                return Err(ConfigError::Conflict(
                    "DI_KAFKA_SASL_USERNAME/DI_KAFKA_SASL_PASSWORD are set but \
                     DI_KAFKA_SECURITY_PROTOCOL is not SASL_SSL; set it to SASL_SSL or delete them"
                        .into(),
                ))
            }
        };
        Ok(Self { brokers, security_protocol, ssl_ca_location, ssl_verify_hostname, sasl, iam: None })
    }

    /// IAM settings: SASL_SSL is implied, a SASL username is a conflict.
    fn msk_iam(
        brokers: String,
        security_protocol: SecurityProtocol,
        ssl_ca_location: Option<String>,
        ssl_verify_hostname: bool,
        username: Option<String>,
        region: String,
    ) -> Result<Self, ConfigError> {
        if security_protocol != SecurityProtocol::SaslSsl || username.is_some() {
            return Err(ConfigError::Conflict(format!(
                "{} is set (MSK IAM): set {}=SASL_SSL and delete DI_KAFKA_SASL_USERNAME/DI_KAFKA_SASL_PASSWORD",
                env_vars::DI_KAFKA_MSK_IAM_REGION,
                env_vars::DI_KAFKA_SECURITY_PROTOCOL
            )));
        }
        Ok(Self {
            brokers,
            security_protocol,
            ssl_ca_location,
            ssl_verify_hostname,
            sasl: None,
            iam: Some(MskIam::new(region)),
        })
    }

    /// The context for clients that need only authentication; the services'
    /// own contexts forward `generate_oauth_token` to the same settings.
    pub fn auth_context(&self) -> AuthContext {
        AuthContext { iam: self.iam.clone() }
    }

    /// Writes connection and security settings into an rdkafka config; the
    /// caller adds the producer- or consumer-specific ones.
    pub fn apply(&self, cfg: &mut ClientConfig) {
        cfg.set("bootstrap.servers", &self.brokers)
            .set("security.protocol", self.security_protocol.as_librdkafka())
            .set("client.dns.lookup", "use_all_dns_ips");
        if self.security_protocol != SecurityProtocol::Plaintext {
            if let Some(ca) = &self.ssl_ca_location {
                cfg.set("ssl.ca.location", ca);
            }
            cfg.set("ssl.endpoint.identification.algorithm", if self.ssl_verify_hostname { "https" } else { "none" });
        }
        if let Some(sasl) = &self.sasl {
            cfg.set("sasl.mechanisms", &sasl.mechanism)
                .set("sasl.username", &sasl.username)
                .set("sasl.password", sasl.password.expose());
        }
        if let Some(iam) = &self.iam {
            iam.apply(cfg);
        }
    }

    pub fn client_config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new();
        self.apply(&mut cfg);
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn plaintext_default() {
        let s = KafkaSettings::from_env(&env(&[("DI_KAFKA_BROKER_ENDPOINT", "a:1,b:2")])).unwrap();
        assert_eq!(s.security_protocol, SecurityProtocol::Plaintext);
        let cfg = s.client_config();
        assert_eq!(cfg.get("bootstrap.servers"), Some("a:1,b:2"));
        assert_eq!(cfg.get("ssl.ca.location"), None);
    }

    #[test]
    fn missing_brokers_is_named() {
        let e = KafkaSettings::from_env(&env(&[])).unwrap_err();
        assert!(e.to_string().contains("DI_KAFKA_BROKER_ENDPOINT"));
    }

    #[test]
    fn tls_and_sasl() {
        let s = KafkaSettings::from_env(&env(&[
            ("DI_KAFKA_BROKER_ENDPOINT", "a:1"),
            ("DI_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            ("DI_KAFKA_SSL_CA_LOCATION", "/ca.pem"),
            ("DI_KAFKA_SASL_USERNAME", "u"),
            ("DI_KAFKA_SASL_PASSWORD", "p4ss"),
        ]))
        .unwrap();
        assert!(!format!("{s:?}").contains("p4ss"));
        let cfg = s.client_config();
        assert_eq!(cfg.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(cfg.get("ssl.ca.location"), Some("/ca.pem"));
        assert_eq!(cfg.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
    }

    #[test]
    fn msk_iam_selects_oauthbearer_over_sasl_ssl() {
        let s = KafkaSettings::from_env(&env(&[
            ("DI_KAFKA_BROKER_ENDPOINT", "b-1:9098"),
            ("DI_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            ("DI_KAFKA_MSK_IAM_REGION", "eu-west-1"),
        ]))
        .unwrap();
        assert_eq!(s.iam.as_ref().map(|iam| iam.region()), Some("eu-west-1"));
        let cfg = s.client_config();
        assert_eq!(cfg.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(cfg.get("sasl.mechanisms"), Some("OAUTHBEARER"));
        assert_eq!(cfg.get("sasl.username"), None);
        assert_eq!(cfg.get("ssl.endpoint.identification.algorithm"), Some("https"));
        assert!(s.auth_context().iam.is_some());

        for conflicting in [
            vec![("DI_KAFKA_SECURITY_PROTOCOL", "SSL")],
            vec![
                ("DI_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
                ("DI_KAFKA_SASL_USERNAME", "u"),
                ("DI_KAFKA_SASL_PASSWORD", "p"),
            ],
        ] {
            let mut pairs = vec![("DI_KAFKA_BROKER_ENDPOINT", "b-1:9098"), ("DI_KAFKA_MSK_IAM_REGION", "eu-west-1")];
            pairs.extend(conflicting);
            let e = KafkaSettings::from_env(&env(&pairs)).unwrap_err().to_string();
            assert!(e.contains("DI_KAFKA_MSK_IAM_REGION") && e.contains("SASL_SSL"), "{e}");
        }
    }

    #[test]
    fn conflicts_say_what_to_delete() {
        let e = KafkaSettings::from_env(&env(&[
            ("DI_KAFKA_BROKER_ENDPOINT", "a:1"),
            ("DI_KAFKA_SSL_CA_LOCATION", "/ca.pem"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("delete DI_KAFKA_SSL_CA_LOCATION"));
        let e = KafkaSettings::from_env(&env(&[
            ("DI_KAFKA_BROKER_ENDPOINT", "a:1"),
            ("DI_KAFKA_SASL_USERNAME", "u"),
            ("DI_KAFKA_SASL_PASSWORD", "p"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("SASL_SSL"));
        assert!(!e.to_string().contains("\"p\""));
        let e = KafkaSettings::from_env(&env(&[
            ("DI_KAFKA_BROKER_ENDPOINT", "a:1"),
            ("DI_KAFKA_SECURITY_PROTOCOL", "bogus"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("DI_KAFKA_SECURITY_PROTOCOL"));
    }
}
