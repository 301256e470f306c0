//! EC2: the network the brokers go in and the two security groups. A thin
//! adapter over aws-sdk-ec2 returning forgectl's own types.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, IpPermission, ResourceType, Tag, TagSpecification, UserIdGroupPair};
use aws_sdk_ec2::Client;
use serde::Serialize;

use super::call::Call;
use super::error::AwsError;
use crate::naming::{MANAGED_BY, TAG_ENV, TAG_MANAGED_BY, TAG_NAME};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub default_for_az: bool,
}

/// A security group and its inbound rules as AWS reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
    pub tags: BTreeMap<String, String>,
    pub ingress: Vec<IngressRule>,
}

impl SecurityGroup {
    /// Whether the group goes by `name`: its GroupName, which cannot change,
    /// or its `Name` tag, which forgectl sets on the groups it adopts.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.tags.get(TAG_NAME).is_some_and(|tag| tag == name)
    }
}

/// One inbound rule, one source per rule (AWS groups several per IpPermission).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IngressRule {
    /// `tcp`, `udp`, `icmp` or `-1` (everything).
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub source: RuleSource,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum RuleSource {
    Group(String),
    Cidr(String),
    Ipv6Cidr(String),
    PrefixList(String),
}

impl std::fmt::Display for IngressRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ports = match (self.from_port, self.to_port) {
            _ if self.protocol == "-1" => "all".to_string(),
            (Some(from), Some(to)) if from == to => from.to_string(),
            (Some(from), Some(to)) => format!("{from}-{to}"),
            _ => "all".to_string(),
        };
        let source = match &self.source {
            RuleSource::Group(id) | RuleSource::Cidr(id) | RuleSource::Ipv6Cidr(id) | RuleSource::PrefixList(id) => id,
        };
        write!(f, "{}/{ports} from {source}", self.protocol)
    }
}

pub(crate) fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// A tag without a value is a tag with an empty one: that is how EC2 stores it.
fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|tag| Some((tag.key()?.to_string(), tag.value().unwrap_or_default().to_string()))).collect()
}

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder().name(name).set_values(Some(values.iter().map(|v| v.to_string()).collect())).build()
}

/// DescribeSubnets for the configured subnets. A filter rather than
/// `SubnetIds`: a missing subnet is then simply absent from the answer and
/// the caller names it, instead of an error whose text varies.
pub async fn describe_subnets(client: &Client, ids: &[String]) -> Result<Vec<Subnet>, AwsError> {
    let ids_ref: Vec<&str> = ids.iter().map(String::as_str).collect();
    let call = Call::new("ec2:DescribeSubnets", format!("subnets {}", ids.join(", ")));
    let output = call.send(client.describe_subnets().filters(filter("subnet-id", &ids_ref)).send()).await?;
    output.subnets().iter().map(|subnet| convert_subnet(&call, subnet)).collect()
}

/// The default VPC's subnets, one per AZ (`default-for-az`), in one call.
pub async fn default_subnets(client: &Client) -> Result<Vec<Subnet>, AwsError> {
    let call = Call::new("ec2:DescribeSubnets", "the default VPC's subnets");
    let output = call.send(client.describe_subnets().filters(filter("default-for-az", &["true"])).send()).await?;
    output.subnets().iter().map(|subnet| convert_subnet(&call, subnet)).collect()
}

fn convert_subnet(call: &Call, subnet: &aws_sdk_ec2::types::Subnet) -> Result<Subnet, AwsError> {
    let id = call.required_str(subnet.subnet_id(), "Subnets[].SubnetId")?;
    let call = call.about(format!("subnet {id}"));
    Ok(Subnet {
        vpc_id: call.required_str(subnet.vpc_id(), "VpcId")?,
        availability_zone: call.required_str(subnet.availability_zone(), "AvailabilityZone")?,
        default_for_az: subnet.default_for_az().unwrap_or(false),
        id,
    })
}

/// Both of the environment's security groups in one call, found by tags.
pub async fn find_security_groups(client: &Client, env: &str) -> Result<Vec<SecurityGroup>, AwsError> {
    let call = Call::new("ec2:DescribeSecurityGroups", format!("security groups tagged {TAG_ENV}={env}"));
    let mut groups = Vec::new();
    let mut pages = client
        .describe_security_groups()
        .filters(filter(&format!("tag:{TAG_ENV}"), &[env]))
        .filters(filter(&format!("tag:{TAG_MANAGED_BY}"), &[MANAGED_BY]))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        for group in page.security_groups() {
            groups.push(convert_group(&call, group)?);
        }
    }
    Ok(groups)
}

/// The groups with these IDs, tagged or not (a cluster's, to adopt them).
/// A filter rather than `GroupIds`, like [`describe_subnets`]: a missing
/// group is absent from the answer, and the caller names it.
pub async fn describe_security_groups(client: &Client, ids: &[String]) -> Result<Vec<SecurityGroup>, AwsError> {
    let ids_ref: Vec<&str> = ids.iter().map(String::as_str).collect();
    let call = Call::new("ec2:DescribeSecurityGroups", format!("security groups {}", ids.join(", ")));
    let output = call.send(client.describe_security_groups().filters(filter("group-id", &ids_ref)).send()).await?;
    output.security_groups().iter().map(|group| convert_group(&call, group)).collect()
}

fn convert_group(call: &Call, group: &aws_sdk_ec2::types::SecurityGroup) -> Result<SecurityGroup, AwsError> {
    let id = call.required_str(group.group_id(), "SecurityGroups[].GroupId")?;
    let call = call.about(format!("security group {id}"));
    let mut ingress = Vec::new();
    for permission in group.ip_permissions() {
        let protocol = permission.ip_protocol().unwrap_or("-1").to_string();
        let rule = |source| IngressRule {
            protocol: protocol.clone(),
            from_port: permission.from_port(),
            to_port: permission.to_port(),
            source,
        };
        ingress.extend(
            permission
                .user_id_group_pairs()
                .iter()
                .filter_map(|pair| pair.group_id())
                .map(|id| rule(RuleSource::Group(id.into()))),
        );
        ingress.extend(
            permission
                .ip_ranges()
                .iter()
                .filter_map(|range| range.cidr_ip())
                .map(|cidr| rule(RuleSource::Cidr(cidr.into()))),
        );
        ingress.extend(
            permission
                .ipv6_ranges()
                .iter()
                .filter_map(|range| range.cidr_ipv6())
                .map(|cidr| rule(RuleSource::Ipv6Cidr(cidr.into()))),
        );
        ingress.extend(
            permission
                .prefix_list_ids()
                .iter()
                .filter_map(|list| list.prefix_list_id())
                .map(|id| rule(RuleSource::PrefixList(id.into()))),
        );
    }
    ingress.sort();
    Ok(SecurityGroup {
        name: call.required_str(group.group_name(), "GroupName")?,
        vpc_id: call.required_str(group.vpc_id(), "VpcId")?,
        id,
        tags: tag_map(group.tags()),
        ingress,
    })
}

/// CreateSecurityGroup with its tags in the same call, so that a group
/// never exists untagged (and so unfindable) if the run stops right after.
pub async fn create_security_group(
    client: &Client,
    name: &str,
    description: &str,
    vpc_id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    let call = Call::new("ec2:CreateSecurityGroup", format!("security group {name} in {vpc_id}"));
    let request = client
        .create_security_group()
        .group_name(name)
        .description(description)
        .vpc_id(vpc_id)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .set_tags(Some(ec2_tags(tags)))
                .build(),
        )
        .send();
    let output = call.send(request).await?;
    call.required_str(output.group_id(), "GroupId")
}

fn tcp_from_group(port: i32, source_group: &str, description: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(source_group).description(description).build())
        .build()
}

/// Opens each port over TCP to members of `source_group` only.
pub async fn authorize_ingress(
    client: &Client,
    group: (&str, &str),
    ports: &[u16],
    source_group: &str,
) -> Result<(), AwsError> {
    let (group_id, group_name) = group;
    let permissions =
        ports.iter().map(|port| tcp_from_group(i32::from(*port), source_group, "Kafka clients (forgectl)")).collect();
    authorize(client, (group_id, group_name), permissions).await
}

async fn authorize(client: &Client, group: (&str, &str), permissions: Vec<IpPermission>) -> Result<(), AwsError> {
    let (group_id, group_name) = group;
    let call = Call::new("ec2:AuthorizeSecurityGroupIngress", format!("security group {group_name}"));
    call.send(
        client.authorize_security_group_ingress().group_id(group_id).set_ip_permissions(Some(permissions)).send(),
    )
    .await?;
    Ok(())
}

/// Opens one TCP port to each source (groups or IPv4 ranges), with a
/// description that says who the rule is for.
pub async fn authorize_tcp(
    client: &Client,
    group: (&str, &str),
    port: u16,
    sources: &[RuleSource],
    description: &str,
) -> Result<(), AwsError> {
    let (group_id, group_name) = group;
    let mut permission = IpPermission::builder().ip_protocol("tcp").from_port(i32::from(port)).to_port(i32::from(port));
    for source in sources {
        permission = match source {
            RuleSource::Group(id) => {
                permission.user_id_group_pairs(UserIdGroupPair::builder().group_id(id).description(description).build())
            }
            RuleSource::Cidr(cidr) => permission
                .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip(cidr).description(description).build()),
            RuleSource::Ipv6Cidr(cidr) => permission
                .ipv6_ranges(aws_sdk_ec2::types::Ipv6Range::builder().cidr_ipv6(cidr).description(description).build()),
            RuleSource::PrefixList(id) => permission.prefix_list_ids(
                aws_sdk_ec2::types::PrefixListId::builder().prefix_list_id(id).description(description).build(),
            ),
        };
    }
    authorize(client, (group_id, group_name), vec![permission.build()]).await
}

pub async fn revoke_ingress(client: &Client, group: (&str, &str), rules: &[IngressRule]) -> Result<(), AwsError> {
    let (group_id, group_name) = group;
    let permissions = rules
        .iter()
        .map(|rule| {
            let builder = IpPermission::builder()
                .ip_protocol(&rule.protocol)
                .set_from_port(rule.from_port)
                .set_to_port(rule.to_port);
            match &rule.source {
                RuleSource::Group(id) => builder.user_id_group_pairs(UserIdGroupPair::builder().group_id(id).build()),
                RuleSource::Cidr(cidr) => {
                    builder.ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip(cidr).build())
                }
                RuleSource::Ipv6Cidr(cidr) => {
                    builder.ipv6_ranges(aws_sdk_ec2::types::Ipv6Range::builder().cidr_ipv6(cidr).build())
                }
                RuleSource::PrefixList(id) => {
                    builder.prefix_list_ids(aws_sdk_ec2::types::PrefixListId::builder().prefix_list_id(id).build())
                }
            }
            .build()
        })
        .collect();
    let call = Call::new("ec2:RevokeSecurityGroupIngress", format!("security group {group_name}"));
    call.send(client.revoke_security_group_ingress().group_id(group_id).set_ip_permissions(Some(permissions)).send())
        .await?;
    Ok(())
}

/// CreateTags: sets these tags, leaves others (cost allocation…) alone.
pub async fn tag(client: &Client, resource_id: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let call = Call::new("ec2:CreateTags", resource_id);
    call.send(client.create_tags().resources(resource_id).set_tags(Some(ec2_tags(tags))).send()).await?;
    Ok(())
}

pub async fn delete_security_group(client: &Client, group: &SecurityGroup) -> Result<(), AwsError> {
    let call = Call::new("ec2:DeleteSecurityGroup", format!("security group {} ({})", group.name, group.id));
    call.send(client.delete_security_group().group_id(&group.id).send()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsErrorKind;

    #[test]
    fn a_security_group_without_its_vpc_is_malformed_not_empty() {
        let call = Call::new("ec2:DescribeSecurityGroups", "security groups tagged forgectl:env=dev");
        let answer = aws_sdk_ec2::types::SecurityGroup::builder().group_id("sg-1").group_name("dev-brokers").build();
        let error = convert_group(&call, &answer).err();
        assert!(error.as_ref().is_some_and(|e| e.is(AwsErrorKind::Malformed)), "{error:?}");
        let text = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("security group sg-1") && text.contains("`VpcId`"), "{text}");
    }

    #[test]
    fn a_complete_security_group_converts() {
        let call = Call::new("ec2:DescribeSecurityGroups", "security groups");
        let answer = aws_sdk_ec2::types::SecurityGroup::builder()
            .group_id("sg-1")
            .group_name("dev-brokers")
            .vpc_id("vpc-1")
            .tags(Tag::builder().key("forgectl:env").value("dev").build())
            .build();
        let group = convert_group(&call, &answer).ok();
        assert_eq!(group.as_ref().map(|g| g.vpc_id.as_str()), Some("vpc-1"));
        assert_eq!(group.and_then(|g| g.tags.get("forgectl:env").cloned()).as_deref(), Some("dev"));
    }
}
