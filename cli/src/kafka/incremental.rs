//! A safe wrapper over librdkafka's `rd_kafka_IncrementalAlterConfigs`.
//!
//! The rdkafka crate only exposes the legacy AlterConfigs, which replaces a
//! resource's whole set of overrides: every override not sent is reset to
//! the broker default. IncrementalAlterConfigs (KIP-339) sets just the keys
//! sent, which is what "only the keys the profile declares" needs.
//!
//! All `unsafe` in forgectl lives in this file. The wrapper owns every
//! native object it creates (resources, options, a private reply queue, the
//! result event) in RAII guards, validates input before it reaches C, and
//! copies results into owned Rust values before the event is destroyed.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use rdkafka::admin::AdminClient;
use rdkafka::client::ClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka_sys as rdsys;

use super::KafkaError;

const OPERATION: &str = "IncrementalAlterConfigs";

/// How often the reply queue is checked. The request itself takes one
/// broker round trip (milliseconds locally, tens of ms on MSK), so 10 ms
/// keeps latency low without busy-waiting.
const QUEUE_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Extra time beyond the request timeout before giving up on the reply
/// queue. librdkafka itself answers with `_TIMED_OUT` at the request
/// timeout; this only guards against a reply that never comes.
const REPLY_GRACE: Duration = Duration::from_secs(5);

/// Size of librdkafka's error-string buffers (its own examples use 512).
const ERRSTR_SIZE: usize = 512;

/// Keys to set on one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfigChange {
    pub topic: String,
    pub set: BTreeMap<String, String>,
}

/// The broker's answer for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterOutcome {
    pub topic: String,
    pub result: Result<(), (RDKafkaErrorCode, String)>,
}

/// Sets `change.set` on each topic with one IncrementalAlterConfigs request
/// (operation SET per key); other overrides are untouched. Returns one
/// outcome per topic; a request-level failure is an error. An empty list
/// sends nothing.
pub async fn incremental_alter_topic_configs<C: ClientContext>(
    client: &AdminClient<C>,
    changes: &[TopicConfigChange],
    request_timeout: Duration,
) -> Result<Vec<AlterOutcome>, KafkaError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let native = NativeRequest::build(changes)?;
    let timeout_ms =
        i32::try_from(request_timeout.as_millis()).map_err(|_| invalid("timeout", "request timeout too large"))?;
    let rk = client.inner().native_ptr();

    // SAFETY: `rk` is the live handle of `client`, which outlives this call
    // (it is borrowed for the whole function). `rd_kafka_queue_new` returns a
    // new queue we own; null is handled.
    let queue = NativeQueue::new(unsafe { rdsys::rd_kafka_queue_new(rk) })?;
    {
        let options = NativeOptions::new(rk, timeout_ms)?;
        let mut pointers = native.pointers();
        // SAFETY: every pointer in `pointers` is a valid resource owned by
        // `native`, alive across the call; librdkafka copies the resources
        // and options into its request, so they may be freed afterwards (the
        // guards do that at the end of this block / function). The reply is
        // delivered to our private `queue`, not the admin client's, so the
        // crate's poll thread never sees it.
        unsafe {
            rdsys::rd_kafka_IncrementalAlterConfigs(
                rk,
                pointers.as_mut_ptr(),
                pointers.len(),
                options.0.as_ptr(),
                queue.0.as_ptr(),
            );
        }
    }

    let deadline = Instant::now() + request_timeout + REPLY_GRACE;
    let event = loop {
        // SAFETY: `queue` is a live queue we own; a zero timeout never blocks.
        let polled = unsafe { rdsys::rd_kafka_queue_poll(queue.0.as_ptr(), 0) };
        if let Some(event) = NonNull::new(polled) {
            break NativeEvent(event);
        }
        if Instant::now() >= deadline {
            return Err(KafkaError::Native {
                operation: OPERATION,
                message: format!("no reply within {}s", (request_timeout + REPLY_GRACE).as_secs()),
            });
        }
        tokio::time::sleep(QUEUE_POLL_INTERVAL).await;
    };
    event.outcomes()
}

fn invalid(what: &'static str, message: impl Into<String>) -> KafkaError {
    KafkaError::InvalidInput { operation: OPERATION, what, message: message.into() }
}

/// The native resources of one request, validated and built.
struct NativeRequest {
    resources: Vec<NativeResource>,
}

impl NativeRequest {
    fn build(changes: &[TopicConfigChange]) -> Result<Self, KafkaError> {
        let mut seen = std::collections::BTreeSet::new();
        let mut resources = Vec::with_capacity(changes.len());
        for change in changes {
            if change.topic.is_empty() {
                return Err(invalid("topic", "empty topic name"));
            }
            // Kafka rejects a request naming one resource twice.
            if !seen.insert(change.topic.as_str()) {
                return Err(invalid("topic", format!("topic {} listed twice", change.topic)));
            }
            if change.set.is_empty() {
                return Err(invalid("configs", format!("no keys to set on topic {}", change.topic)));
            }
            let name = c_string("topic", &change.topic)?;
            // SAFETY: `name` is a valid NUL-terminated string for the call;
            // librdkafka copies it. Null (allocation failure) is handled.
            let resource = NativeResource::new(unsafe {
                rdsys::rd_kafka_ConfigResource_new(
                    rdsys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
                    name.as_ptr(),
                )
            })?;
            for (key, value) in &change.set {
                let key_c = c_string("config key", key)?;
                let value_c = c_string("config value", value)?;
                // SAFETY: the resource is live and owned; key and value are
                // valid C strings that librdkafka copies.
                let error = unsafe {
                    rdsys::rd_kafka_ConfigResource_add_incremental_config(
                        resource.0.as_ptr(),
                        key_c.as_ptr(),
                        rdsys::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
                        value_c.as_ptr(),
                    )
                };
                if let Some(error) = NonNull::new(error) {
                    // SAFETY: a non-null error is ours to read and destroy.
                    let message = unsafe {
                        let text = c_text(rdsys::rd_kafka_error_string(error.as_ptr()));
                        rdsys::rd_kafka_error_destroy(error.as_ptr());
                        text
                    };
                    return Err(invalid("config", format!("{key} on topic {}: {message}", change.topic)));
                }
            }
            resources.push(resource);
        }
        Ok(Self { resources })
    }

    fn pointers(&self) -> Vec<*mut rdsys::rd_kafka_ConfigResource_t> {
        self.resources.iter().map(|resource| resource.0.as_ptr()).collect()
    }
}

fn c_string(what: &'static str, value: &str) -> Result<CString, KafkaError> {
    CString::new(value).map_err(|_| invalid(what, format!("{value:?} contains a NUL byte")))
}

/// Copies a C string librdkafka owns; null becomes empty.
///
/// # Safety
/// `ptr` must be null or a valid NUL-terminated string alive for the call.
unsafe fn c_text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}

struct NativeResource(NonNull<rdsys::rd_kafka_ConfigResource_t>);

impl NativeResource {
    fn new(ptr: *mut rdsys::rd_kafka_ConfigResource_t) -> Result<Self, KafkaError> {
        NonNull::new(ptr).map(Self).ok_or_else(|| KafkaError::Native {
            operation: OPERATION,
            message: "cannot allocate a config resource".into(),
        })
    }
}

impl Drop for NativeResource {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_ConfigResource_new and owned only here.
        unsafe { rdsys::rd_kafka_ConfigResource_destroy(self.0.as_ptr()) }
    }
}

struct NativeOptions(NonNull<rdsys::rd_kafka_AdminOptions_t>);

impl NativeOptions {
    fn new(rk: *mut rdsys::rd_kafka_t, timeout_ms: i32) -> Result<Self, KafkaError> {
        // SAFETY: `rk` is a live client handle (see the caller).
        let ptr = unsafe {
            rdsys::rd_kafka_AdminOptions_new(rk, rdsys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS)
        };
        let options = NonNull::new(ptr).map(Self).ok_or_else(|| KafkaError::Native {
            operation: OPERATION,
            message: "cannot allocate admin options".into(),
        })?;
        let mut errstr = [0 as c_char; ERRSTR_SIZE];
        // SAFETY: options is live; errstr is a writable buffer of the size passed.
        let code = unsafe {
            rdsys::rd_kafka_AdminOptions_set_request_timeout(
                options.0.as_ptr(),
                timeout_ms,
                errstr.as_mut_ptr(),
                ERRSTR_SIZE,
            )
        };
        if code != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: librdkafka NUL-terminates errstr on error.
            let message = unsafe { c_text(errstr.as_ptr()) };
            return Err(invalid("timeout", message));
        }
        Ok(options)
    }
}

impl Drop for NativeOptions {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_AdminOptions_new and owned only here.
        unsafe { rdsys::rd_kafka_AdminOptions_destroy(self.0.as_ptr()) }
    }
}

struct NativeQueue(NonNull<rdsys::rd_kafka_queue_t>);

// SAFETY: librdkafka queues are thread-safe (internally locked), and this
// handle is owned by one future at a time; moving it between threads when
// the future migrates is fine.
unsafe impl Send for NativeQueue {}

impl NativeQueue {
    fn new(ptr: *mut rdsys::rd_kafka_queue_t) -> Result<Self, KafkaError> {
        NonNull::new(ptr)
            .map(Self)
            .ok_or_else(|| KafkaError::Native { operation: OPERATION, message: "cannot create a reply queue".into() })
    }
}

impl Drop for NativeQueue {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_queue_new and owned only here. Queues
        // are reference-counted, so destroying ours while a reply is still in
        // flight (a cancelled future) only drops our reference.
        unsafe { rdsys::rd_kafka_queue_destroy(self.0.as_ptr()) }
    }
}

struct NativeEvent(NonNull<rdsys::rd_kafka_event_t>);

// SAFETY: an event is owned exclusively by this value; librdkafka does not
// touch it after handing it over.
unsafe impl Send for NativeEvent {}

impl Drop for NativeEvent {
    fn drop(&mut self) {
        // SAFETY: returned by rd_kafka_queue_poll; we own it.
        unsafe { rdsys::rd_kafka_event_destroy(self.0.as_ptr()) }
    }
}

impl NativeEvent {
    /// Copies the per-topic results out of the event.
    fn outcomes(&self) -> Result<Vec<AlterOutcome>, KafkaError> {
        let event = self.0.as_ptr();
        // SAFETY: `event` is live for the whole function (owned by self);
        // every pointer read below points into it and is copied into owned
        // values before returning.
        unsafe {
            let kind = rdsys::rd_kafka_event_type(event);
            if kind != rdsys::RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT {
                return Err(KafkaError::Native {
                    operation: OPERATION,
                    message: format!("unexpected event type {kind}"),
                });
            }
            let code = rdsys::rd_kafka_event_error(event);
            if code != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = c_text(rdsys::rd_kafka_event_error_string(event));
                return Err(KafkaError::Native {
                    operation: OPERATION,
                    message: format!("{:?}: {text}", RDKafkaErrorCode::from(code)),
                });
            }
            let result = rdsys::rd_kafka_event_IncrementalAlterConfigs_result(event);
            if result.is_null() {
                return Err(KafkaError::Native { operation: OPERATION, message: "event carries no result".into() });
            }
            let mut count = 0usize;
            let resources = rdsys::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count);
            if resources.is_null() || count == 0 {
                return Ok(Vec::new());
            }
            let resources = std::slice::from_raw_parts(resources, count);
            Ok(resources
                .iter()
                .map(|&resource| {
                    let topic = c_text(rdsys::rd_kafka_ConfigResource_name(resource));
                    let code = rdsys::rd_kafka_ConfigResource_error(resource);
                    let result = if code == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                        Ok(())
                    } else {
                        Err((
                            RDKafkaErrorCode::from(code),
                            c_text(rdsys::rd_kafka_ConfigResource_error_string(resource)),
                        ))
                    };
                    AlterOutcome { topic, result }
                })
                .collect())
        }
    }
}

#[cfg(test)]
#[path = "incremental_tests.rs"]
mod tests;
