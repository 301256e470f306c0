//! IAM: the instance role the services' EC2 instances run as, its inline
//! policy and its instance profile.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use percent_encoding::percent_decode_str;

use super::error::{absent_if_not_found, AwsError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    pub name: String,
    pub arn: String,
    pub roles: Vec<String>,
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, String> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build().map_err(|err| err.to_string()))
        .collect()
}

pub async fn get_role(client: &Client, name: &str) -> Result<Option<Role>, AwsError> {
    let action = "iam:GetRole";
    let result = client
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, format!("role {name}"), err));
    Ok(absent_if_not_found(result)?
        .and_then(|output| output.role().map(|role| Role { name: role.role_name().into(), arn: role.arn().into() })))
}

pub async fn create_role(
    client: &Client,
    name: &str,
    trust_policy: &str,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Role, AwsError> {
    let action = "iam:CreateRole";
    let resource = format!("role {name}");
    let tags = iam_tags(tags).map_err(|err| AwsError::malformed(action, resource.clone(), &err))?;
    let output = client
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy)
        .description(description)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource.clone(), err))?;
    output
        .role()
        .map(|role| Role { name: role.role_name().into(), arn: role.arn().into() })
        .ok_or_else(|| AwsError::malformed(action, resource, "Role"))
}

/// The inline policy's document, decoded (IAM returns it URL-encoded).
pub async fn get_role_policy(client: &Client, role: &str, policy: &str) -> Result<Option<String>, AwsError> {
    let action = "iam:GetRolePolicy";
    let result = client
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, format!("policy {policy} of role {role}"), err));
    Ok(absent_if_not_found(result)?.map(|output| {
        let document = output.policy_document();
        percent_decode_str(document)
            .decode_utf8()
            .map(|text| text.into_owned())
            .unwrap_or_else(|_| document.to_string())
    }))
}

pub async fn put_role_policy(client: &Client, role: &str, policy: &str, document: &str) -> Result<(), AwsError> {
    client
        .put_role_policy()
        .role_name(role)
        .policy_name(policy)
        .policy_document(document)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("iam:PutRolePolicy", format!("policy {policy} of role {role}"), err))?;
    Ok(())
}

pub async fn get_instance_profile(client: &Client, name: &str) -> Result<Option<InstanceProfile>, AwsError> {
    let action = "iam:GetInstanceProfile";
    let result = client
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, format!("instance profile {name}"), err));
    Ok(absent_if_not_found(result)?.and_then(|output| {
        output.instance_profile().map(|profile| InstanceProfile {
            name: profile.instance_profile_name().into(),
            arn: profile.arn().into(),
            roles: profile.roles().iter().map(|role| role.role_name().to_string()).collect(),
        })
    }))
}

pub async fn create_instance_profile(
    client: &Client,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<InstanceProfile, AwsError> {
    let action = "iam:CreateInstanceProfile";
    let resource = format!("instance profile {name}");
    let tags = iam_tags(tags).map_err(|err| AwsError::malformed(action, resource.clone(), &err))?;
    let output = client
        .create_instance_profile()
        .instance_profile_name(name)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource.clone(), err))?;
    output
        .instance_profile()
        .map(|profile| InstanceProfile {
            name: profile.instance_profile_name().into(),
            arn: profile.arn().into(),
            roles: Vec::new(),
        })
        .ok_or_else(|| AwsError::malformed(action, resource, "InstanceProfile"))
}

pub async fn add_role_to_instance_profile(client: &Client, profile: &str, role: &str) -> Result<(), AwsError> {
    client.add_role_to_instance_profile().instance_profile_name(profile).role_name(role).send().await.map_err(
        |err| AwsError::from_sdk("iam:AddRoleToInstanceProfile", format!("instance profile {profile}"), err),
    )?;
    Ok(())
}

/// Removes the profile, the role's inline policy and the role; what is
/// already gone is skipped, so a half-finished teardown can be re-run.
pub async fn delete_instance_role(client: &Client, profile: &str, role: &str, policy: &str) -> Result<(), AwsError> {
    let detach =
        client.remove_role_from_instance_profile().instance_profile_name(profile).role_name(role).send().await.map_err(
            |err| AwsError::from_sdk("iam:RemoveRoleFromInstanceProfile", format!("instance profile {profile}"), err),
        );
    absent_if_not_found(detach)?;
    let delete_profile = client
        .delete_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("iam:DeleteInstanceProfile", format!("instance profile {profile}"), err));
    absent_if_not_found(delete_profile)?;
    let delete_policy = client
        .delete_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("iam:DeleteRolePolicy", format!("policy {policy} of role {role}"), err));
    absent_if_not_found(delete_policy)?;
    let delete_role = client
        .delete_role()
        .role_name(role)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("iam:DeleteRole", format!("role {role}"), err));
    absent_if_not_found(delete_role)?;
    Ok(())
}
