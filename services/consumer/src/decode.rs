//! From a Kafka message to what the batch holds: the envelope's rows, or a
//! dead letter for anything this consumer cannot read. Nothing a producer
//! can put in a message (bytes of any kind, any header, any size) may
//! panic here.

use rdkafka::message::{Message, OwnedMessage};

use forgectl_service_common::Envelope;

use crate::batch::{Payload, Poison};
use crate::dlq::{raw_headers, H_ORIGINAL_SIZE};

/// The rows of `msg`, or a poison item that says why there are none.
pub fn decode(msg: &OwnedMessage, max_message_bytes: usize) -> Payload {
    match msg.payload() {
        None => Payload::Poison(poison(msg, "message has no value".into())),
        Some(value) if value.len() > max_message_bytes => {
            let mut p = poison(
                msg,
                format!("message value of {} bytes exceeds the consumer's limit of {max_message_bytes}", value.len()),
            );
            // The value stays in the source topic (its offset is in the
            // headers); the dead letter must fit its own topic's limit.
            p.payload = None;
            p.headers.push((H_ORIGINAL_SIZE.to_string(), value.len().to_string().into_bytes()));
            Payload::Poison(p)
        }
        Some(value) => match Envelope::decode(value) {
            Ok(env) => Payload::Rows(env),
            Err(e) => Payload::Poison(poison(msg, e.to_string())),
        },
    }
}

fn poison(msg: &OwnedMessage, error: String) -> Poison {
    let headers = msg.headers().map(|hs| raw_headers(hs.as_borrowed())).unwrap_or_default();
    tracing::warn!(topic = msg.topic(), partition = msg.partition(), offset = msg.offset(), error = %error, "unreadable message; dead-lettering");
    Poison {
        key: msg.key().map(<[u8]>::to_vec),
        payload: msg.payload().map(<[u8]>::to_vec),
        headers,
        error,
        dlq_sent: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::message::{Header, OwnedHeaders, Timestamp};

    fn message(value: Option<&[u8]>, headers: Option<OwnedHeaders>) -> OwnedMessage {
        OwnedMessage::new(
            value.map(<[u8]>::to_vec),
            Some(b"k".to_vec()),
            "t".into(),
            Timestamp::NotAvailable,
            0,
            7,
            headers,
        )
    }

    fn poison_of(p: Payload) -> Poison {
        match p {
            Payload::Poison(p) => p,
            Payload::Rows(_) => panic!("expected a dead letter"),
        }
    }

    #[test]
    fn unreadable_messages_become_dead_letters() {
        let headers = OwnedHeaders::new().insert(Header { key: "batch-id", value: Some("b1") });
        let none = poison_of(decode(&message(None, Some(headers)), 1024));
        assert!(none.error.contains("no value"));
        assert_eq!(none.headers, vec![("batch-id".to_string(), b"b1".to_vec())]);
        let junk = poison_of(decode(&message(Some(b"\xff\x00junk"), None), 1024));
        assert_eq!(junk.payload.as_deref(), Some(&b"\xff\x00junk"[..]));
        let big = poison_of(decode(&message(Some(&[b'{'; 2048]), None), 1024));
        assert!(big.payload.is_none() && big.error.contains("2048"));
        assert!(big.headers.contains(&(H_ORIGINAL_SIZE.to_string(), b"2048".to_vec())));
    }

    #[test]
    fn a_header_without_value_is_kept_empty() {
        let headers = OwnedHeaders::new().insert::<[u8]>(Header { key: "empty", value: None });
        let p = poison_of(decode(&message(Some(b"x"), Some(headers)), 1024));
        assert_eq!(p.headers, vec![("empty".to_string(), Vec::new())]);
    }
}
