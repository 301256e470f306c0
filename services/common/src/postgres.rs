//! PostgreSQL settings from the seeds' `DI_POSTGRES_*` variables.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
pub use forgectl_postgres_tls::{self as tls, MakeRustlsConnect, PgTls, PgTlsError, SslMode};

use crate::env::{self, ConfigError, EnvSource};
use crate::env_vars;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct PgSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    /// `DI_POSTGRES_DATABASE`: the producer's API-insights database.
    pub database: String,
    /// `DI_POSTGRES_SYNC_DATABASE`: where the consumer writes records.
    pub sync_database: String,
    pub connect_timeout: Duration,
    /// `DI_POSTGRES_SSL_MODE` and `DI_POSTGRES_SSL_ROOT_CERT`: verify-full
    /// with the web roots when unset.
    pub tls: PgTls,
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("building the PostgreSQL pool for database {database} on {host}:{port}: {source}")]
    Build { database: String, host: String, port: u16, source: deadpool_postgres::BuildError },
    #[error("PostgreSQL TLS for {host}:{port} ({}={mode}): {source}", env_vars::DI_POSTGRES_SSL_MODE)]
    Tls { host: String, port: u16, mode: SslMode, source: PgTlsError },
}

#[derive(Debug, thiserror::Error)]
#[error("connecting to PostgreSQL database {database} on {host}:{port}: {source}")]
pub struct ConnectError {
    pub database: String,
    pub host: String,
    pub port: u16,
    pub source: forgectl_postgres_tls::ConnectError,
}

impl PgSettings {
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        Ok(Self {
            host: env::required(env, env_vars::DI_POSTGRES_HOST)?,
            port: env::parse_or(env, env_vars::DI_POSTGRES_PORT, 5432u16)?,
            user: env::required(env, env_vars::DI_POSTGRES_USERNAME)?,
            password: env::secret(env, env_vars::DI_POSTGRES_PASSWORD).unwrap_or_default(),
            database: env::optional(env, env_vars::DI_POSTGRES_DATABASE).unwrap_or_else(|| "api_insights_db".into()),
            sync_database: env::optional(env, env_vars::DI_POSTGRES_SYNC_DATABASE).unwrap_or_else(|| "sync_db".into()),
            connect_timeout: Duration::from_millis(env::parse_or(env, "DI_POSTGRES_CONNECT_TIMEOUT_MS", 3000u64)?),
            tls: PgTls {
                mode: env::parse_or(env, env_vars::DI_POSTGRES_SSL_MODE, SslMode::VerifyFull)?,
                root_cert: env::optional(env, env_vars::DI_POSTGRES_SSL_ROOT_CERT).map(Into::into),
            },
        })
    }

    /// The TLS connector for these settings; a CA bundle that cannot be read
    /// fails here, at start, rather than on the first query.
    pub fn tls_connector(&self) -> Result<MakeRustlsConnect, PoolError> {
        self.tls.connector().map_err(|source| PoolError::Tls {
            host: self.host.clone(),
            port: self.port,
            mode: self.tls.mode,
            source,
        })
    }

    /// One connection outside a pool (tests, one-off checks), TLS as
    /// configured; the connection is driven on the current runtime.
    pub async fn connect(&self, database: &str) -> Result<tokio_postgres::Client, ConnectError> {
        let (client, _driver) =
            forgectl_postgres_tls::connect(&self.pg_config(database), &self.tls).await.map_err(|source| {
                ConnectError { database: database.to_string(), host: self.host.clone(), port: self.port, source }
            })?;
        Ok(client)
    }

    pub fn pg_config(&self, database: &str) -> tokio_postgres::Config {
        let mut cfg = tokio_postgres::Config::new();
        cfg.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(database)
            .connect_timeout(self.connect_timeout)
            .keepalives(true)
            .application_name("forgectl-service");
        self.tls.apply(&mut cfg);
        if !self.password.is_empty() {
            cfg.password(self.password.expose());
        }
        cfg
    }

    /// A pool whose every wait is bounded, so an outage turns into errors the
    /// callers can count instead of requests that hang.
    pub fn pool(&self, database: &str, max_size: usize) -> Result<Pool, PoolError> {
        let manager = Manager::from_config(
            self.pg_config(database),
            self.tls_connector()?,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        Pool::builder(manager)
            .max_size(max_size)
            .timeouts(Timeouts {
                wait: Some(self.connect_timeout),
                create: Some(self.connect_timeout),
                recycle: Some(self.connect_timeout),
            })
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|source| PoolError::Build {
                database: database.to_string(),
                host: self.host.clone(),
                port: self.port,
                source,
            })
    }
}

/// True when the error means the server could not be reached or went away,
/// as opposed to the server rejecting what we sent.
pub fn is_connection_error(err: &tokio_postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    match err.code() {
        // Class 08 (connection exception), 57P01..03 (admin shutdown, crash
        // shutdown, cannot connect now), 53 (insufficient resources).
        Some(code) => {
            let c = code.code();
            c.starts_with("08") || c.starts_with("57P") || c.starts_with("53")
        }
        // No SQLSTATE: the failure happened below the protocol (I/O, timeout).
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn reads_seed_variables_and_hides_password() {
        let env: HashMap<String, String> = [
            ("DI_POSTGRES_HOST", "db"),
            ("DI_POSTGRES_PORT", "6543"),
            ("DI_POSTGRES_USERNAME", "mobileforge_user"),
            ("DI_POSTGRES_PASSWORD", "s3cret"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let s = PgSettings::from_env(&env).unwrap();
        assert_eq!(s.port, 6543);
        assert_eq!(s.database, "api_insights_db");
        assert_eq!(s.sync_database, "sync_db");
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn tls_is_verify_full_unless_a_weaker_mode_is_named() {
        let base = [("DI_POSTGRES_HOST", "db"), ("DI_POSTGRES_USERNAME", "u")];
        let with = |extra: &[(&str, &str)]| -> HashMap<String, String> {
            base.iter().chain(extra).map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let default = PgSettings::from_env(&with(&[])).unwrap();
        assert_eq!(default.tls, PgTls { mode: SslMode::VerifyFull, root_cert: None });
        assert_eq!(default.pg_config("x").get_ssl_mode(), tokio_postgres::config::SslMode::Require);

        let named = PgSettings::from_env(&with(&[
            ("DI_POSTGRES_SSL_MODE", "disable"),
            ("DI_POSTGRES_SSL_ROOT_CERT", "/etc/ca.pem"),
        ]))
        .unwrap();
        assert_eq!(named.tls.mode, SslMode::Disable);
        assert_eq!(named.tls.root_cert.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));

        let err = PgSettings::from_env(&with(&[("DI_POSTGRES_SSL_MODE", "prefer")])).unwrap_err().to_string();
        assert!(err.contains("DI_POSTGRES_SSL_MODE") && err.contains("verify-full, require or disable"), "{err}");
    }

    #[test]
    fn bad_port_names_variable() {
        let env: HashMap<String, String> =
            [("DI_POSTGRES_HOST", "db"), ("DI_POSTGRES_PORT", "x"), ("DI_POSTGRES_USERNAME", "u")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let e = PgSettings::from_env(&env).unwrap_err();
        assert!(e.to_string().contains("DI_POSTGRES_PORT"));
    }
}
