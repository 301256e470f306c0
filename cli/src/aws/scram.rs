//! SASL/SCRAM on MSK: the customer managed KMS key, the Secrets Manager
//! secret it encrypts (`AmazonMSK_…`, `{"username", "password"}`), and the
//! secret's association with the cluster. MSK only accepts secrets named
//! `AmazonMSK_*` and encrypted with a customer managed key (Amazon MSK
//! developer guide, "Sign-in credentials authentication with AWS Secrets
//! Manager"); BatchAssociateScramSecret reports a refused secret in its
//! answer, not as an error, so [`associate`] turns that into one.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::call::Call;
use super::error::{AwsError, AwsErrorKind};
use crate::kafka::ScramCredentials;

/// KMS's shortest waiting period before a key is deleted, in days.
pub const KEY_DELETION_WINDOW_DAYS: i32 = 7;
/// Length of the generated SCRAM password (Secrets Manager's default).
const PASSWORD_LENGTH: i64 = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KmsKey {
    pub id: String,
    pub arn: String,
    /// `Enabled`, `PendingDeletion`, ...
    pub state: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScramSecret {
    pub arn: String,
    pub name: String,
    /// The key that encrypts it as Secrets Manager reports it (ID, ARN or
    /// alias); `None` for the default `aws/secretsmanager` key.
    pub kms_key_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// What a SCRAM secret holds: MSK reads exactly these two keys.
#[derive(Serialize, Deserialize)]
struct SecretPayload {
    username: String,
    password: String,
}

/// The key an alias points to, with its tags; `None` when no such alias.
pub async fn find_key_by_alias(client: &aws_sdk_kms::Client, alias: &str) -> Result<Option<KmsKey>, AwsError> {
    let call = Call::new("kms:ListAliases", format!("alias {alias}"));
    let mut pages = client.list_aliases().into_paginator().send();
    let mut key_id = None;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        if let Some(found) = page.aliases().iter().find(|entry| entry.alias_name() == Some(alias)) {
            key_id = Some(call.required_str(found.target_key_id(), "Aliases[].TargetKeyId")?);
            break;
        }
    }
    let Some(key_id) = key_id else { return Ok(None) };
    describe_key(client, &key_id).await
}

/// DescribeKey and ListResourceTags of one key (by ID); `None` if it is gone.
pub async fn describe_key(client: &aws_sdk_kms::Client, key_id: &str) -> Result<Option<KmsKey>, AwsError> {
    let call = Call::new("kms:DescribeKey", format!("KMS key {key_id}"));
    let Some(output) = call.send_or_absent(client.describe_key().key_id(key_id).send()).await? else {
        return Ok(None);
    };
    let metadata = call.required(output.key_metadata(), "KeyMetadata")?;
    let id = metadata.key_id().to_string();
    if id.is_empty() {
        return Err(AwsError::missing_field("kms:DescribeKey", call.resource(), "KeyMetadata.KeyId"));
    }
    let arn = call.required_str(metadata.arn(), "KeyMetadata.Arn")?;
    let state = call.required(metadata.key_state(), "KeyMetadata.KeyState")?.as_str().to_string();
    let tags_call = Call::new("kms:ListResourceTags", format!("KMS key {id}"));
    let mut tags = BTreeMap::new();
    let mut pages = client.list_resource_tags().key_id(&id).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| tags_call.error(err))?;
        for tag in page.tags() {
            tags.insert(tag.tag_key().to_string(), tag.tag_value().to_string());
        }
    }
    Ok(Some(KmsKey { id, arn, state, tags }))
}

/// A symmetric encryption key, tagged at creation, and its alias.
pub async fn create_key(
    client: &aws_sdk_kms::Client,
    alias: &str,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<KmsKey, AwsError> {
    let action = "kms:CreateKey";
    let call = Call::new(action, format!("KMS key {alias}"));
    let kms_tags = tags
        .iter()
        .map(|(key, value)| aws_sdk_kms::types::Tag::builder().tag_key(key).tag_value(value).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| AwsError::unbuilt_request(action, call.resource(), &err.to_string()))?;
    let output = call.send(client.create_key().description(description).set_tags(Some(kms_tags)).send()).await?;
    let metadata = call.required(output.key_metadata(), "KeyMetadata")?;
    let key = KmsKey {
        id: metadata.key_id().to_string(),
        arn: call.required_str(metadata.arn(), "KeyMetadata.Arn")?,
        state: metadata.key_state().map(|state| state.as_str().to_string()).unwrap_or_else(|| "Enabled".into()),
        tags: tags.clone(),
    };
    if key.id.is_empty() {
        return Err(AwsError::missing_field(action, call.resource(), "KeyMetadata.KeyId"));
    }
    let alias_call = Call::new("kms:CreateAlias", format!("alias {alias}"));
    alias_call.send(client.create_alias().alias_name(alias).target_key_id(&key.id).send()).await?;
    Ok(key)
}

/// Deletes the alias and schedules the key's deletion (KMS never deletes at once).
pub async fn retire_key(client: &aws_sdk_kms::Client, alias: &str, key: &KmsKey) -> Result<(), AwsError> {
    let alias_call = Call::new("kms:DeleteAlias", format!("alias {alias}"));
    alias_call.send_or_absent(client.delete_alias().alias_name(alias).send()).await?;
    if key.state == "PendingDeletion" {
        return Ok(());
    }
    let call = Call::new("kms:ScheduleKeyDeletion", format!("KMS key {}", key.id));
    // By ID: what every KMS implementation resolves.
    let request = client.schedule_key_deletion().key_id(&key.id).pending_window_in_days(KEY_DELETION_WINDOW_DAYS);
    call.send_or_absent(request.send()).await?;
    Ok(())
}

/// DescribeSecret by name; `None` when there is none (or it awaits deletion).
pub async fn describe_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> Result<Option<ScramSecret>, AwsError> {
    let call = Call::new("secretsmanager:DescribeSecret", format!("secret {name}"));
    let Some(output) = call.send_or_absent(client.describe_secret().secret_id(name).send()).await? else {
        return Ok(None);
    };
    if output.deleted_date().is_some() {
        return Ok(None);
    }
    Ok(Some(ScramSecret {
        arn: call.required_str(output.arn(), "ARN")?,
        name: call.required_str(output.name(), "Name")?,
        kms_key_id: output.kms_key_id().map(str::to_string),
        tags: output
            .tags()
            .iter()
            .filter_map(|tag| Some((tag.key()?.to_string(), tag.value().unwrap_or_default().to_string())))
            .collect(),
    }))
}

/// Creates the secret with a password Secrets Manager generates, so the
/// password never passes through a command line or a file.
pub async fn create_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
    username: &str,
    kms_key_arn: &str,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    let random = Call::new("secretsmanager:GetRandomPassword", format!("secret {name}"));
    let output = random
        .send(client.get_random_password().password_length(PASSWORD_LENGTH).exclude_punctuation(true).send())
        .await?;
    let password = SecretString::from(random.required_str(output.random_password(), "RandomPassword")?);
    let action = "secretsmanager:CreateSecret";
    let call = Call::new(action, format!("secret {name}"));
    let payload = SecretPayload { username: username.to_string(), password: password.expose_secret().to_string() };
    let body = SecretString::from(
        serde_json::to_string(&payload)
            .map_err(|err| AwsError::unbuilt_request(action, call.resource(), &err.to_string()))?,
    );
    let tags = tags
        .iter()
        .map(|(key, value)| aws_sdk_secretsmanager::types::Tag::builder().key(key).value(value).build())
        .collect();
    let request = client
        .create_secret()
        .name(name)
        .description(description)
        .kms_key_id(kms_key_arn)
        .secret_string(body.expose_secret())
        .set_tags(Some(tags))
        .send();
    let output = call.send(request).await?;
    call.required_str(output.arn(), "ARN")
}

/// The login a secret holds; `None` when the secret does not exist.
pub async fn login(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<Option<ScramCredentials>, AwsError> {
    let action = "secretsmanager:GetSecretValue";
    let call = Call::new(action, format!("secret {secret_id}"));
    let Some(output) = call.send_or_absent(client.get_secret_value().secret_id(secret_id).send()).await? else {
        return Ok(None);
    };
    let text = SecretString::from(call.required_str(output.secret_string(), "SecretString")?);
    // The parse error is not passed on: its text could quote the secret.
    let payload: SecretPayload = serde_json::from_str(text.expose_secret()).map_err(|_| {
        AwsError::malformed(action, call.resource(), r#"JSON {"username", "password"} in SecretString"#)
    })?;
    Ok(Some(ScramCredentials::new(payload.username, SecretString::from(payload.password))))
}

/// Deletes the secret at once (no recovery window): destroy means gone.
pub async fn delete_secret(client: &aws_sdk_secretsmanager::Client, arn: &str) -> Result<(), AwsError> {
    let call = Call::new("secretsmanager:DeleteSecret", format!("secret {arn}"));
    call.send_or_absent(client.delete_secret().secret_id(arn).force_delete_without_recovery(true).send()).await?;
    Ok(())
}

/// The secrets associated with the cluster.
pub async fn associated_secrets(client: &aws_sdk_kafka::Client, cluster_arn: &str) -> Result<Vec<String>, AwsError> {
    let call = Call::new("kafka:ListScramSecrets", format!("cluster {cluster_arn}"));
    let mut pages = client.list_scram_secrets().cluster_arn(cluster_arn).into_paginator().send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        arns.extend(page.secret_arn_list().iter().cloned());
    }
    Ok(arns)
}

/// BatchAssociateScramSecret for one secret; a secret MSK lists as
/// unprocessed is an error carrying MSK's code and message.
pub async fn associate(client: &aws_sdk_kafka::Client, cluster_arn: &str, secret_arn: &str) -> Result<(), AwsError> {
    let action = "kafka:BatchAssociateScramSecret";
    let call = Call::new(action, format!("secret {secret_arn} on cluster {cluster_arn}"));
    let request = client.batch_associate_scram_secret().cluster_arn(cluster_arn).secret_arn_list(secret_arn).send();
    let output = call.send(request).await?;
    match output.unprocessed_scram_secrets().first() {
        None => Ok(()),
        Some(refused) => Err(AwsError {
            action: action.to_string(),
            resource: call.resource().to_string(),
            kind: AwsErrorKind::InvalidInput,
            code: refused.error_code().map(str::to_string),
            message: refused.error_message().unwrap_or("MSK did not associate the secret").to_string(),
            credentials: None,
        }),
    }
}
