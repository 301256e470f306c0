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

use super::call::Call;
use super::ec2::ec2_tags;
use super::error::AwsError;

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
    /// The template's own tags (not those it puts on instances).
    pub tags: BTreeMap<String, String>,
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
        // through a plain GET from a confused-deputy request. Two hops: the
        // service's container (one hop behind the instance) signs MSK IAM
        // tokens with the role's credentials.
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .http_put_response_hop_limit(2)
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
    let call = Call::new("ec2:DescribeLaunchTemplates", format!("launch template {name}"));
    let Some(output) =
        call.send_or_absent(client.describe_launch_templates().launch_template_names(name).send()).await?
    else {
        return Ok(None);
    };
    let Some(template) = output.launch_templates().first() else { return Ok(None) };
    Ok(Some(LaunchTemplate {
        id: call.required_str(template.launch_template_id(), "LaunchTemplateId")?,
        name: call.required_str(template.launch_template_name(), "LaunchTemplateName")?,
        latest_version: call.required(template.latest_version_number(), "LatestVersionNumber")?,
        tags: template
            .tags()
            .iter()
            .filter_map(|tag| Some((tag.key()?.to_string(), tag.value().unwrap_or_default().to_string())))
            .collect(),
    }))
}

/// The given versions of one template (unknown numbers are left out).
pub async fn versions(client: &Client, template_id: &str, numbers: &[i64]) -> Result<Vec<TemplateVersion>, AwsError> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let call = Call::new("ec2:DescribeLaunchTemplateVersions", format!("launch template {template_id}"));
    let request = client
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .set_versions(Some(numbers.iter().map(i64::to_string).collect()))
        .send();
    let output = call.send(request).await?;
    output.launch_template_versions().iter().map(|version| convert_version(&call, version)).collect()
}

/// Every field forgectl sets in a version is required: a version without
/// one was not written by forgectl and must not compare equal to empty.
fn convert_version(
    call: &Call,
    version: &aws_sdk_ec2::types::LaunchTemplateVersion,
) -> Result<TemplateVersion, AwsError> {
    let number = call.required(version.version_number(), "LaunchTemplateVersions[].VersionNumber")?;
    let call = call.about(format!("{} version {number}", call.resource()));
    let data = call.required(version.launch_template_data(), "LaunchTemplateData")?;
    let mut security_group_ids: Vec<String> = data.security_group_ids().to_vec();
    security_group_ids.sort();
    let instance_tags = data
        .tag_specifications()
        .iter()
        .filter(|spec| spec.resource_type() == Some(&ResourceType::Instance))
        .flat_map(|spec| spec.tags())
        // A tag without a value has an empty one, as EC2 stores it.
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value().unwrap_or_default().to_string())))
        .collect();
    Ok(TemplateVersion {
        number,
        description: version.version_description().map(str::to_string),
        data: TemplateData {
            image_id: call.required_str(data.image_id(), "ImageId")?,
            instance_type: call.required(data.instance_type(), "InstanceType")?.as_str().to_string(),
            security_group_ids,
            instance_profile: call.required_str(
                data.iam_instance_profile().and_then(|profile| profile.name()),
                "IamInstanceProfile.Name",
            )?,
            user_data: call.required_str(data.user_data(), "UserData")?,
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
    let call = Call::new("ec2:CreateLaunchTemplate", format!("launch template {name}"));
    let request = client
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
        .send();
    let output = call.send(request).await?;
    let template = call.required(output.launch_template(), "LaunchTemplate")?;
    Ok(LaunchTemplate {
        id: call.required_str(template.launch_template_id(), "LaunchTemplate.LaunchTemplateId")?,
        name: name.to_string(),
        latest_version: call.required(template.latest_version_number(), "LaunchTemplate.LatestVersionNumber")?,
        tags: tags.clone(),
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
    let call = Call::new("ec2:CreateLaunchTemplateVersion", format!("launch template {}", template.name));
    let request = client
        .create_launch_template_version()
        .launch_template_id(&template.id)
        .version_description(description)
        .launch_template_data(request_data(data))
        .send();
    let output = call.send(request).await?;
    call.required(
        output.launch_template_version().and_then(|version| version.version_number()),
        "LaunchTemplateVersion.VersionNumber",
    )
}

pub async fn delete(client: &Client, name: &str) -> Result<(), AwsError> {
    let call = Call::new("ec2:DeleteLaunchTemplate", format!("launch template {name}"));
    call.send_or_absent(client.delete_launch_template().launch_template_name(name).send()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsErrorKind;
    use aws_sdk_ec2::types::{LaunchTemplateIamInstanceProfileSpecification, ResponseLaunchTemplateData};

    fn answer(image_id: Option<&str>) -> aws_sdk_ec2::types::LaunchTemplateVersion {
        let data = ResponseLaunchTemplateData::builder()
            .set_image_id(image_id.map(str::to_string))
            .instance_type(InstanceType::from("t3.small"))
            .security_group_ids("sg-2")
            .security_group_ids("sg-1")
            .iam_instance_profile(LaunchTemplateIamInstanceProfileSpecification::builder().name("p").build())
            .user_data("IyE=")
            .build();
        aws_sdk_ec2::types::LaunchTemplateVersion::builder().version_number(3).launch_template_data(data).build()
    }

    #[test]
    fn a_version_without_its_image_is_malformed_not_an_empty_image() {
        let call = Call::new("ec2:DescribeLaunchTemplateVersions", "launch template lt-1");
        let error = convert_version(&call, &answer(None)).err();
        assert!(error.as_ref().is_some_and(|e| e.is(AwsErrorKind::Malformed)), "{error:?}");
        let text = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("launch template lt-1 version 3") && text.contains("`ImageId`"), "{text}");
    }

    #[test]
    fn a_complete_version_converts_with_sorted_groups() {
        let call = Call::new("ec2:DescribeLaunchTemplateVersions", "launch template lt-1");
        let version = convert_version(&call, &answer(Some("ami-1"))).ok();
        assert_eq!(
            version.as_ref().map(|v| v.data.security_group_ids.clone()),
            Some(vec!["sg-1".into(), "sg-2".into()])
        );
        assert_eq!(version.map(|v| v.data.image_id), Some("ami-1".into()));
    }
}
