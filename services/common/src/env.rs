//! Reading typed settings from environment variables with errors that name
//! the variable and say what was expected.

use std::str::FromStr;

use crate::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {var} is required but not set")]
    Missing { var: &'static str },
    #[error("environment variable {var}={value:?} is invalid: {reason}")]
    Invalid { var: &'static str, value: String, reason: String },
    #[error("environment variable {var} is invalid: {reason}")]
    InvalidSecret { var: &'static str, reason: String },
    #[error("conflicting settings: {0}")]
    Conflict(String),
}

/// A source of variables; a trait so unit tests need not touch the process
/// environment (which is shared between test threads).
pub trait EnvSource {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl EnvSource for std::collections::HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.trim().is_empty())
    }
}

pub fn optional(env: &dyn EnvSource, var: &'static str) -> Option<String> {
    env.var(var).map(|v| v.trim().to_string())
}

pub fn required(env: &dyn EnvSource, var: &'static str) -> Result<String, ConfigError> {
    optional(env, var).ok_or(ConfigError::Missing { var })
}

pub fn secret(env: &dyn EnvSource, var: &'static str) -> Option<Secret> {
    // Secrets are not trimmed: a trailing space may be part of a password.
    env.var(var).map(Secret::new)
}

pub fn parse_or<T>(env: &dyn EnvSource, var: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match optional(env, var) {
        None => Ok(default),
        Some(value) => value.parse::<T>().map_err(|e| ConfigError::Invalid { var, reason: e.to_string(), value }),
    }
}

/// Comma-separated list, blanks dropped.
pub fn list(env: &dyn EnvSource, var: &'static str) -> Vec<String> {
    optional(env, var)
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default()
}

pub fn bool_or(env: &dyn EnvSource, var: &'static str, default: bool) -> Result<bool, ConfigError> {
    match optional(env, var) {
        None => Ok(default),
        Some(value) => match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(ConfigError::Invalid { var, value, reason: "expected true or false".into() }),
        },
    }
}
