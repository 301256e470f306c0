//! MSK configurations (the cluster's server.properties). They take no tags,
//! so forgectl finds its own by name and the marker in the description.

use std::collections::BTreeMap;

use aws_sdk_kafka::primitives::Blob;
use aws_sdk_kafka::Client;
use serde::Serialize;

use super::error::{AwsError, AwsErrorKind};

/// ListConfigurations page size: MSK's maximum.
const LIST_PAGE_SIZE: i32 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MskConfiguration {
    pub arn: String,
    pub name: String,
    pub description: String,
    /// ACTIVE, DELETING or DELETE_FAILED.
    pub state: String,
    pub kafka_versions: Vec<String>,
    pub latest_revision: i64,
    /// The latest revision's server properties.
    pub properties: BTreeMap<String, String>,
}

fn resource(name: &str) -> String {
    format!("configuration {name}")
}

/// The configuration called `name` with its latest properties: a
/// ListConfigurations (one page in most accounts) and, when found, one
/// DescribeConfigurationRevision.
pub async fn find_configuration(client: &Client, name: &str) -> Result<Option<MskConfiguration>, AwsError> {
    let mut pages = client.list_configurations().max_results(LIST_PAGE_SIZE).into_paginator().send();
    let mut found = None;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| AwsError::from_sdk("kafka:ListConfigurations", resource(name), err))?;
        found = page.configurations().iter().find(|c| c.name() == Some(name)).cloned();
        if found.is_some() {
            break;
        }
    }
    let Some(found) = found else { return Ok(None) };
    let arn =
        found.arn().ok_or_else(|| AwsError::malformed("kafka:ListConfigurations", resource(name), "Arn"))?.to_string();
    let latest_revision = found.latest_revision().and_then(|r| r.revision()).unwrap_or(1);
    let state = found.state().map(|s| s.as_str().to_string()).unwrap_or_default();
    // A configuration being deleted may no longer have readable revisions.
    let properties = if state == "ACTIVE" {
        describe_properties(client, &arn, name, latest_revision).await?
    } else {
        BTreeMap::new()
    };
    Ok(Some(MskConfiguration {
        arn,
        name: name.to_string(),
        description: found.description().unwrap_or_default().to_string(),
        state,
        kafka_versions: found.kafka_versions().to_vec(),
        latest_revision,
        properties,
    }))
}

async fn describe_properties(
    client: &Client,
    arn: &str,
    name: &str,
    revision: i64,
) -> Result<BTreeMap<String, String>, AwsError> {
    let output = client
        .describe_configuration_revision()
        .arn(arn)
        .revision(revision)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("kafka:DescribeConfigurationRevision", resource(name), err))?;
    let text =
        output.server_properties().map(|blob| String::from_utf8_lossy(blob.as_ref()).into_owned()).unwrap_or_default();
    Ok(parse_properties(&text))
}

/// `key=value` lines; blank lines and `#` comments skipped.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect()
}

/// CreateConfiguration; returns its ARN and first revision.
pub async fn create_configuration(
    client: &Client,
    name: &str,
    description: &str,
    kafka_versions: &[String],
    server_properties: &str,
) -> Result<(String, i64), AwsError> {
    let action = "kafka:CreateConfiguration";
    let output = client
        .create_configuration()
        .name(name)
        .description(description)
        .set_kafka_versions(Some(kafka_versions.to_vec()))
        .server_properties(Blob::new(server_properties.as_bytes()))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource(name), err))?;
    let arn = output.arn().ok_or_else(|| AwsError::malformed(action, resource(name), "Arn"))?.to_string();
    Ok((arn, output.latest_revision().and_then(|r| r.revision()).unwrap_or(1)))
}

/// UpdateConfiguration: a new revision; returns its number.
pub async fn update_configuration(
    client: &Client,
    configuration: &MskConfiguration,
    server_properties: &str,
) -> Result<i64, AwsError> {
    let action = "kafka:UpdateConfiguration";
    let output = client
        .update_configuration()
        .arn(&configuration.arn)
        .description(&configuration.description)
        .server_properties(Blob::new(server_properties.as_bytes()))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource(&configuration.name), err))?;
    output
        .latest_revision()
        .and_then(|r| r.revision())
        .ok_or_else(|| AwsError::malformed(action, resource(&configuration.name), "LatestRevision"))
}

/// DeleteConfiguration; a configuration already gone counts as deleted.
pub async fn delete_configuration(client: &Client, configuration: &MskConfiguration) -> Result<(), AwsError> {
    match client.delete_configuration().arn(&configuration.arn).send().await {
        Ok(_) => Ok(()),
        Err(err) => {
            let error = AwsError::from_sdk("kafka:DeleteConfiguration", resource(&configuration.name), err);
            if error.is(AwsErrorKind::NotFound) {
                Ok(())
            } else {
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_parse_and_skip_comments() {
        let parsed = parse_properties("# managed\nauto.create.topics.enable=false\n\nmin.insync.replicas = 2\n");
        assert_eq!(parsed.get("auto.create.topics.enable").map(String::as_str), Some("false"));
        assert_eq!(parsed.get("min.insync.replicas").map(String::as_str), Some("2"));
        assert_eq!(parsed.len(), 2);
    }
}
