//! PostgreSQL over TLS, the same way for the services and for forgectl's own
//! reads: `verify-full` (certificate chain and host name checked) unless a
//! weaker mode is named explicitly. The modes are libpq's names, but only the
//! three whose behaviour is unambiguous: libpq's `prefer` and `allow` fall
//! back to plain text without a word, and `verify-ca` skips the host name.

mod unverified;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
pub use tokio_postgres_rustls::MakeRustlsConnect;

/// How a client protects its PostgreSQL connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// TLS; the server's chain must lead to a trusted CA and its
    /// certificate must name the host the client dialled.
    #[default]
    VerifyFull,
    /// TLS without checking who the server is: encrypted, but open to a
    /// man in the middle.
    Require,
    /// Plain text: passwords and rows readable on the wire.
    Disable,
}

impl SslMode {
    pub const ACCEPTED: &'static str = "verify-full, require or disable";

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::VerifyFull => "verify-full",
            SslMode::Require => "require",
            SslMode::Disable => "disable",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = PgTlsError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "verify-full" => Ok(SslMode::VerifyFull),
            "require" => Ok(SslMode::Require),
            "disable" => Ok(SslMode::Disable),
            _ => Err(PgTlsError::UnknownMode { value: value.to_string() }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PgTlsError {
    #[error(
        "PostgreSQL sslmode `{value}` is not accepted: use {} (`prefer` and `allow` could silently fall back to plain text, `verify-ca` skips the host name)",
        SslMode::ACCEPTED
    )]
    UnknownMode { value: String },
    #[error("reading the PostgreSQL CA bundle {path}: {reason}")]
    ReadCa { path: PathBuf, reason: String },
    #[error("the PostgreSQL CA bundle {path} holds no PEM certificate")]
    EmptyCa { path: PathBuf },
    #[error("the PostgreSQL CA bundle {path} holds a certificate rustls rejects: {reason}")]
    BadCa { path: PathBuf, reason: String },
    #[error("building the TLS client for PostgreSQL: {0}")]
    Client(#[from] rustls::Error),
}

/// The TLS half of a PostgreSQL connection's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgTls {
    pub mode: SslMode,
    /// PEM bundle of the CAs that may sign the server's certificate (the
    /// RDS bundle, the dev stack's CA); `None`: the public web roots.
    pub root_cert: Option<PathBuf>,
}

impl PgTls {
    pub fn verify_full(root_cert: Option<PathBuf>) -> PgTls {
        PgTls { mode: SslMode::VerifyFull, root_cert }
    }

    /// Sets the `sslmode` tokio-postgres negotiates: TLS is mandatory in
    /// every mode but `disable` (tokio-postgres has no verify modes; the
    /// connector does the verifying).
    pub fn apply(&self, config: &mut tokio_postgres::Config) {
        config.ssl_mode(match self.mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::VerifyFull | SslMode::Require => tokio_postgres::config::SslMode::Require,
        });
    }

    /// The connector for `tokio_postgres::Config::connect` or a pool. With
    /// `disable` it is never used for a handshake, but one type for every
    /// mode keeps the callers free of generics.
    pub fn connector(&self) -> Result<MakeRustlsConnect, PgTlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
        let config = match self.mode {
            SslMode::VerifyFull | SslMode::Disable => {
                builder.with_root_certificates(self.roots()?).with_no_client_auth()
            }
            SslMode::Require => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(unverified::AnyServer::new(provider)))
                .with_no_client_auth(),
        };
        Ok(MakeRustlsConnect::new(config))
    }

    /// A config whose TLS is applied, and its connector, in one call.
    pub fn configure(&self, config: &mut tokio_postgres::Config) -> Result<MakeRustlsConnect, PgTlsError> {
        self.apply(config);
        self.connector()
    }

    fn roots(&self) -> Result<RootCertStore, PgTlsError> {
        let mut roots = RootCertStore::empty();
        match &self.root_cert {
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Some(path) => {
                for cert in read_bundle(path)? {
                    roots.add(cert).map_err(|err| PgTlsError::BadCa { path: path.clone(), reason: err.to_string() })?;
                }
            }
        }
        Ok(roots)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Tls(#[from] PgTlsError),
    /// With its causes: tokio-postgres says "error performing TLS
    /// handshake" and keeps rustls's reason (`invalid peer certificate:
    /// UnknownIssuer`, `certificate not valid for name ...`) in its source.
    #[error("sslmode={mode}: {}", with_causes(source))]
    Postgres { mode: SslMode, source: tokio_postgres::Error },
}

/// An error's text followed by each cause's that adds something.
fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        let more = inner.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = inner.source();
    }
    text
}

/// One connection with `tls` applied to `config`; its driver runs on the
/// current tokio runtime until the client is dropped (the client's calls
/// report a lost connection, so the driver's own result adds nothing).
pub async fn connect(
    config: &tokio_postgres::Config,
    tls: &PgTls,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), ConnectError> {
    let mut config = config.clone();
    let connector = tls.configure(&mut config)?;
    let (client, connection) =
        config.connect(connector).await.map_err(|source| ConnectError::Postgres { mode: tls.mode, source })?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, driver))
}

/// The certificates of the bundle at `path` as PEM text and nothing else
/// (comments and stray text dropped), for copying onto another machine;
/// fails like `connector` would on an unreadable or empty bundle.
pub fn bundle_pem(path: &Path) -> Result<String, PgTlsError> {
    read_bundle(path)?;
    let text = std::fs::read_to_string(path)
        .map_err(|err| PgTlsError::ReadCa { path: path.to_path_buf(), reason: err.to_string() })?;
    let mut pem = String::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        match line {
            "-----BEGIN CERTIFICATE-----" => inside = true,
            "-----END CERTIFICATE-----" if inside => {
                inside = false;
                pem.push_str(line);
                pem.push('\n');
                continue;
            }
            _ => {}
        }
        let base64 = line.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='));
        if inside && (base64 || line.starts_with("-----BEGIN CERTIFICATE")) {
            pem.push_str(line);
            pem.push('\n');
        }
    }
    Ok(pem)
}

fn read_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, PgTlsError> {
    let read_failed = |reason: String| PgTlsError::ReadCa { path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(|err| read_failed(err.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| read_failed(err.to_string()))?;
    if certs.is_empty() {
        return Err(PgTlsError::EmptyCa { path: path.to_path_buf() });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests;
