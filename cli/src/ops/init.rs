//! `forgectl init`: a commented forgectl.yaml for one AWS account. Observe
//! (the region's default VPC and its subnets), plan (the file's text, a
//! pure function of the answers and what was found), apply (write it,
//! never over an existing file unless asked).
//!
//! The text is written by hand rather than serialised because its point is
//! the comments; every value in it is either validated here (names, tier,
//! region) or an AWS identifier, and each is emitted as a JSON string,
//! which is a valid YAML scalar whatever it contains.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::aws::diagnosis::looks_like_a_region;
use crate::aws::ec2::{self, Subnet};
use crate::aws::{self, AwsClients, AwsError};
use crate::config::{environment_name_problem, ClientAuth};
use crate::exit::Exit;
use crate::profile::{self, ProfileError, ProfileSource, ResolveOptions};

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already exists", path.display())]
    Exists { path: PathBuf },
    #[error("environment name `{name}` {problem}")]
    BadName { name: String, problem: String },
    #[error("`{region}` is not an AWS region name")]
    BadRegion { region: String },
    #[error("no AWS region: pass --region")]
    NoRegion,
    #[error("`{answer}` is not a client auth mode")]
    BadClientAuth { answer: String },
    #[error("tier `{tier}` has no profile; known: {known}")]
    UnknownTier { tier: String, known: String },
    #[error(transparent)]
    Profiles(#[from] ProfileError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl InitError {
    pub fn hint(&self) -> Option<String> {
        match self {
            InitError::Exists { .. } => Some("pass --force to replace it, or --out PATH to write another file".into()),
            InitError::BadName { .. } => {
                Some("names become part of AWS resource names: [a-z][a-z0-9-]{0,31}, e.g. production".into())
            }
            InitError::BadRegion { .. } | InitError::NoRegion => {
                Some("pass --region with a region like ap-south-1, or set AWS_REGION".into())
            }
            InitError::UnknownTier { .. } => Some("`forgectl profiles list` shows the tiers".into()),
            InitError::BadClientAuth { .. } => Some("answer unauthenticated, mtls, sasl-scram or iam".into()),
            InitError::Profiles(err) => err.hint(),
            InitError::Aws(err) => err.hint(),
            InitError::Write { .. } => None,
        }
    }

    /// Bad answers are bad input (exit 2); AWS and the disk are runtime.
    pub fn exit(&self) -> Exit {
        match self {
            InitError::Exists { .. }
            | InitError::BadName { .. }
            | InitError::BadRegion { .. }
            | InitError::NoRegion
            | InitError::UnknownTier { .. }
            | InitError::BadClientAuth { .. }
            | InitError::Profiles(_) => Exit::Usage,
            InitError::Aws(_) | InitError::Write { .. } => Exit::Failure,
        }
    }
}

/// The answers, from flags or prompts.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub name: String,
    pub region: Option<String>,
    pub aws_profile: Option<String>,
    pub tier: String,
    pub client_auth: ClientAuth,
    /// Look up the default VPC's subnets (off: leave them for the user).
    pub discover: bool,
    pub out: PathBuf,
    pub force: bool,
}

/// What the account has that the file should name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Discovery {
    pub vpc_id: Option<String>,
    pub subnets: Vec<Subnet>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    pub path: PathBuf,
    pub environment: String,
    pub region: String,
    pub tier: String,
    pub client_auth: &'static str,
    pub vpc_id: Option<String>,
    pub subnets: Vec<String>,
    /// False when discovery was skipped or found no default VPC.
    pub discovered: bool,
}

/// The answers, checked: the region, and how many Availability Zones the
/// tier's brokers spread over (the subnets the file must list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub region: String,
    pub zones: usize,
}

/// Checks the answers before anything is looked up or written.
pub fn check(options: &InitOptions, profiles: &ProfileSource) -> Result<Checked, InitError> {
    if let Some(problem) = environment_name_problem(&options.name) {
        return Err(InitError::BadName { name: options.name.clone(), problem });
    }
    let region = options.region.clone().ok_or(InitError::NoRegion)?;
    if !looks_like_a_region(&region) {
        return Err(InitError::BadRegion { region });
    }
    let known: Vec<String> = profiles.tier_files()?.iter().map(|file| file.stem()).collect();
    if !known.contains(&options.tier) {
        return Err(InitError::UnknownTier { tier: options.tier.clone(), known: known.join(", ") });
    }
    if options.out.exists() && !options.force {
        return Err(InitError::Exists { path: options.out.clone() });
    }
    let profile = profile::load_tier(profiles, &options.tier, ResolveOptions::default())?;
    Ok(Checked { region, zones: profile.kafka.zones as usize })
}

/// The region's default VPC and its default subnets (one per AZ), the
/// first `zones` of them by AZ name: the tier's brokers need exactly one
/// subnet per zone they use.
pub async fn discover(options: &InitOptions, checked: &Checked) -> Result<Discovery, InitError> {
    let config = aws::sdk_config_for(options.aws_profile.as_deref(), Some(&checked.region)).await;
    let clients = AwsClients::from_sdk_config(&config);
    let zones = checked.zones;
    let mut subnets = ec2::default_subnets(&clients.ec2).await?;
    subnets.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone));
    let vpc_id = subnets.first().map(|subnet| subnet.vpc_id.clone());
    if subnets.len() < zones {
        // Too few zones for the tier: say so in the file rather than list a wrong set.
        return Ok(Discovery { vpc_id, subnets: Vec::new() });
    }
    subnets.truncate(zones);
    Ok(Discovery { vpc_id, subnets })
}

fn quoted(value: &str) -> String {
    // A JSON string is a YAML double-quoted scalar: nothing in `value` can
    // end it early or start a new key.
    serde_json::Value::String(value.to_string()).to_string()
}

/// The file's text: pure, so it is unit-tested without AWS or a disk.
pub fn render(options: &InitOptions, region: &str, found: &Discovery) -> String {
    let mut text = String::new();
    let name = &options.name;
    let _ = writeln!(text, "# forgectl environments, written by `forgectl init`. Every key is described in");
    let _ = writeln!(text, "# forgectl's docs/config.md; `forgectl --env {name} plan` shows what provision would do.");
    let _ = writeln!(text, "default_environment: {}", quoted(name));
    let _ = writeln!(text);
    let _ = writeln!(text, "environments:");
    let _ = writeln!(text, "  {}:", quoted(name));
    let _ = writeln!(text, "    provider: aws");
    let _ = writeln!(text, "    region: {}", quoted(region));
    match &options.aws_profile {
        Some(profile) => {
            let _ =
                writeln!(text, "    # The named profile in ~/.aws/config; remove it to use the SDK's standard chain.");
            let _ = writeln!(text, "    aws_profile: {}", quoted(profile));
        }
        None => {
            let _ = writeln!(text, "    # A named profile in ~/.aws/config; without it, the SDK's standard chain");
            let _ = writeln!(text, "    # (environment, SSO, web identity, instance role).");
            let _ = writeln!(text, "    # aws_profile: my-profile");
        }
    }
    match (&found.vpc_id, found.subnets.is_empty()) {
        (Some(vpc), false) => {
            let _ = writeln!(text, "    # The region's default VPC, as found by init: one subnet for each of the");
            let _ = writeln!(
                text,
                "    # {} Availability Zones tier {} spreads its brokers over. Use private",
                found.subnets.len(),
                options.tier
            );
            let _ = writeln!(text, "    # subnets of your own VPC for production.");
            let _ = writeln!(text, "    vpc_id: {}", quoted(vpc));
            let _ = writeln!(text, "    subnets:");
            for subnet in &found.subnets {
                let _ = writeln!(text, "      - {}  # {}", quoted(&subnet.id), subnet.availability_zone);
            }
        }
        _ => {
            let _ = writeln!(text, "    # No default VPC was looked up or found: name the VPC and one subnet per");
            let _ = writeln!(text, "    # Availability Zone the brokers and services use.");
            let _ = writeln!(text, "    # vpc_id: vpc-0123456789abcdef0");
            let _ = writeln!(text, "    # subnets: [subnet-aaaa, subnet-bbbb, subnet-cccc]");
        }
    }
    let _ = writeln!(text, "    # How clients authenticate to the brokers: unauthenticated (TLS only, the");
    let _ = writeln!(text, "    # runbooks' setup), mtls, sasl-scram (Secrets Manager) or iam.");
    let _ = writeln!(text, "    client_auth: {}", options.client_auth.as_str());
    let _ = writeln!(text, "    # The DAU tier used when a command is given no --tier (`forgectl profiles list`).");
    let _ = writeln!(text, "    tier: {}", quoted(&options.tier));
    let _ = writeln!(text, "    # Added to every resource next to forgectl's own forgectl:* tags.");
    let _ = writeln!(text, "    tags: {{}}");
    let _ = writeln!(text, "    # What the deployed services connect to; `deploy` stores the password, read");
    let _ = writeln!(text, "    # from the named variable, as an SSM SecureString.");
    let _ = writeln!(text, "    # postgres:");
    let _ = writeln!(text, "    #   host: db.example.internal");
    let _ = writeln!(text, "    #   port: \"5432\"");
    let _ = writeln!(text, "    #   username: forgectl");
    let _ = writeln!(text, "    #   password_env: DI_POSTGRES_PASSWORD");
    let _ = writeln!(text, "    #   database: api_insights_db");
    let _ = writeln!(text, "    #   sync_database: sync_db");
    let _ = writeln!(text, "    services:");
    let _ = writeln!(text, "      # `deploy` refuses an internet-facing API without a certificate (HTTPS)");
    let _ = writeln!(text, "      # and without API keys (`forgectl api-keys create NAME`).");
    let _ = writeln!(text, "      # certificate_arn: arn:aws:acm:{region}:123456789012:certificate/...");
    let _ = writeln!(text, "      load_balancer_scheme: internet-facing");
    text
}

/// Writes the file (0644: it holds no secret, only names of variables).
/// A temporary file and a rename, so an interrupted run leaves no half file.
pub fn write(path: &Path, text: &str) -> Result<(), InitError> {
    let failed = |source| InitError::Write { path: path.to_path_buf(), source };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut staged = tempfile::NamedTempFile::new_in(&directory).map_err(failed)?;
    staged.write_all(text.as_bytes()).map_err(failed)?;
    staged.persist(path).map_err(|err| failed(err.error))?;
    Ok(())
}

pub fn report(options: &InitOptions, region: &str, found: &Discovery) -> InitReport {
    InitReport {
        path: options.out.clone(),
        environment: options.name.clone(),
        region: region.to_string(),
        tier: options.tier.clone(),
        client_auth: options.client_auth.as_str(),
        vpc_id: found.vpc_id.clone(),
        subnets: found.subnets.iter().map(|subnet| subnet.id.clone()).collect(),
        discovered: !found.subnets.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> InitOptions {
        InitOptions {
            name: "production".into(),
            region: Some("ap-south-1".into()),
            aws_profile: Some("team \"sso\": x".into()),
            tier: "50k".into(),
            client_auth: ClientAuth::Iam,
            discover: true,
            out: PathBuf::from("forgectl.yaml"),
            force: false,
        }
    }

    fn subnet(id: &str, zone: &str) -> Subnet {
        Subnet { id: id.into(), vpc_id: "vpc-1".into(), availability_zone: zone.into(), default_for_az: true }
    }

    #[test]
    fn the_file_parses_to_what_was_answered_even_with_quotes_in_a_value() {
        let found = Discovery {
            vpc_id: Some("vpc-1".into()),
            subnets: vec![subnet("subnet-a", "ap-south-1a"), subnet("subnet-b", "ap-south-1b")],
        };
        let text = render(&options(), "ap-south-1", &found);
        let parsed: serde_norway::Value = serde_norway::from_str(&text).unwrap_or_else(|err| panic!("{err}\n{text}"));
        let environment = &parsed["environments"]["production"];
        assert_eq!(environment["aws_profile"].as_str(), Some("team \"sso\": x"));
        assert_eq!(environment["client_auth"].as_str(), Some("iam"));
        assert_eq!(environment["subnets"][1].as_str(), Some("subnet-b"));
        assert_eq!(parsed["default_environment"].as_str(), Some("production"));
    }

    #[test]
    fn without_a_default_vpc_the_subnets_are_left_to_the_user() {
        let text = render(&options(), "ap-south-1", &Discovery::default());
        let parsed: serde_norway::Value = serde_norway::from_str(&text).unwrap_or_else(|err| panic!("{err}"));
        assert!(parsed["environments"]["production"].get("subnets").is_none());
        assert!(text.contains("# subnets: [subnet-aaaa"));
    }
}
