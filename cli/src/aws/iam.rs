//! IAM: the instance role the services' EC2 instances run as, its inline
//! policy and its instance profile.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use percent_encoding::percent_decode_str;

use super::call::Call;
use super::error::AwsError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    pub name: String,
    pub arn: String,
    pub roles: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, String> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build().map_err(|err| err.to_string()))
        .collect()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().map(|tag| (tag.key().to_string(), tag.value().to_string())).collect()
}

pub async fn get_role(client: &Client, name: &str) -> Result<Option<Role>, AwsError> {
    let call = Call::new("iam:GetRole", format!("role {name}"));
    let Some(output) = call.send_or_absent(client.get_role().role_name(name).send()).await? else { return Ok(None) };
    let role = call.required(output.role(), "Role")?;
    Ok(Some(Role { name: role.role_name().into(), arn: role.arn().into(), tags: tag_map(role.tags()) }))
}

pub async fn create_role(
    client: &Client,
    name: &str,
    trust_policy: &str,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Role, AwsError> {
    let action = "iam:CreateRole";
    let call = Call::new(action, format!("role {name}"));
    let tags = iam_tags(tags).map_err(|err| AwsError::unbuilt_request(action, call.resource(), &err))?;
    let request = client
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy)
        .description(description)
        .set_tags(Some(tags))
        .send();
    let output = call.send(request).await?;
    let role = call.required(output.role(), "Role")?;
    Ok(Role { name: role.role_name().into(), arn: role.arn().into(), tags: tag_map(role.tags()) })
}

/// The inline policy's document, decoded (IAM returns it URL-encoded).
pub async fn get_role_policy(client: &Client, role: &str, policy: &str) -> Result<Option<String>, AwsError> {
    let call = Call::new("iam:GetRolePolicy", format!("policy {policy} of role {role}"));
    let found = call.send_or_absent(client.get_role_policy().role_name(role).policy_name(policy).send()).await?;
    Ok(found.map(|output| {
        let document = output.policy_document();
        percent_decode_str(document)
            .decode_utf8()
            .map(|text| text.into_owned())
            .unwrap_or_else(|_| document.to_string())
    }))
}

pub async fn put_role_policy(client: &Client, role: &str, policy: &str, document: &str) -> Result<(), AwsError> {
    let call = Call::new("iam:PutRolePolicy", format!("policy {policy} of role {role}"));
    call.send(client.put_role_policy().role_name(role).policy_name(policy).policy_document(document).send()).await?;
    Ok(())
}

pub async fn get_instance_profile(client: &Client, name: &str) -> Result<Option<InstanceProfile>, AwsError> {
    let call = Call::new("iam:GetInstanceProfile", format!("instance profile {name}"));
    let Some(output) = call.send_or_absent(client.get_instance_profile().instance_profile_name(name).send()).await?
    else {
        return Ok(None);
    };
    let profile = call.required(output.instance_profile(), "InstanceProfile")?;
    Ok(Some(InstanceProfile {
        name: profile.instance_profile_name().into(),
        arn: profile.arn().into(),
        roles: profile.roles().iter().map(|role| role.role_name().to_string()).collect(),
        tags: tag_map(profile.tags()),
    }))
}

pub async fn create_instance_profile(
    client: &Client,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<InstanceProfile, AwsError> {
    let action = "iam:CreateInstanceProfile";
    let call = Call::new(action, format!("instance profile {name}"));
    let tags = iam_tags(tags).map_err(|err| AwsError::unbuilt_request(action, call.resource(), &err))?;
    let output =
        call.send(client.create_instance_profile().instance_profile_name(name).set_tags(Some(tags)).send()).await?;
    let profile = call.required(output.instance_profile(), "InstanceProfile")?;
    Ok(InstanceProfile {
        name: profile.instance_profile_name().into(),
        arn: profile.arn().into(),
        roles: Vec::new(),
        tags: tag_map(profile.tags()),
    })
}

pub async fn add_role_to_instance_profile(client: &Client, profile: &str, role: &str) -> Result<(), AwsError> {
    let call = Call::new("iam:AddRoleToInstanceProfile", format!("instance profile {profile}"));
    call.send(client.add_role_to_instance_profile().instance_profile_name(profile).role_name(role).send()).await?;
    Ok(())
}

/// Removes the profile, the role's inline policy and the role; what is
/// already gone is skipped, so a half-finished teardown can be re-run.
pub async fn delete_instance_role(client: &Client, profile: &str, role: &str, policy: &str) -> Result<(), AwsError> {
    let in_profile = format!("instance profile {profile}");
    Call::new("iam:RemoveRoleFromInstanceProfile", in_profile.clone())
        .send_or_absent(
            client.remove_role_from_instance_profile().instance_profile_name(profile).role_name(role).send(),
        )
        .await?;
    Call::new("iam:DeleteInstanceProfile", in_profile)
        .send_or_absent(client.delete_instance_profile().instance_profile_name(profile).send())
        .await?;
    Call::new("iam:DeleteRolePolicy", format!("policy {policy} of role {role}"))
        .send_or_absent(client.delete_role_policy().role_name(role).policy_name(policy).send())
        .await?;
    Call::new("iam:DeleteRole", format!("role {role}"))
        .send_or_absent(client.delete_role().role_name(role).send())
        .await?;
    Ok(())
}
