//! How to reach a cluster: the one place rdkafka client settings are built.

use rdkafka::ClientConfig;

use super::KafkaError;
use crate::config::{KafkaEndpoint, SecurityProtocol};

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
}

impl KafkaConnection {
    pub fn plaintext(bootstrap_servers: impl Into<String>) -> Self {
        Self {
            bootstrap_servers: bootstrap_servers.into(),
            security_protocol: SecurityProtocol::Plaintext,
            ssl_ca_location: None,
        }
    }

    /// The endpoint's security settings with explicit bootstrap addresses
    /// (from `--bootstrap`, the environment, or MSK's GetBootstrapBrokers).
    pub fn from_endpoint(endpoint: Option<&KafkaEndpoint>, bootstrap_servers: impl Into<String>) -> Self {
        Self {
            bootstrap_servers: bootstrap_servers.into(),
            security_protocol: endpoint.map(|e| e.security_protocol).unwrap_or_default(),
            ssl_ca_location: endpoint.and_then(|e| e.ssl_ca_location.clone()).filter(|ca| !ca.is_empty()),
        }
    }

    /// rdkafka settings for this connection. SASL (SCRAM or IAM) is refused
    /// rather than half-configured: those need credentials forgectl does not
    /// handle yet, and a client that silently connects without them fails later
    /// with a much worse message.
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
                return Err(KafkaError::Unsupported {
                    what: "SASL_SSL",
                    message: "use a TLS listener (security_protocol: SSL) or the MSK topic API (--via msk)".into(),
                })
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
        };
        let config = connection.client_config().unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(config.get("security.protocol"), Some("ssl"));
        assert_eq!(config.get("ssl.ca.location"), Some("/tmp/ca.pem"));
    }

    #[test]
    fn empty_bootstrap_and_sasl_are_refused() {
        assert!(KafkaConnection::plaintext(" ").client_config().is_err());
        let sasl =
            KafkaConnection { security_protocol: SecurityProtocol::SaslSsl, ..KafkaConnection::plaintext("b:9096") };
        assert!(matches!(sasl.client_config(), Err(KafkaError::Unsupported { .. })));
    }
}
