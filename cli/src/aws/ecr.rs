//! ECR: the services' image repositories, the tag check before a rollout,
//! and the registry login `docker login` needs.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{ImageIdentifier, ImageScanningConfiguration, Tag};
use aws_sdk_ecr::Client;
use base64::Engine;
use serde::Serialize;

use super::call::Call;
use super::error::AwsError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repository {
    pub name: String,
    pub arn: String,
    /// `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: what `docker push` takes.
    pub uri: String,
    pub scan_on_push: bool,
}

impl Repository {
    /// The registry host, the part of the URI before the repository name.
    pub fn registry(&self) -> &str {
        self.uri.split('/').next().unwrap_or(&self.uri)
    }

    /// The AWS account that owns the repository, read from its ARN.
    pub fn account_id(&self) -> Option<&str> {
        self.arn.split(':').nth(4).filter(|account| !account.is_empty())
    }
}

/// The credentials `docker login` takes. The password is a secret: it is
/// printed only where the user asked for it, never logged.
#[derive(Debug, Clone, Serialize)]
pub struct RegistryLogin {
    pub registry: String,
    pub username: String,
    pub password: String,
    pub expires_at: Option<String>,
}

pub async fn find_repository(client: &Client, name: &str) -> Result<Option<Repository>, AwsError> {
    let call = Call::new("ecr:DescribeRepositories", format!("repository {name}"));
    let Some(output) = call.send_or_absent(client.describe_repositories().repository_names(name).send()).await? else {
        return Ok(None);
    };
    output
        .repositories()
        .iter()
        .find(|repo| repo.repository_name() == Some(name))
        .map(|repo| convert(&call, repo))
        .transpose()
}

fn convert(call: &Call, repo: &aws_sdk_ecr::types::Repository) -> Result<Repository, AwsError> {
    Ok(Repository {
        name: call.required_str(repo.repository_name(), "RepositoryName")?,
        arn: call.required_str(repo.repository_arn(), "RepositoryArn")?,
        uri: call.required_str(repo.repository_uri(), "RepositoryUri")?,
        scan_on_push: repo.image_scanning_configuration().is_some_and(|scan| scan.scan_on_push()),
    })
}

/// CreateRepository with scan on push and the tags in the same call.
pub async fn create_repository(
    client: &Client,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Repository, AwsError> {
    let action = "ecr:CreateRepository";
    let call = Call::new(action, format!("repository {name}"));
    let tags = tags
        .iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| AwsError::unbuilt_request(action, call.resource(), &err.to_string()))?;
    let request = client
        .create_repository()
        .repository_name(name)
        .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(true).build())
        .set_tags(Some(tags))
        .send();
    let output = call.send(request).await?;
    convert(&call, call.required(output.repository(), "Repository")?)
}

pub async fn enable_scan_on_push(client: &Client, name: &str) -> Result<(), AwsError> {
    let call = Call::new("ecr:PutImageScanningConfiguration", format!("repository {name}"));
    let request = client
        .put_image_scanning_configuration()
        .repository_name(name)
        .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(true).build())
        .send();
    call.send(request).await?;
    Ok(())
}

/// The repository's lifecycle policy text, `None` when it has none.
pub async fn lifecycle_policy(client: &Client, name: &str) -> Result<Option<String>, AwsError> {
    let call = Call::new("ecr:GetLifecyclePolicy", format!("repository {name}"));
    let found = call.send_or_absent(client.get_lifecycle_policy().repository_name(name).send()).await?;
    Ok(found.and_then(|output| output.lifecycle_policy_text().map(str::to_string)))
}

pub async fn put_lifecycle_policy(client: &Client, name: &str, policy: &str) -> Result<(), AwsError> {
    let call = Call::new("ecr:PutLifecyclePolicy", format!("repository {name}"));
    call.send(client.put_lifecycle_policy().repository_name(name).lifecycle_policy_text(policy).send()).await?;
    Ok(())
}

/// Whether `tag` names an image in the repository. A missing repository
/// counts as a missing image: either way there is nothing to run.
pub async fn image_exists(client: &Client, name: &str, tag: &str) -> Result<bool, AwsError> {
    let request =
        client.describe_images().repository_name(name).image_ids(ImageIdentifier::builder().image_tag(tag).build());
    let call = Call::new("ecr:DescribeImages", format!("image {name}:{tag}"));
    Ok(call.send_or_absent(request.send()).await?.is_some_and(|output| !output.image_details().is_empty()))
}

pub async fn delete_repository(client: &Client, name: &str) -> Result<(), AwsError> {
    let call = Call::new("ecr:DeleteRepository", format!("repository {name}"));
    call.send_or_absent(client.delete_repository().repository_name(name).force(true).send()).await?;
    Ok(())
}

/// GetAuthorizationToken, decoded: the token is base64 of `user:password`.
pub async fn registry_login(client: &Client) -> Result<RegistryLogin, AwsError> {
    let action = "ecr:GetAuthorizationToken";
    let call = Call::new(action, "the account's registry");
    let output = call.send(client.get_authorization_token().send()).await?;
    let data = call.required(output.authorization_data().first(), "authorizationData")?;
    let token = call.required(data.authorization_token(), "authorizationData[].authorizationToken")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| AwsError::malformed(action, "the account's registry", "decodable authorizationToken"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| AwsError::malformed(action, "the account's registry", "user:password token"))?;
    let registry = call.required(data.proxy_endpoint(), "authorizationData[].proxyEndpoint")?;
    Ok(RegistryLogin {
        registry: registry.trim_start_matches("https://").to_string(),
        username: username.to_string(),
        password: password.to_string(),
        expires_at: data.expires_at().map(|at| at.to_string()),
    })
}
