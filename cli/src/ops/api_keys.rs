//! `forgectl api-keys create|list|revoke NAME`: the producers' API keys, as
//! one SecureString parameter `PRODUCER_API_KEYS` (`name:key,…`) under the
//! environment's secrets path. The instances read every parameter under
//! that path at boot, so a new or revoked key reaches the producers with
//! the next instance refresh (a rolling `deploy`, or the refresh in
//! docs/security.md). A key is shown once, on create; nothing else prints
//! one.

use std::collections::BTreeMap;

// The producer's variable, and so the parameter's last path segment.
use forgectl_contract::env_vars::PRODUCER_API_KEYS;
use serde::Serialize;

use crate::aws::ssm::{self, SecretValue};
use crate::aws::AwsError;
use crate::config::Provider;
use crate::exit::Exit;
use crate::naming::fleet::FleetNames;
use crate::ops::context::RunContext;

const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeysError {
    #[error("{message}")]
    Invalid { message: String, hint: String },

    #[error("the parameter {parameter} does not hold `name:key,…`: {reason}")]
    Malformed { parameter: String, reason: String },

    #[error("cannot generate a key: {0}")]
    Random(String),

    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl ApiKeysError {
    pub fn exit(&self) -> Exit {
        match self {
            ApiKeysError::Invalid { .. } => Exit::Usage,
            _ => Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            ApiKeysError::Invalid { hint, .. } => Some(hint.clone()),
            ApiKeysError::Malformed { .. } => {
                Some("fix or delete the parameter; forgectl writes `name:key` pairs separated by commas".into())
            }
            ApiKeysError::Aws(err) => err.hint(),
            ApiKeysError::Random(_) => None,
        }
    }
}

/// The keys by name, as the producer parses them. Values never leave
/// through `Debug` or `Serialize`.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct KeyRing {
    keys: BTreeMap<String, SecretValue>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("names", &self.names()).finish()
    }
}

impl KeyRing {
    pub fn parse(parameter: &str, text: &str) -> Result<KeyRing, ApiKeysError> {
        let malformed = |reason: String| ApiKeysError::Malformed { parameter: parameter.to_string(), reason };
        let mut keys = BTreeMap::new();
        for (index, entry) in text.split(',').map(str::trim).filter(|entry| !entry.is_empty()).enumerate() {
            let (name, key) =
                entry.split_once(':').ok_or_else(|| malformed(format!("entry {} has no `:`", index + 1)))?;
            if name.is_empty() || key.is_empty() {
                return Err(malformed(format!("entry {} has an empty name or key", index + 1)));
            }
            if keys.insert(name.to_string(), SecretValue::new(key.to_string())).is_some() {
                return Err(malformed(format!("the name `{name}` appears twice")));
            }
        }
        Ok(KeyRing { keys })
    }

    pub fn names(&self) -> Vec<String> {
        self.keys.keys().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds `name` with `key`; a name in use is refused (revoke it first, so
    /// a rotation is a deliberate two-step).
    pub fn add(&mut self, name: &str, key: SecretValue) -> Result<(), ApiKeysError> {
        if let Some(problem) = name_problem(name) {
            return Err(ApiKeysError::Invalid {
                message: format!("API key name `{name}` {problem}"),
                hint: "use 1-32 lowercase letters, digits or `-`, e.g. the client's name: ios, android-v2".into(),
            });
        }
        if self.keys.contains_key(name) {
            return Err(ApiKeysError::Invalid {
                message: format!("an API key named `{name}` exists already"),
                hint: format!("revoke it first (forgectl api-keys revoke {name}), or pick another name to rotate"),
            });
        }
        self.keys.insert(name.to_string(), key);
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> Result<(), ApiKeysError> {
        if self.keys.remove(name).is_none() {
            return Err(ApiKeysError::Invalid {
                message: format!("there is no API key named `{name}`"),
                hint: "forgectl api-keys list shows the names".into(),
            });
        }
        Ok(())
    }

    /// `name:key,…`, the producer's `PRODUCER_API_KEYS`.
    pub fn value(&self) -> SecretValue {
        let text: Vec<String> = self.keys.iter().map(|(name, key)| format!("{name}:{}", key.expose())).collect();
        SecretValue::new(text.join(","))
    }
}

fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 32 {
        return Some("must be 1-32 characters");
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Some("may hold only lowercase letters, digits and `-`");
    }
    None
}

/// What each subcommand reports. `key` is set only by `create`.
#[derive(Debug, Serialize)]
pub struct ApiKeysReport {
    pub environment: String,
    pub parameter: String,
    pub names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<CreatedKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

#[derive(Serialize)]
pub struct CreatedKey {
    pub name: String,
    pub key: String,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey").field("name", &self.name).field("key", &"<redacted>").finish()
    }
}

pub enum ApiKeysAction {
    Create(String),
    List,
    Revoke(String),
}

pub async fn run(context: &RunContext, action: ApiKeysAction) -> Result<ApiKeysReport, ApiKeysError> {
    let environment = &context.environment;
    if environment.provider == Provider::Local {
        return Err(ApiKeysError::Invalid {
            message: format!("environment `{}` is local: its producers use the key deploy generated", environment.name),
            hint: format!("the key is in .forgectl/{}/producer-api-key (mode 0600)", environment.name),
        });
    }
    let clients = context.aws().await;
    let names = FleetNames::for_env(environment);
    let parameter = names.secret(PRODUCER_API_KEYS);
    let stored = ssm::secret(&clients.ssm, &parameter).await?;
    let mut ring = match &stored {
        Some(value) => KeyRing::parse(&parameter, value.expose())?,
        None => KeyRing::default(),
    };
    let mut report = ApiKeysReport {
        environment: environment.name.clone(),
        parameter: parameter.clone(),
        names: Vec::new(),
        created: None,
        revoked: None,
    };
    match action {
        ApiKeysAction::List => {}
        ApiKeysAction::Create(name) => {
            let key = generate()?;
            ring.add(&name, SecretValue::new(key.clone()))?;
            let tags = crate::naming::environment_tags(environment);
            ssm::put_secret(&clients.ssm, &parameter, &ring.value(), stored.is_some(), &tags).await?;
            report.created = Some(CreatedKey { name, key });
        }
        ApiKeysAction::Revoke(name) => {
            ring.remove(&name)?;
            if ring.is_empty() {
                // No keys at all: the producers refuse to start rather than serve anonymously.
                ssm::delete_parameter(&clients.ssm, &parameter).await?;
            } else {
                let tags = crate::naming::environment_tags(environment);
                ssm::put_secret(&clients.ssm, &parameter, &ring.value(), true, &tags).await?;
            }
            report.revoked = Some(name);
        }
    }
    report.names = ring.names();
    Ok(report)
}

fn generate() -> Result<String, ApiKeysError> {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::fill(&mut bytes).map_err(|err| ApiKeysError::Random(err.to_string()))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> SecretValue {
        SecretValue::new(text.to_string())
    }

    #[test]
    fn the_ring_round_trips_the_producers_format() {
        let ring = KeyRing::parse("p", "ios:aaa, android:bbb").unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(ring.names(), vec!["android".to_string(), "ios".to_string()]);
        assert_eq!(ring.value().expose(), "android:bbb,ios:aaa");
        assert!(KeyRing::parse("p", "").map(|ring| ring.is_empty()).unwrap_or(false));
    }

    #[test]
    fn malformed_parameters_are_named_not_guessed() {
        for text in ["nocolon", "a:", ":b", "a:1,a:2"] {
            assert!(matches!(KeyRing::parse("p", text), Err(ApiKeysError::Malformed { .. })), "{text}");
        }
    }

    #[test]
    fn names_are_unique_valid_and_revocable() {
        let mut ring = KeyRing::default();
        assert!(ring.add("ios", key("k1")).is_ok());
        assert!(matches!(ring.add("ios", key("k2")), Err(ApiKeysError::Invalid { .. })), "rotation is revoke + create");
        for bad in ["", "iOS", "a:b", "a,b", &"x".repeat(33)] {
            assert!(matches!(ring.add(bad, key("k")), Err(ApiKeysError::Invalid { .. })), "{bad:?}");
        }
        assert!(ring.remove("android").is_err());
        assert!(ring.remove("ios").is_ok());
        assert!(ring.is_empty());
    }

    #[test]
    fn debug_output_never_shows_a_key() {
        let mut ring = KeyRing::default();
        assert!(ring.add("ios", key("supersecret")).is_ok());
        assert!(!format!("{ring:?}").contains("supersecret"));
        let created = CreatedKey { name: "ios".into(), key: "supersecret".into() };
        assert!(!format!("{created:?}").contains("supersecret"));
    }

    #[test]
    fn generated_keys_are_long_and_distinct() {
        let (a, b) = (generate().unwrap_or_default(), generate().unwrap_or_default());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
