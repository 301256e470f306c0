//! The record kinds the SDK uploads and the Kafka topics they travel on:
//! forgectl declares the topics and sends test uploads per kind, the producer
//! routes each upload to its kind's topic, and the consumer maps topics back.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The data kinds the SDK uploads; each has exactly one Kafka topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Sms,
    Events,
    AppsAndDevice,
    Contacts,
    CallLogs,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Sms, Kind::Events, Kind::AppsAndDevice, Kind::Contacts, Kind::CallLogs];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sms => "sms",
            Kind::Events => "events",
            Kind::AppsAndDevice => "apps_and_device",
            Kind::Contacts => "contacts",
            Kind::CallLogs => "call_logs",
        }
    }

    /// Topic names are the seeds' names, which the deployed consumers and the
    /// `forgectl topics` declarations both rely on.
    pub fn topic(self) -> &'static str {
        match self {
            Kind::Sms => "sms_batched",
            Kind::Events => "events_log",
            Kind::AppsAndDevice => "apps_and_device_batched",
            Kind::Contacts => "contacts_batched",
            Kind::CallLogs => "call_logs_batched",
        }
    }

    pub fn from_topic(topic: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| topic.ends_with(k.topic()))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind name that is none of [`Kind::ALL`]; holds at most 64 characters of it.
#[derive(Debug)]
pub struct UnknownKind(pub String);

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown kind {:?}; expected one of sms, events, apps_and_device, contacts, call_logs", self.0)
    }
}

impl std::error::Error for UnknownKind {}

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownKind(s.chars().take(64).collect()))
    }
}

/// Appended to a topic's name for its dead-letter topic when the profile sets
/// no `dead_letter.suffix` (and when the consumer is given no
/// `KAFKA_DEAD_LETTER_SUFFIX`): both sides must fall back to the same name.
pub const DEFAULT_DEAD_LETTER_SUFFIX: &str = ".dlq";

/// Name of the dead-letter topic for a source topic, with the default suffix.
pub fn dlq_topic(topic: &str) -> String {
    format!("{topic}{DEFAULT_DEAD_LETTER_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_seed_topics() {
        let pairs: Vec<_> = Kind::ALL.iter().map(|k| (k.as_str(), k.topic())).collect();
        assert_eq!(
            pairs,
            vec![
                ("sms", "sms_batched"),
                ("events", "events_log"),
                ("apps_and_device", "apps_and_device_batched"),
                ("contacts", "contacts_batched"),
                ("call_logs", "call_logs_batched"),
            ]
        );
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().ok(), Some(k));
            assert_eq!(Kind::from_topic(k.topic()), Some(k));
        }
        let unknown = "nope".parse::<Kind>().map_err(|err| err.to_string());
        assert!(unknown.is_err_and(|message| message.contains("\"nope\"") && message.contains("call_logs")));
        assert_eq!(dlq_topic("sms_batched"), "sms_batched.dlq");
    }
}
