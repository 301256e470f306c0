//! Uploads through the front door, as the SDK sends them: one JSON batch per
//! request to `/v1/uploads/<kind>`, with the API key when there is one.

use std::future::Future;
use std::time::Duration;

use forgectl_contract::endpoints::READY_PATH;
use forgectl_contract::headers::API_KEY_HEADER;
use forgectl_contract::Kind;
use secrecy::{ExposeSecret, SecretString};

use super::endpoint::FrontDoor;
use super::schedule::Outcome;
use super::ProveError;

#[derive(Debug, Clone)]
pub struct Uploader {
    client: reqwest::Client,
    base: String,
    api_key: Option<SecretString>,
}

impl Uploader {
    pub fn new(front_door: &FrontDoor, request_timeout: Duration) -> Result<Uploader, ProveError> {
        let client = reqwest::Client::builder()
            .timeout(request_timeout)
            .connect_timeout(request_timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(1024)
            .build()
            .map_err(|err| ProveError::Invalid {
                message: format!("cannot build an HTTP client: {err}"),
                hint: "check the system's TLS roots".into(),
            })?;
        Ok(Uploader {
            client,
            base: front_door.url.trim_end_matches('/').to_string(),
            api_key: front_door.api_key.clone(),
        })
    }

    /// Sends one upload; the future owns everything it needs, so it can be
    /// spawned.
    pub fn send(&self, kind: Kind, body: Vec<u8>) -> impl Future<Output = Outcome> + Send + 'static {
        let mut request = self
            .client
            .post(format!("{}/v1/uploads/{kind}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.api_key {
            request = request.header(API_KEY_HEADER, key.expose_secret());
        }
        async move {
            match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    // Read the answer to the end so the connection is reused.
                    match response.bytes().await {
                        Ok(_) => Outcome::Status(status),
                        Err(err) => Outcome::Failed(failure_label(&err)),
                    }
                }
                Err(err) => Outcome::Failed(failure_label(&err)),
            }
        }
    }

    /// `GET /ready` through the front door: the cheapest proof that the path
    /// to a producer works before anything is sent.
    pub async fn ready(&self) -> Result<(), String> {
        let response =
            self.client.get(format!("{}{READY_PATH}", self.base)).send().await.map_err(|err| describe(&err))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("GET /ready answered HTTP {}", response.status()))
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}

/// Short, stable labels for errors-by-status tables.
fn failure_label(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timeout".into()
    } else if err.is_connect() {
        "connect".into()
    } else if err.is_body() || err.is_decode() {
        "broken answer".into()
    } else {
        "request".into()
    }
}

/// The error with its causes, which is where reqwest keeps the useful part
/// (a DNS failure, a refused connection).
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
