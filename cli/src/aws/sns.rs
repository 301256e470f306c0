//! SNS: the environment's alarm topic and its subscriptions.

use std::collections::BTreeMap;

use aws_sdk_sns::types::Tag;
use aws_sdk_sns::Client;

use super::call::Call;
use super::error::AwsError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub arn: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
}

/// One delivery endpoint of a topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subscription {
    /// `email` or `https` (forgectl subscribes no other kind).
    pub protocol: String,
    pub endpoint: String,
    /// `None` until the endpoint confirms: SNS then answers
    /// `PendingConfirmation` instead of an ARN, and such a subscription
    /// cannot be removed (SNS drops it unconfirmed after three days).
    pub arn: Option<String>,
}

/// The topic's name is the last part of its ARN.
fn name_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// The topic named `name` in the region, with its tags.
pub async fn find_topic(client: &Client, name: &str) -> Result<Option<Topic>, AwsError> {
    let call = Call::new("sns:ListTopics", format!("topic {name}"));
    let mut pages = client.list_topics().into_paginator().send();
    let mut found = None;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        for topic in page.topics() {
            let arn = call.required_str(topic.topic_arn(), "Topics[].TopicArn")?;
            if name_of(&arn) == name {
                found = Some(arn);
            }
        }
    }
    let Some(arn) = found else { return Ok(None) };
    let tags = topic_tags(client, &arn).await?;
    Ok(Some(Topic { name: name.to_string(), arn, tags }))
}

async fn topic_tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let call = Call::new("sns:ListTagsForResource", format!("topic {arn}"));
    let output = call.send(client.list_tags_for_resource().resource_arn(arn).send()).await?;
    Ok(output.tags().iter().map(|tag| (tag.key().to_string(), tag.value().to_string())).collect())
}

/// Creates the topic with its tags; returns its ARN.
pub async fn create_topic(client: &Client, name: &str, tags: &BTreeMap<String, String>) -> Result<String, AwsError> {
    let action = "sns:CreateTopic";
    let call = Call::new(action, format!("topic {name}"));
    let tags = tags
        .iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| AwsError::unbuilt_request(action, call.resource(), &err.to_string()))?;
    let output = call.send(client.create_topic().name(name).set_tags(Some(tags)).send()).await?;
    call.required_str(output.topic_arn(), "TopicArn")
}

pub async fn subscriptions(client: &Client, topic_arn: &str) -> Result<Vec<Subscription>, AwsError> {
    let call = Call::new("sns:ListSubscriptionsByTopic", format!("topic {topic_arn}"));
    let mut pages = client.list_subscriptions_by_topic().topic_arn(topic_arn).into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        for subscription in page.subscriptions() {
            let arn = call.required_str(subscription.subscription_arn(), "Subscriptions[].SubscriptionArn")?;
            found.push(Subscription {
                protocol: call.required_str(subscription.protocol(), "Subscriptions[].Protocol")?,
                endpoint: call.required_str(subscription.endpoint(), "Subscriptions[].Endpoint")?,
                arn: arn.starts_with("arn:").then_some(arn),
            });
        }
    }
    found.sort();
    Ok(found)
}

pub async fn subscribe(client: &Client, topic_arn: &str, protocol: &str, endpoint: &str) -> Result<(), AwsError> {
    let call = Call::new("sns:Subscribe", format!("{protocol} {endpoint} on topic {topic_arn}"));
    let request = client.subscribe().topic_arn(topic_arn).protocol(protocol).endpoint(endpoint);
    call.send(request.send()).await?;
    Ok(())
}

pub async fn unsubscribe(client: &Client, subscription_arn: &str) -> Result<(), AwsError> {
    let call = Call::new("sns:Unsubscribe", format!("subscription {subscription_arn}"));
    call.send_or_absent(client.unsubscribe().subscription_arn(subscription_arn).send()).await?;
    Ok(())
}

pub async fn delete_topic(client: &Client, topic_arn: &str) -> Result<(), AwsError> {
    let call = Call::new("sns:DeleteTopic", format!("topic {topic_arn}"));
    call.send_or_absent(client.delete_topic().topic_arn(topic_arn).send()).await?;
    Ok(())
}
