//! MSK IAM authentication (`client_auth: iam`): SASL_SSL with OAUTHBEARER,
//! the token a SigV4-signed `kafka-cluster:Connect` URL from the
//! `aws-msk-iam-sasl-signer` crate. librdkafka asks for a token through the
//! client context before the first connection and again before the
//! current one expires (15 minutes after signing).

use std::error::Error;
use std::fmt;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::region::Region;
use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::consumer::ConsumerContext;
use rdkafka::ClientConfig;

/// MSK derives the identity from the signature; librdkafka only logs this.
pub const MSK_IAM_PRINCIPAL: &str = "forgectl-msk-iam";

/// A signature needs credentials (instance metadata, STS): bounded, so a
/// hung endpoint turns into a token failure librdkafka retries.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("starting the runtime that signs the MSK IAM token: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("signing the MSK IAM token took longer than {0:?} (credentials unreachable?)")]
    Timeout(Duration),
    #[error("signing the MSK IAM token for region {region}: {reason}")]
    Sign { region: String, reason: String },
    #[error("the thread signing the MSK IAM token stopped")]
    Thread,
    #[error("librdkafka asked for an OAUTHBEARER token but this client has no MSK IAM settings")]
    NotConfigured,
}

/// Where the signing credentials come from.
#[derive(Clone)]
enum Credentials {
    /// The AWS default chain: environment, profile, the instance role.
    DefaultChain,
    Provider(SharedCredentialsProvider),
}

/// The settings of `DI_KAFKA_MSK_IAM_REGION`.
#[derive(Clone)]
pub struct MskIam {
    region: String,
    credentials: Credentials,
}

impl fmt::Debug for MskIam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.credentials {
            Credentials::DefaultChain => "default chain",
            Credentials::Provider(_) => "given provider",
        };
        f.debug_struct("MskIam").field("region", &self.region).field("credentials", &source).finish()
    }
}

impl MskIam {
    /// Tokens signed for `region` with the default credential chain.
    pub fn new(region: impl Into<String>) -> MskIam {
        MskIam { region: region.into(), credentials: Credentials::DefaultChain }
    }

    /// Tokens signed with `provider` (tests: static credentials).
    pub fn with_credentials(region: impl Into<String>, provider: SharedCredentialsProvider) -> MskIam {
        MskIam { region: region.into(), credentials: Credentials::Provider(provider) }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The rdkafka settings MSK's IAM listener (port 9098) expects; the
    /// client's context supplies the token.
    pub fn apply(&self, cfg: &mut ClientConfig) {
        cfg.set("security.protocol", "sasl_ssl").set("sasl.mechanisms", "OAUTHBEARER");
    }

    /// A fresh token. Runs on a thread of its own with its own runtime:
    /// librdkafka calls back from whatever thread polls the client, which
    /// may be a tokio worker that must not block on another runtime.
    pub fn token(&self) -> Result<OAuthToken, TokenError> {
        let iam = self.clone();
        std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(TokenError::Runtime)?;
            runtime.block_on(async move {
                tokio::time::timeout(TOKEN_TIMEOUT, iam.sign()).await.map_err(|_| TokenError::Timeout(TOKEN_TIMEOUT))?
            })
        })
        .join()
        .map_err(|_| TokenError::Thread)?
    }

    async fn sign(&self) -> Result<OAuthToken, TokenError> {
        let region = Region::new(self.region.clone());
        let signed = match &self.credentials {
            Credentials::DefaultChain => aws_msk_iam_sasl_signer::generate_auth_token(region).await,
            Credentials::Provider(provider) => {
                aws_msk_iam_sasl_signer::generate_auth_token_from_credentials_provider(region, provider.clone()).await
            }
        };
        let (token, lifetime_ms) =
            signed.map_err(|err| TokenError::Sign { region: self.region.clone(), reason: err.to_string() })?;
        Ok(OAuthToken { token, principal_name: MSK_IAM_PRINCIPAL.to_string(), lifetime_ms })
    }
}

/// The token callback every client context of the services forwards to.
pub fn oauth_token(iam: Option<&MskIam>) -> Result<OAuthToken, Box<dyn Error>> {
    match iam {
        Some(iam) => iam.token().map_err(|err| {
            tracing::warn!(error = %err, "MSK IAM token refresh failed; librdkafka retries");
            err.into()
        }),
        None => Err(TokenError::NotConfigured.into()),
    }
}

/// A context for clients that need nothing but authentication (admin
/// clients, the dead-letter producer).
#[derive(Clone, Default)]
pub struct AuthContext {
    pub iam: Option<MskIam>,
}

impl ClientContext for AuthContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn generate_oauth_token(&self, _oauthbearer_config: Option<&str>) -> Result<OAuthToken, Box<dyn Error>> {
        oauth_token(self.iam.as_ref())
    }
}

impl ConsumerContext for AuthContext {}

#[cfg(test)]
mod tests;
