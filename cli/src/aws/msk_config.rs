//! MSK configurations (the cluster's server.properties). They take no tags,
//! so forgectl finds its own by name and the marker in the description.

use std::collections::BTreeMap;

use aws_sdk_kafka::primitives::Blob;
use aws_sdk_kafka::Client;
use serde::Serialize;

use super::call::Call;
use super::error::AwsError;

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
    let call = Call::new("kafka:ListConfigurations", resource(name));
    let mut pages = client.list_configurations().max_results(LIST_PAGE_SIZE).into_paginator().send();
    let mut found = None;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        found = page.configurations().iter().find(|c| c.name() == Some(name)).cloned();
        if found.is_some() {
            break;
        }
    }
    let Some(found) = found else { return Ok(None) };
    let arn = call.required_str(found.arn(), "Arn")?;
    let latest_revision =
        call.required(found.latest_revision().and_then(|r| r.revision()), "LatestRevision.Revision")?;
    let state = call.required(found.state(), "State")?.as_str().to_string();
    // A configuration being deleted may no longer have readable revisions.
    let properties = if state == "ACTIVE" {
        describe_properties(client, &arn, name, latest_revision).await?
    } else {
        BTreeMap::new()
    };
    Ok(Some(MskConfiguration {
        arn,
        name: name.to_string(),
        // forgectl's marker lives here; a configuration without a
        // description is simply not marked as forgectl's.
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
    let call = Call::new("kafka:DescribeConfigurationRevision", resource(name));
    let output = call.send(client.describe_configuration_revision().arn(arn).revision(revision).send()).await?;
    let properties = call.required(output.server_properties(), "ServerProperties")?;
    Ok(parse_properties(&String::from_utf8_lossy(properties.as_ref())))
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
    let call = Call::new("kafka:CreateConfiguration", resource(name));
    let request = client
        .create_configuration()
        .name(name)
        .description(description)
        .set_kafka_versions(Some(kafka_versions.to_vec()))
        .server_properties(Blob::new(server_properties.as_bytes()))
        .send();
    let output = call.send(request).await?;
    let arn = call.required_str(output.arn(), "Arn")?;
    Ok((arn, call.required(output.latest_revision().and_then(|r| r.revision()), "LatestRevision.Revision")?))
}

/// UpdateConfiguration: a new revision; returns its number.
pub async fn update_configuration(
    client: &Client,
    configuration: &MskConfiguration,
    server_properties: &str,
) -> Result<i64, AwsError> {
    let call = Call::new("kafka:UpdateConfiguration", resource(&configuration.name));
    let request = client
        .update_configuration()
        .arn(&configuration.arn)
        .description(&configuration.description)
        .server_properties(Blob::new(server_properties.as_bytes()))
        .send();
    let output = call.send(request).await?;
    call.required(output.latest_revision().and_then(|r| r.revision()), "LatestRevision")
}

/// DeleteConfiguration; a configuration already gone counts as deleted.
pub async fn delete_configuration(client: &Client, configuration: &MskConfiguration) -> Result<(), AwsError> {
    let call = Call::new("kafka:DeleteConfiguration", resource(&configuration.name));
    call.send_or_absent(client.delete_configuration().arn(&configuration.arn).send()).await?;
    Ok(())
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
