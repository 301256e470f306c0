//! SSM Parameter Store: the public AMI parameter, and the services' secrets
//! as SecureString parameters under the environment's own path.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{ParameterType, Tag};
use aws_sdk_ssm::Client;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::call::Call;
use super::error::AwsError;

/// A secret's value. Debug prints no value, so a stray `{:?}` cannot leak it,
/// and secrecy zeroes the memory on drop.
#[derive(Clone)]
pub struct SecretValue(SecretString);

impl SecretValue {
    pub fn new(value: String) -> Self {
        SecretValue(SecretString::from(value))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// Equal values need no new parameter version; compared in constant time as
/// any comparison of secrets should be.
impl PartialEq for SecretValue {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.expose().as_bytes().ct_eq(other.expose().as_bytes()))
    }
}

impl Eq for SecretValue {}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// A plain (public) parameter's value, e.g. the latest AMI ID.
pub async fn public_parameter(client: &Client, name: &str) -> Result<Option<String>, AwsError> {
    let call = Call::new("ssm:GetParameter", format!("parameter {name}"));
    let Some(output) = call.send_or_absent(client.get_parameter().name(name).send()).await? else { return Ok(None) };
    call.required_str(output.parameter().and_then(|p| p.value()), "Parameter.Value").map(Some)
}

/// The decrypted value, to compare before writing: re-putting an equal
/// value would add a parameter version on every deploy.
pub async fn secret(client: &Client, name: &str) -> Result<Option<SecretValue>, AwsError> {
    let call = Call::new("ssm:GetParameter", format!("parameter {name}"));
    let Some(output) = call.send_or_absent(client.get_parameter().name(name).with_decryption(true).send()).await?
    else {
        return Ok(None);
    };
    call.required_str(output.parameter().and_then(|p| p.value()), "Parameter.Value")
        .map(|value| Some(SecretValue::new(value)))
}

/// Writes a SecureString. A new parameter gets the tags in the same call;
/// an existing one is overwritten (AWS refuses tags together with Overwrite).
pub async fn put_secret(
    client: &Client,
    name: &str,
    value: &SecretValue,
    exists: bool,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let action = "ssm:PutParameter";
    let call = Call::new(action, format!("parameter {name}"));
    let mut request = client
        .put_parameter()
        .name(name)
        .value(value.expose())
        .r#type(ParameterType::SecureString)
        .description("forgectl: a service secret, read by the instances at boot");
    if exists {
        request = request.overwrite(true);
    } else {
        let tags = tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| AwsError::unbuilt_request(action, call.resource(), &err.to_string()))?;
        request = request.set_tags(Some(tags));
    }
    call.send(request.send()).await?;
    Ok(())
}

/// Names of the parameters under `path` (values are not read).
pub async fn names_under(client: &Client, path: &str) -> Result<Vec<String>, AwsError> {
    let call = Call::new("ssm:GetParametersByPath", format!("path {path}"));
    let mut names = Vec::new();
    let mut pages =
        client.get_parameters_by_path().path(path).recursive(true).with_decryption(false).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        for parameter in page.parameters() {
            names.push(call.required_str(parameter.name(), "Parameters[].Name")?);
        }
    }
    Ok(names)
}

/// The tags of one parameter.
pub async fn parameter_tags(client: &Client, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let call = Call::new("ssm:ListTagsForResource", format!("parameter {name}"));
    let request = client
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send();
    let output = call.send(request).await?;
    Ok(output.tag_list().iter().map(|tag| (tag.key().to_string(), tag.value().to_string())).collect())
}

pub async fn delete_parameter(client: &Client, name: &str) -> Result<(), AwsError> {
    let call = Call::new("ssm:DeleteParameter", format!("parameter {name}"));
    call.send_or_absent(client.delete_parameter().name(name).send()).await?;
    Ok(())
}
