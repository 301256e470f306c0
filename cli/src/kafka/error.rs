use rdkafka::error::RDKafkaErrorCode;

/// Kafka failures, each naming the operation and, where there is one, the
/// topic or group it concerned.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("cannot create a Kafka client for {bootstrap}: {source}")]
    Client {
        bootstrap: String,
        #[source]
        source: rdkafka::error::KafkaError,
    },

    #[error("Kafka {operation} failed against {bootstrap}: {source}")]
    Request {
        operation: &'static str,
        bootstrap: String,
        #[source]
        source: rdkafka::error::KafkaError,
    },

    #[error("Kafka {operation} for topic {topic} failed: {code:?}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Topic { operation: &'static str, topic: String, code: RDKafkaErrorCode, message: Option<String> },

    #[error("Kafka {operation} failed: {message}")]
    Native { operation: &'static str, message: String },

    #[error("invalid {what} for Kafka {operation}: {message}")]
    InvalidInput { operation: &'static str, what: &'static str, message: String },

    #[error("Kafka {operation} got no answer within {}s from {bootstrap}", waited.as_secs())]
    Timeout { operation: &'static str, bootstrap: String, waited: std::time::Duration },

    #[error("the brokers at {bootstrap} refused the SCRAM login of {username}: {reason}")]
    Authentication { bootstrap: String, username: String, reason: String },

    #[error("the Kafka SCRAM password variable {variable} is not set (or empty)")]
    MissingCredential { variable: String },

    #[error("{what} is not supported by forgectl's Kafka client: {message}")]
    Unsupported { what: &'static str, message: String },
}

impl KafkaError {
    pub fn hint(&self) -> Option<String> {
        match self {
            KafkaError::Request { .. } | KafkaError::Timeout { .. } | KafkaError::Client { .. } => Some(
                "check that the brokers are reachable from here (security groups, VPN); from outside the VPC use --via msk"
                    .into(),
            ),
            KafkaError::Authentication { .. } => Some(
                "check kafka.sasl_username and the password in the variable kafka.sasl_password_env names \
                 (on AWS: the environment's AmazonMSK_ secret)"
                    .into(),
            ),
            KafkaError::MissingCredential { variable } => {
                Some(format!("export {variable} with the password of the environment's kafka.sasl_username"))
            }
            _ => None,
        }
    }
}
