//! What the gap checks need to know about a topic that the consuming client
//! does not say: a partition's watermarks and the topic's id. A client of its
//! own (an admin client, which polls its own queue) answers on a blocking
//! thread, so neither the group's consumer nor the runtime waits on it.
//!
//! rdkafka's Rust API exposes no topic ids; librdkafka does, through the
//! DescribeTopics admin call (KIP-516 ids, brokers 2.8 and later), which is
//! used here through rdkafka's bindings.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::bindings as rd;
use rdkafka::error::KafkaError;

use forgectl_service_common::kafka_iam::AuthContext;
use forgectl_service_common::KafkaSettings;

use crate::gaps::Watermarks;
use crate::inspect_token::AdminToken;

/// How long one watermark query or topic description may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("creating the Kafka admin client for gap checks: {0}")]
    Create(#[source] KafkaError),
    #[error("reading the watermarks of {topic}[{partition}]: {source}")]
    Watermarks {
        topic: String,
        partition: i32,
        #[source]
        source: KafkaError,
    },
    #[error("describing topics {topics:?}: {reason}")]
    Describe { topics: Vec<String>, reason: String },
    #[error("{0}")]
    Token(String),
    #[error("the blocking Kafka query did not finish: {0}")]
    Join(#[from] tokio::task::JoinError),
}

#[derive(Clone)]
pub struct Inspector {
    admin: Arc<AdminClient<AuthContext>>,
    token: Arc<AdminToken>,
}

impl Inspector {
    pub fn new(kafka: &KafkaSettings) -> Result<Self, InspectError> {
        let admin = kafka.client_config().create_with_context(kafka.auth_context()).map_err(InspectError::Create)?;
        Ok(Self { admin: Arc::new(admin), token: Arc::new(AdminToken::new(kafka.iam.clone())) })
    }

    pub async fn watermarks(&self, topic: &str, partition: i32) -> Result<Watermarks, InspectError> {
        let (admin, token) = (self.admin.clone(), self.token.clone());
        let name = topic.to_string();
        let answer = tokio::task::spawn_blocking(move || {
            token.ensure(&admin).map_err(InspectError::Token)?;
            Ok::<_, InspectError>(admin.inner().fetch_watermarks(&name, partition, QUERY_TIMEOUT))
        })
        .await??;
        let (low, high) =
            answer.map_err(|source| InspectError::Watermarks { topic: topic.to_string(), partition, source })?;
        Ok(Watermarks { low, high })
    }

    /// Each topic's id (Kafka's base64 form, as `kafka-topics --describe`
    /// prints it), or the reason it could not be read for that topic.
    pub async fn topic_ids(&self, topics: &[String]) -> Result<HashMap<String, Result<String, String>>, InspectError> {
        let (admin, token) = (self.admin.clone(), self.token.clone());
        let names = topics.to_vec();
        tokio::task::spawn_blocking(move || {
            token.ensure(&admin).map_err(InspectError::Token)?;
            describe_topics(&admin, &names)
        })
        .await?
    }
}

/// Owns a native handle and releases it with its destructor on drop, so
/// every early return frees what was allocated.
struct Native<T> {
    ptr: *mut T,
    destroy: unsafe extern "C" fn(*mut T),
}

impl<T> Drop for Native<T> {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: `ptr` came from the librdkafka constructor matching
            // `destroy` and is released exactly once, here.
            unsafe { (self.destroy)(self.ptr) }
        }
    }
}

fn text(ptr: *const std::os::raw::c_char) -> Option<String> {
    // SAFETY: librdkafka returns NUL-terminated strings owned by the object
    // they were read from, which outlives this call.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}

fn describe_topics(
    admin: &AdminClient<AuthContext>,
    topics: &[String],
) -> Result<HashMap<String, Result<String, String>>, InspectError> {
    let failed = |reason: String| InspectError::Describe { topics: topics.to_vec(), reason };
    let names: Vec<CString> =
        topics.iter().map(|t| CString::new(t.as_str())).collect::<Result<_, _>>().map_err(|e| failed(e.to_string()))?;
    let mut name_ptrs: Vec<*const std::os::raw::c_char> = names.iter().map(|n| n.as_ptr()).collect();
    let rk = admin.inner().native_ptr();
    // SAFETY (this block): `rk` is the admin client's live handle; every
    // object created here is owned by a `Native` guard and destroyed before
    // return; `name_ptrs` outlive the collection, which copies them.
    unsafe {
        let collection = Native {
            ptr: rd::rd_kafka_TopicCollection_of_topic_names(name_ptrs.as_mut_ptr(), name_ptrs.len()),
            destroy: rd::rd_kafka_TopicCollection_destroy,
        };
        let options = Native {
            ptr: rd::rd_kafka_AdminOptions_new(rk, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBETOPICS),
            destroy: rd::rd_kafka_AdminOptions_destroy,
        };
        let mut errstr = [0 as std::os::raw::c_char; 256];
        rd::rd_kafka_AdminOptions_set_request_timeout(
            options.ptr,
            QUERY_TIMEOUT.as_millis() as i32,
            errstr.as_mut_ptr(),
            errstr.len(),
        );
        let queue = Native { ptr: rd::rd_kafka_queue_new(rk), destroy: rd::rd_kafka_queue_destroy };
        rd::rd_kafka_DescribeTopics(rk, collection.ptr, options.ptr, queue.ptr);
        // The request times out on its own; the poll waits a little longer
        // for that answer.
        let event = Native {
            ptr: rd::rd_kafka_queue_poll(queue.ptr, (QUERY_TIMEOUT + Duration::from_secs(2)).as_millis() as i32),
            destroy: rd::rd_kafka_event_destroy,
        };
        if event.ptr.is_null() {
            return Err(failed("no answer in time".into()));
        }
        if rd::rd_kafka_event_error(event.ptr) != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(failed(text(rd::rd_kafka_event_error_string(event.ptr)).unwrap_or_default()));
        }
        let result = rd::rd_kafka_event_DescribeTopics_result(event.ptr);
        if result.is_null() {
            return Err(failed("the answer is not a DescribeTopics result".into()));
        }
        let mut count = 0usize;
        let descriptions = rd::rd_kafka_DescribeTopics_result_topics(result, &mut count);
        let mut ids = HashMap::new();
        for i in 0..count {
            let description = *descriptions.add(i);
            let Some(name) = text(rd::rd_kafka_TopicDescription_name(description)) else {
                continue;
            };
            let error = rd::rd_kafka_TopicDescription_error(description);
            let id = if !error.is_null()
                && rd::rd_kafka_error_code(error) != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
            {
                Err(text(rd::rd_kafka_error_string(error)).unwrap_or_else(|| "unknown error".into()))
            } else {
                let uuid = rd::rd_kafka_TopicDescription_topic_id(description);
                let zero = uuid.is_null()
                    || (rd::rd_kafka_Uuid_most_significant_bits(uuid) == 0
                        && rd::rd_kafka_Uuid_least_significant_bits(uuid) == 0);
                if zero {
                    Err("the broker reports no topic id".to_string())
                } else {
                    // librdkafka writes standard base64; Kafka's tools
                    // print the URL-safe alphabet.
                    text(rd::rd_kafka_Uuid_base64str(uuid))
                        .map(|id| id.replace('+', "-").replace('/', "_"))
                        .ok_or_else(|| "unreadable topic id".to_string())
                }
            };
            ids.insert(name, id);
        }
        Ok(ids)
    }
}
