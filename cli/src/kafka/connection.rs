//! How to reach a cluster: the one place rdkafka client settings are built.

use rdkafka::ClientConfig;
use secrecy::{ExposeSecret, SecretString};

use super::KafkaError;
use crate::config::{KafkaEndpoint, SecurityProtocol};

/// The only SASL mechanism forgectl speaks: MSK's `sasl-scram` (and the dev
/// stack's SASL_SSL listener) use SCRAM-SHA-512.
pub const SCRAM_MECHANISM: &str = "SCRAM-SHA-512";

/// A SCRAM login. The password is a [`SecretString`]: its `Debug` is
/// redacted and it is only exposed to librdkafka's settings and to the
/// services' secret variables.
#[derive(Debug, Clone)]
pub struct ScramCredentials {
    pub username: String,
    pub password: SecretString,
}

impl ScramCredentials {
    pub fn new(username: impl Into<String>, password: SecretString) -> Self {
        ScramCredentials { username: username.into(), password }
    }

    /// The login as `kafka.sasl_username` and the variable named by
    /// `kafka.sasl_password_env` give it; `None` when the endpoint names none.
    pub fn from_endpoint(endpoint: &KafkaEndpoint) -> Result<Option<Self>, KafkaError> {
        let (Some(username), Some(variable)) = (&endpoint.sasl_username, &endpoint.sasl_password_env) else {
            return Ok(None);
        };
        let password = std::env::var(variable)
            .ok()
            .filter(|value| !value.is_empty())
            .ok_or_else(|| KafkaError::MissingCredential { variable: variable.clone() })?;
        Ok(Some(ScramCredentials::new(username.clone(), SecretString::from(password))))
    }
}

impl PartialEq for ScramCredentials {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username && self.password.expose_secret() == other.password.expose_secret()
    }
}

impl Eq for ScramCredentials {}

/// Socket timeout for admin and metadata traffic. librdkafka's default is a
/// minute; a CLI that cannot reach a broker should say so sooner.
const SOCKET_TIMEOUT_MS: &str = "10000";

/// A resolved connection: bootstrap addresses plus how to secure them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConnection {
    pub bootstrap_servers: String,
    pub security_protocol: SecurityProtocol,
    /// PEM file of the CA that signed the brokers' certificates; `None`
    /// uses the system trust store (what MSK's Amazon-issued certificates need).
    pub ssl_ca_location: Option<String>,
    /// The SCRAM login for `SASL_SSL`; `None` for the other protocols.
    pub sasl: Option<ScramCredentials>,
}

impl KafkaConnection {
    pub fn plaintext(bootstrap_servers: impl Into<String>) -> Self {
        Self {
            bootstrap_servers: bootstrap_servers.into(),
            security_protocol: SecurityProtocol::Plaintext,
            ssl_ca_location: None,
            sasl: None,
        }
    }

    /// The endpoint's security settings with explicit bootstrap addresses
    /// (from `--bootstrap`, the environment, or MSK's GetBootstrapBrokers).
    /// A SCRAM password is read here, from the variable the endpoint names.
    pub fn from_endpoint(
        endpoint: Option<&KafkaEndpoint>,
        bootstrap_servers: impl Into<String>,
    ) -> Result<Self, KafkaError> {
        Ok(Self {
            bootstrap_servers: bootstrap_servers.into(),
            security_protocol: endpoint.map(|e| e.security_protocol).unwrap_or_default(),
            ssl_ca_location: endpoint.and_then(|e| e.ssl_ca_location.clone()).filter(|ca| !ca.is_empty()),
            sasl: endpoint.map(ScramCredentials::from_endpoint).transpose()?.flatten(),
        })
    }

    /// rdkafka settings for this connection. SASL_SSL without a SCRAM login
    /// is refused rather than half-configured: a client that connects without
    /// credentials fails later with a much worse message.
    pub fn client_config(&self) -> Result<ClientConfig, KafkaError> {
        if self.bootstrap_servers.trim().is_empty() {
            return Err(KafkaError::InvalidInput {
                operation: "connect",
                what: "bootstrap servers",
                message: "no broker address given".into(),
            });
        }
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.bootstrap_servers)
            .set("client.id", concat!("forgectl/", env!("CARGO_PKG_VERSION")))
            .set("socket.timeout.ms", SOCKET_TIMEOUT_MS)
            .set("log_level", "3");
        match self.security_protocol {
            SecurityProtocol::Plaintext => {
                config.set("security.protocol", "plaintext");
            }
            SecurityProtocol::Ssl => {
                config.set("security.protocol", "ssl");
                if let Some(ca) = &self.ssl_ca_location {
                    config.set("ssl.ca.location", ca);
                }
            }
            SecurityProtocol::SaslSsl => {
                let Some(login) = &self.sasl else {
                    return Err(KafkaError::Unsupported {
                        what: "SASL_SSL without credentials",
                        message: "set kafka.sasl_username and kafka.sasl_password_env, or use a TLS listener \
                                  (security_protocol: SSL) or the MSK topic API (--via msk)"
                            .into(),
                    });
                };
                config
                    .set("security.protocol", "sasl_ssl")
                    .set("sasl.mechanisms", SCRAM_MECHANISM)
                    .set("sasl.username", &login.username)
                    .set("sasl.password", login.password.expose_secret());
                if let Some(ca) = &self.ssl_ca_location {
                    config.set("ssl.ca.location", ca);
                }
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_carries_the_ca() {
        let connection = KafkaConnection {
            bootstrap_servers: "b1:9094".into(),
            security_protocol: SecurityProtocol::Ssl,
            ssl_ca_location: Some("/tmp/ca.pem".into()),
            sasl: None,
        };
        let config = connection.client_config().unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(config.get("security.protocol"), Some("ssl"));
        assert_eq!(config.get("ssl.ca.location"), Some("/tmp/ca.pem"));
    }

    #[test]
    fn empty_bootstrap_and_sasl_without_login_are_refused() {
        assert!(KafkaConnection::plaintext(" ").client_config().is_err());
        let sasl =
            KafkaConnection { security_protocol: SecurityProtocol::SaslSsl, ..KafkaConnection::plaintext("b:9096") };
        assert!(matches!(sasl.client_config(), Err(KafkaError::Unsupported { .. })));
    }

    #[test]
    fn scram_login_is_set_and_never_debug_printed() {
        let connection = KafkaConnection {
            security_protocol: SecurityProtocol::SaslSsl,
            ssl_ca_location: Some("/tmp/ca.pem".into()),
            sasl: Some(ScramCredentials::new("svc", SecretString::from("s3cr3t-pw"))),
            ..KafkaConnection::plaintext("b:9096")
        };
        let config = connection.client_config().unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(config.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(config.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
        assert_eq!(config.get("sasl.username"), Some("svc"));
        assert_eq!(config.get("sasl.password"), Some("s3cr3t-pw"));
        assert_eq!(config.get("ssl.ca.location"), Some("/tmp/ca.pem"));
        assert!(!format!("{connection:?}").contains("s3cr3t-pw"));
    }

    #[test]
    fn a_missing_password_variable_is_named_not_guessed() {
        let endpoint = KafkaEndpoint {
            bootstrap_servers: Some("b:9096".into()),
            security_protocol: SecurityProtocol::SaslSsl,
            ssl_ca_location: None,
            sasl_username: Some("svc".into()),
            sasl_password_env: Some("FORGECTL_TEST_SCRAM_PASSWORD_NEVER_SET".into()),
        };
        let err = KafkaConnection::from_endpoint(Some(&endpoint), "b:9096").err();
        assert!(
            matches!(&err, Some(KafkaError::MissingCredential { variable }) if variable == "FORGECTL_TEST_SCRAM_PASSWORD_NEVER_SET"),
            "{err:?}"
        );
    }
}
