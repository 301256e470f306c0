//! EC2 launch templates: one per role, a new version per change. The
//! version's description carries the service version it runs, which is how
//! `deploy` reads back what each instance runs.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData,
    ResourceType, TagSpecification,
};
use aws_sdk_ec2::Client;
use serde::Serialize;

use super::ec2::ec2_tags;
use super::error::{absent_if_not_found, AwsError};

/// What forgectl sets in a launch template version, and compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateData {
    pub image_id: String,
    pub instance_type: String,
    /// Sorted, so that order does not count as a change.
    pub security_group_ids: Vec<String>,
    pub instance_profile: String,
    /// Base64, as EC2 stores it.
    #[serde(skip)]
    pub user_data: String,
    /// Tags the instances get at launch.
    #[serde(skip)]
    pub instance_tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchTemplate {
    pub id: String,
    pub name: String,
    pub latest_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVersion {
    pub number: i64,
    pub description: Option<String>,
    pub data: TemplateData,
}

fn request_data(data: &TemplateData) -> RequestLaunchTemplateData {
    RequestLaunchTemplateData::builder()
        .image_id(&data.image_id)
        .instance_type(InstanceType::from(data.instance_type.as_str()))
        .set_security_group_ids(Some(data.security_group_ids.clone()))
        .iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder().name(&data.instance_profile).build(),
        )
        .user_data(&data.user_data)
        // IMDSv2 only: the instance role's credentials are not reachable
        // through a plain GET from a confused-deputy request.
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .build(),
        )
        .tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ResourceType::Instance)
                .set_tags(Some(ec2_tags(&data.instance_tags)))
                .build(),
        )
        .build()
}

pub async fn find(client: &Client, name: &str) -> Result<Option<LaunchTemplate>, AwsError> {
    let action = "ec2:DescribeLaunchTemplates";
    let result = client
        .describe_launch_templates()
        .launch_template_names(name)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, format!("launch template {name}"), err));
    Ok(absent_if_not_found(result)?.and_then(|output| {
        output.launch_templates().iter().find_map(|template| {
            Some(LaunchTemplate {
                id: template.launch_template_id()?.to_string(),
                name: template.launch_template_name()?.to_string(),
                latest_version: template.latest_version_number()?,
            })
        })
    }))
}

/// The given versions of one template (unknown numbers are left out).
pub async fn versions(client: &Client, template_id: &str, numbers: &[i64]) -> Result<Vec<TemplateVersion>, AwsError> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let output = client
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .set_versions(Some(numbers.iter().map(i64::to_string).collect()))
        .send()
        .await
        .map_err(|err| {
            AwsError::from_sdk("ec2:DescribeLaunchTemplateVersions", format!("launch template {template_id}"), err)
        })?;
    Ok(output.launch_template_versions().iter().filter_map(convert_version).collect())
}

fn convert_version(version: &aws_sdk_ec2::types::LaunchTemplateVersion) -> Option<TemplateVersion> {
    let data = version.launch_template_data()?;
    let mut security_group_ids: Vec<String> = data.security_group_ids().to_vec();
    security_group_ids.sort();
    let instance_tags = data
        .tag_specifications()
        .iter()
        .filter(|spec| spec.resource_type() == Some(&ResourceType::Instance))
        .flat_map(|spec| spec.tags())
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value().unwrap_or_default().to_string())))
        .collect();
    Some(TemplateVersion {
        number: version.version_number()?,
        description: version.version_description().map(str::to_string),
        data: TemplateData {
            image_id: data.image_id().unwrap_or_default().to_string(),
            instance_type: data.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
            security_group_ids,
            instance_profile: data
                .iam_instance_profile()
                .and_then(|profile| profile.name())
                .unwrap_or_default()
                .to_string(),
            user_data: data.user_data().unwrap_or_default().to_string(),
            instance_tags,
        },
    })
}

/// CreateLaunchTemplate: version 1, tagged in the same call.
pub async fn create(
    client: &Client,
    name: &str,
    data: &TemplateData,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<LaunchTemplate, AwsError> {
    let action = "ec2:CreateLaunchTemplate";
    let resource = format!("launch template {name}");
    let output = client
        .create_launch_template()
        .launch_template_name(name)
        .version_description(description)
        .launch_template_data(request_data(data))
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::LaunchTemplate)
                .set_tags(Some(ec2_tags(tags)))
                .build(),
        )
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource.clone(), err))?;
    let template =
        output.launch_template().ok_or_else(|| AwsError::malformed(action, resource.clone(), "LaunchTemplate"))?;
    Ok(LaunchTemplate {
        id: template.launch_template_id().unwrap_or_default().to_string(),
        name: name.to_string(),
        latest_version: template.latest_version_number().unwrap_or(1),
    })
}

/// A new version with the complete data (no SourceVersion): what it runs
/// never depends on what an earlier version happened to hold.
pub async fn create_version(
    client: &Client,
    template: &LaunchTemplate,
    data: &TemplateData,
    description: &str,
) -> Result<i64, AwsError> {
    let action = "ec2:CreateLaunchTemplateVersion";
    let resource = format!("launch template {}", template.name);
    let output = client
        .create_launch_template_version()
        .launch_template_id(&template.id)
        .version_description(description)
        .launch_template_data(request_data(data))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource.clone(), err))?;
    output
        .launch_template_version()
        .and_then(|version| version.version_number())
        .ok_or_else(|| AwsError::malformed(action, resource, "LaunchTemplateVersion.VersionNumber"))
}

pub async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    let result = client
        .delete_launch_template()
        .launch_template_name(name)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("ec2:DeleteLaunchTemplate", format!("launch template {name}"), err));
    absent_if_not_found(result).map(|_| ())
}
