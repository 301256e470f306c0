//! A client context that remembers why librdkafka's SASL login failed.
//! librdkafka reports a refused SCRAM login only through its log and error
//! callbacks (an admin client polls no queue for the latter); the request
//! that was waiting then fails with a generic "broker transport failure",
//! which would send the user looking at the network instead of at the
//! password.

use std::sync::Mutex;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError as RdKafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, NoCustomPartitioner, Producer, ProducerContext};
use rdkafka::ClientConfig;

/// How librdkafka words a refused SASL login in its log.
const REFUSED_LOGIN: &str = "SASL authentication error";

#[derive(Debug, Default)]
pub struct LoginContext {
    /// librdkafka's reason for the last refused login. It names the
    /// mechanism and the broker, never the password.
    refused: Mutex<Option<String>>,
}

impl LoginContext {
    /// Why the brokers refused the login, if they did.
    pub fn refused_login(&self) -> Option<String> {
        self.refused.lock().ok().and_then(|reason| reason.clone())
    }

    fn remember(&self, reason: &str) {
        if let Ok(mut refused) = self.refused.lock() {
            *refused = Some(reason.to_string());
        }
    }
}

impl ClientContext for LoginContext {
    /// Only a refused login is kept; the rest of librdkafka's log is the
    /// noise the default context would print to nobody (no logger is set).
    fn log(&self, _: RDKafkaLogLevel, _: &str, message: &str) {
        if let Some(start) = message.find(REFUSED_LOGIN) {
            self.remember(&message[start..]);
        }
    }

    fn error(&self, error: RdKafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication) {
            self.remember(reason);
        }
    }
}

/// The probe below is a producer only because a producer serves the main
/// queue when polled; it never sends a message.
impl ProducerContext<NoCustomPartitioner> for LoginContext {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

/// Why the brokers refuse this client's login, if they do: one Metadata
/// request from a client whose main queue is then served, which is where
/// librdkafka delivers the refusal. `None` when they accept it, or when the
/// failure is something else.
pub fn refused_login(config: &ClientConfig, timeout: Duration) -> Option<String> {
    let producer: BaseProducer<LoginContext> = config.create_with_context(LoginContext::default()).ok()?;
    let _ = producer.client().fetch_metadata(None, timeout);
    producer.poll(Duration::ZERO);
    producer.context().refused_login()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_authentication_errors_are_remembered() {
        let context = LoginContext::default();
        context.error(RdKafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure), "connection refused");
        assert_eq!(context.refused_login(), None);
        context.error(RdKafkaError::Global(RDKafkaErrorCode::Authentication), "SASL authentication error: failed");
        assert_eq!(context.refused_login().as_deref(), Some("SASL authentication error: failed"));
        context.log(RDKafkaLogLevel::Error, "FAIL", "sasl_ssl://b:9096/1: SASL authentication error: bad login");
        assert_eq!(context.refused_login().as_deref(), Some("SASL authentication error: bad login"));
    }
}
