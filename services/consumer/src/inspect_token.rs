//! The gap checks' admin client under MSK IAM. rdkafka answers librdkafka's
//! token requests while polling a client's main queue, which an admin client
//! never polls; so before each query the inspector hands librdkafka a fresh
//! token itself whenever the current one is missing or about to expire.

use std::ffi::CString;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use forgectl_service_common::kafka_iam::{AuthContext, MskIam};
use rdkafka::admin::AdminClient;
use rdkafka::bindings as rd;

/// A token is replaced this long before it expires, so a query never
/// starts with one that lapses mid-way.
const REFRESH_BEFORE_MS: i64 = 120_000;

#[derive(Default)]
pub(crate) struct AdminToken {
    iam: Option<MskIam>,
    expires_at_ms: AtomicI64,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

impl AdminToken {
    pub(crate) fn new(iam: Option<MskIam>) -> AdminToken {
        AdminToken { iam, expires_at_ms: AtomicI64::new(0) }
    }

    /// Sets a fresh token on `admin` when IAM is on and the current one is
    /// missing or near its end; blocking (call it on a blocking thread).
    pub(crate) fn ensure(&self, admin: &AdminClient<AuthContext>) -> Result<(), String> {
        let Some(iam) = &self.iam else {
            return Ok(());
        };
        if self.expires_at_ms.load(Ordering::Relaxed) - REFRESH_BEFORE_MS > now_ms() {
            return Ok(());
        }
        let token = iam.token().map_err(|err| err.to_string())?;
        let value = CString::new(token.token).map_err(|err| err.to_string())?;
        let principal = CString::new(token.principal_name).map_err(|err| err.to_string())?;
        let mut errstr = [0 as std::os::raw::c_char; 256];
        // SAFETY: the admin client's handle is live for the call; the strings
        // outlive it (librdkafka copies them); no extensions are passed.
        let code = unsafe {
            rd::rd_kafka_oauthbearer_set_token(
                admin.inner().native_ptr(),
                value.as_ptr(),
                token.lifetime_ms,
                principal.as_ptr(),
                std::ptr::null_mut(),
                0,
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: librdkafka NUL-terminates what it writes into `errstr`.
            let reason = unsafe { std::ffi::CStr::from_ptr(errstr.as_ptr()) }.to_string_lossy().into_owned();
            return Err(format!("setting the MSK IAM token on the gap checks' admin client: {reason}"));
        }
        self.expires_at_ms.store(token.lifetime_ms, Ordering::Relaxed);
        Ok(())
    }
}
