//! Why a request never reached AWS, or reached it with credentials AWS
//! would not take, in words a person can act on. The SDK reports these as
//! a chain of providers and connectors whose `Debug` form reads as a dump;
//! here the chain is read once and turned into one sentence and one hint.

use std::error::Error;
use std::sync::OnceLock;

use aws_credential_types::provider::error::CredentialsError;

/// Where this process's AWS calls go. Set once by [`super::sdk_config`]
/// and read by the hints: an error deep inside an adapter has no handle on
/// the configuration, and a process talks to one AWS session only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFacts {
    /// The named profile in use (`aws_profile`, else `AWS_PROFILE`), if any.
    pub profile: Option<String>,
    pub region: Option<String>,
    /// An endpoint override (`AWS_ENDPOINT_URL`): an emulator, not AWS.
    pub endpoint_url: Option<String>,
}

static SESSION: OnceLock<SessionFacts> = OnceLock::new();

/// Records the session's facts; later calls keep the first (one session per process).
pub fn remember_session(facts: SessionFacts) {
    let _ = SESSION.set(facts);
}

pub fn session() -> SessionFacts {
    SESSION.get().cloned().unwrap_or_default()
}

/// What is wrong with the credentials, as far as the SDK or AWS said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialProblem {
    /// No provider of the chain (environment, profile, web identity,
    /// container, instance metadata) had any.
    NoneFound,
    /// The profile asked for is not in the AWS config files.
    UnknownProfile(String),
    /// The SSO session's token has expired and cannot be refreshed.
    SsoExpired,
    /// AWS rejected them: expired session keys, a wrong key, a bad signature.
    Rejected,
    /// A provider failed otherwise; its own words.
    ProviderFailed(String),
}

impl CredentialProblem {
    /// The sentence that replaces the SDK's chain in the error.
    pub fn describe(&self) -> String {
        match self {
            CredentialProblem::NoneFound => "no AWS credentials were found (the environment, the profiles, web \
                                             identity, the container and instance metadata were tried)"
                .into(),
            CredentialProblem::UnknownProfile(profile) => {
                format!("the AWS profile `{profile}` is not defined in the AWS config files")
            }
            CredentialProblem::SsoExpired => "the AWS SSO session has expired".into(),
            CredentialProblem::Rejected => "AWS rejected the credentials".into(),
            CredentialProblem::ProviderFailed(words) => format!("the AWS credentials could not be loaded: {words}"),
        }
    }

    /// What to run, naming the profile in use where it matters.
    pub fn hint(&self, session: &SessionFacts) -> String {
        let sso_login = match &session.profile {
            Some(profile) => format!("aws sso login --profile {profile}"),
            None => "aws sso login".to_string(),
        };
        match self {
            CredentialProblem::SsoExpired => format!("run `{sso_login}`, then re-run"),
            CredentialProblem::UnknownProfile(_) => "`aws configure list-profiles` lists the defined profiles; fix \
                                                     `aws_profile` in forgectl.yaml or AWS_PROFILE"
                .into(),
            CredentialProblem::NoneFound => "set AWS_PROFILE (or `aws_profile` in forgectl.yaml) and run `aws sso \
                                             login --profile <name>`, or export AWS_ACCESS_KEY_ID and \
                                             AWS_SECRET_ACCESS_KEY"
                .into(),
            CredentialProblem::Rejected | CredentialProblem::ProviderFailed(_) => format!(
                "the credentials in use are invalid or expired: `aws sts get-caller-identity` shows which they are; \
                 for an SSO profile run `{sso_login}`"
            ),
        }
    }
}

/// The `Display` texts of an error and its sources, each said once.
pub fn chain_text(error: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        if !text.is_empty() && !parts.iter().any(|said| said.contains(&text)) {
            parts.push(text);
        }
        next = current.source();
    }
    parts.join(": ")
}

/// The credential problem behind a request the SDK never sent, if that is
/// what stopped it.
pub fn credential_problem(error: &(dyn Error + 'static)) -> Option<CredentialProblem> {
    let mut next = Some(error);
    let credentials = loop {
        let current = next?;
        if let Some(found) = current.downcast_ref::<CredentialsError>() {
            break found;
        }
        next = current.source();
    };
    let text = chain_text(credentials);
    if let Some(profile) = undefined_profile(&text) {
        return Some(CredentialProblem::UnknownProfile(profile));
    }
    if text.contains("SSO") && text.contains("expired") {
        return Some(CredentialProblem::SsoExpired);
    }
    Some(match credentials {
        CredentialsError::CredentialsNotLoaded(_) => CredentialProblem::NoneFound,
        _ => CredentialProblem::ProviderFailed(text),
    })
}

/// `profile `NAME` was not defined`, as the SDK's profile provider says it.
fn undefined_profile(text: &str) -> Option<String> {
    let start = text.find("profile `")? + "profile `".len();
    let (name, rest) = text[start..].split_once('`')?;
    rest.trim_start().starts_with("was not defined").then(|| name.to_string())
}

/// The hint for a request that got no answer, never mentioning an
/// emulator unless the session points at one.
pub fn unreachable_hint(session: &SessionFacts) -> String {
    if let Some(endpoint) = &session.endpoint_url {
        return format!(
            "nothing answered at AWS_ENDPOINT_URL={endpoint}: start the emulator there (the local stack: \
             `dev/stack up`) or unset AWS_ENDPOINT_URL to reach AWS"
        );
    }
    match &session.region {
        None => "no AWS region is set: add `region` to the environment in forgectl.yaml or set AWS_REGION".into(),
        Some(region) if !looks_like_a_region(region) => {
            format!("`{region}` is not an AWS region name (they look like ap-south-1); fix `region` in forgectl.yaml")
        }
        Some(region) => {
            format!(
                "AWS in `{region}` could not be reached: check the network, any proxy (HTTPS_PROXY), and the region"
            )
        }
    }
}

/// `ap-south-1`, `us-gov-west-1`: letters, dash-separated words, a number.
pub fn looks_like_a_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::error::CredentialsError;

    #[test]
    fn an_undefined_profile_is_named() {
        let error = CredentialsError::not_loaded(
            "no credentials found in chain. Attempted: Profile: profile `nosuch` was not defined: could not find \
             source profile nosuch",
        );
        assert_eq!(credential_problem(&error), Some(CredentialProblem::UnknownProfile("nosuch".into())));
    }

    #[test]
    fn an_expired_sso_token_asks_for_a_login_with_the_profile() {
        let error = CredentialsError::provider_error(
            "an error occurred while loading an access token: the SSO token \
                                                      has expired and cannot be refreshed",
        );
        let problem = credential_problem(&error);
        assert_eq!(problem, Some(CredentialProblem::SsoExpired));
        let session = SessionFacts { profile: Some("team".into()), ..SessionFacts::default() };
        assert_eq!(CredentialProblem::SsoExpired.hint(&session), "run `aws sso login --profile team`, then re-run");
    }

    #[test]
    fn an_empty_chain_is_none_found() {
        let error = CredentialsError::not_loaded("environment variable not set");
        assert_eq!(credential_problem(&error), Some(CredentialProblem::NoneFound));
        let plain = std::io::Error::other("connection refused");
        assert_eq!(credential_problem(&plain), None);
    }

    #[test]
    fn the_emulator_is_mentioned_only_when_the_session_points_at_one() {
        let aws = SessionFacts { region: Some("ap-south-1".into()), ..SessionFacts::default() };
        assert!(!unreachable_hint(&aws).contains("dev/stack"));
        let emulator = SessionFacts { endpoint_url: Some("http://127.0.0.1:25000".into()), ..aws };
        assert!(unreachable_hint(&emulator).contains("dev/stack up"));
    }

    #[test]
    fn region_names_are_checked_by_shape() {
        for good in ["ap-south-1", "us-gov-west-1", "eu-central-2"] {
            assert!(looks_like_a_region(good), "{good}");
        }
        for bad in ["mumbai", "ap-south", "ap-south-x", "AP-SOUTH-1", "-1"] {
            assert!(!looks_like_a_region(bad), "{bad}");
        }
    }

    #[test]
    fn a_chain_says_each_text_once() {
        let inner = std::io::Error::other("dns error");
        assert_eq!(chain_text(&inner), "dns error");
    }
}
