//! Dead letters: messages that can never be written go to
//! `<topic><suffix>` (the profile's `dead_letter.suffix`, `.dlq` by default)
//! with headers that say why and where they came from. The DLQ topics are
//! declared by `forgectl topics` next to their source topics; this consumer
//! never creates them, and a missing one is a reason not to be ready.

use std::time::Duration;

use futures::future::join_all;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedHeaders, Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use forgectl_service_common::kafka_iam::AuthContext;
use forgectl_service_common::KafkaSettings;

use crate::batch::{Item, Payload, Source};

pub const H_ERROR: &str = "dlq.error";
pub const H_TOPIC: &str = "dlq.source.topic";
pub const H_PARTITION: &str = "dlq.source.partition";
pub const H_OFFSET: &str = "dlq.source.offset";
/// Set when the value was too large to keep: its size in bytes.
pub const H_ORIGINAL_SIZE: &str = "dlq.original.size";

/// Longest error text put in a header.
const MAX_ERROR_LEN: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    #[error("creating the dead-letter producer: {0}")]
    Create(#[source] KafkaError),
    #[error("sending a dead letter for {0}")]
    Send(Box<SendFailure>),
}

impl DlqError {
    /// Why no retry can help until an operator acts (the dead-letter topic
    /// is missing or we may not write it); `None` for transient failures.
    pub fn permanent_reason(&self) -> Option<String> {
        let DlqError::Send(failure) = self else {
            return None;
        };
        match failure.source.rdkafka_error_code()? {
            RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic => {
                Some(format!("dead-letter topic {} does not exist; create it with `forgectl topics sync`", failure.dlq))
            }
            RDKafkaErrorCode::TopicAuthorizationFailed | RDKafkaErrorCode::ClusterAuthorizationFailed => {
                Some(format!("not authorised to write dead-letter topic {}", failure.dlq))
            }
            RDKafkaErrorCode::MessageSizeTooLarge => {
                Some(format!("dead-letter topic {} refuses the message as too large", failure.dlq))
            }
            _ => None,
        }
    }
}

/// A message's headers read through librdkafka's raw accessor, so a key
/// that is not UTF-8 (which `Headers::get` would panic on) comes out lossily
/// decoded instead of taking the consumer down.
pub fn raw_headers(headers: &BorrowedHeaders) -> Vec<(String, Vec<u8>)> {
    use rdkafka::bindings as rd;
    // SAFETY: `BorrowedHeaders` is rdkafka's zero-sized view of a native
    // `rd_kafka_headers_t`: its address is that pointer (see rdkafka's
    // `BorrowedHeaders::from_native_ptr`), valid for the borrow's lifetime.
    let native = headers as *const BorrowedHeaders as *const rd::rd_kafka_headers_t;
    (0..headers.count())
        .filter_map(|idx| {
            let mut name = std::ptr::null();
            let mut value = std::ptr::null();
            let mut size = 0usize;
            // SAFETY: `native` is valid (above), `idx` < count, and the out
            // pointers are locals librdkafka fills in.
            let err = unsafe { rd::rd_kafka_header_get_all(native, idx, &mut name, &mut value, &mut size) };
            if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
                return None;
            }
            // SAFETY: librdkafka returns a NUL-terminated name and, unless
            // null, `size` value bytes, both owned by the headers.
            let key = unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy().into_owned();
            let value = if value.is_null() {
                Vec::new()
            } else {
                unsafe { std::slice::from_raw_parts(value.cast::<u8>(), size) }.to_vec()
            };
            Some((key, value))
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
#[error("{topic}[{partition}]@{offset} to {dlq}: {source}")]
pub struct SendFailure {
    pub dlq: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    #[source]
    pub source: KafkaError,
}

/// Headers of a dead letter: ours first, then the original message's.
pub fn dlq_headers(source: &Source, error: &str, original: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    let mut error = error.to_string();
    if error.len() > MAX_ERROR_LEN {
        let mut cut = MAX_ERROR_LEN;
        while !error.is_char_boundary(cut) {
            cut -= 1;
        }
        error.truncate(cut);
    }
    let mut out = vec![
        (H_ERROR.to_string(), error.into_bytes()),
        (H_TOPIC.to_string(), source.topic.clone().into_bytes()),
        (H_PARTITION.to_string(), source.partition.to_string().into_bytes()),
        (H_OFFSET.to_string(), source.offset.to_string().into_bytes()),
    ];
    // An earlier dead letter's headers are replaced by ours; the size note
    // is added by the decoder for this very letter.
    out.extend(original.iter().filter(|(k, _)| !k.starts_with("dlq.") || k == H_ORIGINAL_SIZE).cloned());
    out
}

pub struct DeadLetters {
    producer: FutureProducer<AuthContext>,
    suffix: String,
}

impl DeadLetters {
    pub fn new(kafka: &KafkaSettings, suffix: &str) -> Result<Self, DlqError> {
        let mut cfg = kafka.client_config();
        cfg.set("acks", "all")
            .set("enable.idempotence", "true")
            .set("message.timeout.ms", "10000")
            // A missing dead-letter topic must surface as "unknown topic"
            // (a reason not to be ready), not as a timeout: mark a topic
            // absent after 5 s instead of librdkafka's 30.
            .set("topic.metadata.propagation.max.ms", "5000")
            .set("linger.ms", "0");
        let producer = cfg.create_with_context(kafka.auth_context()).map_err(DlqError::Create)?;
        Ok(Self { producer, suffix: suffix.to_string() })
    }

    pub fn topic_for(&self, topic: &str) -> String {
        format!("{topic}{}", self.suffix)
    }

    /// Sends every unsent dead letter in `items` and waits for all the acks
    /// together. Items whose send succeeded are marked, so a retry after a
    /// partial failure only resends the rest.
    pub async fn send_pending(&self, items: &mut [Item]) -> Result<usize, DlqError> {
        let pending: Vec<(usize, String)> = items
            .iter()
            .enumerate()
            .filter(|(_, item)| matches!(&item.payload, Payload::Poison(p) if !p.dlq_sent))
            .map(|(idx, item)| (idx, self.topic_for(&item.source.topic)))
            .collect();
        let mut futures = Vec::with_capacity(pending.len());
        for (idx, topic) in &pending {
            let item = &items[*idx];
            let Payload::Poison(p) = &item.payload else {
                continue;
            };
            let mut headers = OwnedHeaders::new();
            for (k, v) in dlq_headers(&item.source, &p.error, &p.headers) {
                headers = headers.insert(Header { key: &k, value: Some(&v) });
            }
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(headers);
            if let Some(k) = &p.key {
                record = record.key(k.as_slice());
            }
            if let Some(v) = &p.payload {
                record = record.payload(v.as_slice());
            }
            futures.push(self.producer.send(record, Duration::from_secs(5)));
        }
        let indices: Vec<usize> = pending.iter().map(|(i, _)| *i).collect();
        let results = join_all(futures).await;
        let mut sent = 0;
        let mut first_err = None;
        for (idx, res) in indices.into_iter().zip(results) {
            let item = &mut items[idx];
            match res {
                Ok(_) => {
                    if let Payload::Poison(p) = &mut item.payload {
                        p.dlq_sent = true;
                    }
                    sent += 1;
                    metrics::counter!("consumer_dlq_total", "topic" => item.source.topic.clone()).increment(1);
                }
                Err((source, _)) => {
                    if first_err.is_none() {
                        first_err = Some(DlqError::Send(Box::new(SendFailure {
                            dlq: self.topic_for(&item.source.topic),
                            topic: item.source.topic.clone(),
                            partition: item.source.partition,
                            offset: item.source.offset,
                            source,
                        })));
                    }
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(sent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_error_and_source() {
        let src = Source { topic: "sms_batched".into(), partition: 3, offset: 42 };
        let orig = vec![("batch-id".to_string(), b"b1".to_vec()), ("dlq.error".to_string(), b"old".to_vec())];
        let h = dlq_headers(&src, "bad json", &orig);
        let get = |k: &str| h.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).to_string());
        assert_eq!(get(H_ERROR).as_deref(), Some("bad json"));
        assert_eq!(get(H_TOPIC).as_deref(), Some("sms_batched"));
        assert_eq!(get(H_PARTITION).as_deref(), Some("3"));
        assert_eq!(get(H_OFFSET).as_deref(), Some("42"));
        assert_eq!(get("batch-id").as_deref(), Some("b1"));
        assert_eq!(h.iter().filter(|(k, _)| k == H_ERROR).count(), 1);
    }

    #[test]
    fn long_errors_are_cut_on_a_char_boundary() {
        let src = Source { topic: "t".into(), partition: 0, offset: 0 };
        let h = dlq_headers(&src, &"é".repeat(1000), &[]);
        assert!(h[0].1.len() <= MAX_ERROR_LEN);
        assert!(String::from_utf8(h[0].1.clone()).is_ok());
    }
}
