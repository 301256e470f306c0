//! What AWS holds for an environment, gathered by the adapters in `aws/`,
//! and the choice of network, which depends only on what EC2 reported.

use serde::Serialize;

use crate::aws::ec2::{SecurityGroup, Subnet};
use crate::aws::msk::MskCluster;
use crate::aws::msk_config::MskConfiguration;

use super::error::ControlPlaneError;
use super::scram::ScramActual;
use crate::naming::Names;

#[derive(Debug, Clone, Serialize)]
pub struct Actual {
    pub network: Network,
    pub client_sg: Option<SecurityGroup>,
    pub broker_sg: Option<SecurityGroup>,
    pub configuration: Option<MskConfiguration>,
    /// The cluster with the environment's name, whoever owns it: the
    /// planner refuses to touch one forgectl's tags do not mark.
    pub cluster: Option<MskCluster>,
    /// `client_auth: sasl-scram`: the key, the secret, the association.
    pub scram: ScramActual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Network {
    pub vpc_id: String,
    /// One per AZ, in AZ order.
    pub subnets: Vec<Subnet>,
    pub source: NetworkSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkSource {
    /// `subnets` from the environment.
    Configured,
    /// Nothing configured: the region's default VPC, one subnet per AZ.
    DefaultVpc,
}

impl Network {
    pub fn subnet_ids(&self) -> Vec<String> {
        self.subnets.iter().map(|subnet| subnet.id.clone()).collect()
    }

    pub fn describe(&self) -> String {
        let subnets = self
            .subnets
            .iter()
            .map(|subnet| format!("{} ({})", subnet.id, subnet.availability_zone))
            .collect::<Vec<_>>()
            .join(", ");
        match self.source {
            NetworkSource::Configured => {
                format!("configured subnets in {}: {subnets}", self.vpc_id)
            }
            NetworkSource::DefaultVpc => {
                format!("no VPC or subnets configured: the default VPC {}, one subnet per AZ: {subnets}", self.vpc_id)
            }
        }
    }
}

/// Checks the environment's subnets as EC2 describes them: all found, all
/// in one VPC (the configured one, if any), each in its own AZ.
pub fn configured_network(
    requested: &[String],
    vpc_id: Option<&str>,
    found: Vec<Subnet>,
) -> Result<Network, ControlPlaneError> {
    let bad = |message: String, hint: &str| ControlPlaneError::Network { message, hint: hint.to_string() };
    if let Some(missing) = requested.iter().find(|id| !found.iter().any(|subnet| &subnet.id == *id)) {
        return Err(bad(
            format!("subnet {missing} does not exist in this region"),
            "check the subnet IDs and --region",
        ));
    }
    let mut subnets: Vec<Subnet> =
        requested.iter().filter_map(|id| found.iter().find(|subnet| &subnet.id == id).cloned()).collect();
    let vpc = match vpc_id {
        Some(vpc) => vpc.to_string(),
        None => subnets.first().map(|subnet| subnet.vpc_id.clone()).unwrap_or_default(),
    };
    if let Some(stray) = subnets.iter().find(|subnet| subnet.vpc_id != vpc) {
        return Err(bad(
            format!("subnet {} is in {}, not in {vpc} like the others", stray.id, stray.vpc_id),
            "all client subnets must be in one VPC (the environment's vpc_id, if set)",
        ));
    }
    subnets.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone));
    if let Some(pair) = subnets.windows(2).find(|pair| pair[0].availability_zone == pair[1].availability_zone) {
        return Err(bad(
            format!("subnets {} and {} are both in {}", pair[0].id, pair[1].id, pair[0].availability_zone),
            "MSK needs each client subnet in a different AZ",
        ));
    }
    Ok(Network { vpc_id: vpc, subnets, source: NetworkSource::Configured })
}

/// Picks `zones` default subnets in distinct AZs, first AZs by name, so
/// every run on every machine picks the same ones.
pub fn default_network(found: Vec<Subnet>, zones: u32) -> Result<Network, ControlPlaneError> {
    let mut subnets: Vec<Subnet> = found.into_iter().filter(|subnet| subnet.default_for_az).collect();
    subnets.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone).then(a.id.cmp(&b.id)));
    subnets.dedup_by(|a, b| a.availability_zone == b.availability_zone);
    let Some(vpc_id) = subnets.first().map(|subnet| subnet.vpc_id.clone()) else {
        return Err(ControlPlaneError::Network {
            message: "no VPC or subnets are configured and the region has no default VPC".into(),
            hint: "set vpc_id and subnets (one per AZ) in the environment".into(),
        });
    };
    let wanted = zones as usize;
    if subnets.len() < wanted {
        return Err(ControlPlaneError::Network {
            message: format!("the default VPC {vpc_id} has subnets in {} AZs; the tier needs {wanted}", subnets.len()),
            hint: "configure subnets in enough AZs, or pick a region with more AZs".into(),
        });
    }
    subnets.truncate(wanted);
    Ok(Network { vpc_id, subnets, source: NetworkSource::DefaultVpc })
}

/// Sorts the tagged groups into the environment's two. A group is known by
/// its GroupName or its `Name` tag (an adopted group keeps the runbook's
/// GroupName and gets forgectl's `Name` tag). Among candidates, the broker
/// group the cluster is attached to comes first, then the copy in the
/// network's VPC should an old one linger elsewhere, then a GroupName match.
pub fn pick_groups(
    groups: Vec<SecurityGroup>,
    names: &Names,
    vpc_id: Option<&str>,
    attached: &[String],
) -> (Option<SecurityGroup>, Option<SecurityGroup>) {
    let pick = |name: &str| {
        let mut candidates: Vec<&SecurityGroup> = groups.iter().filter(|group| group.is_named(name)).collect();
        candidates.sort_by_key(|group| {
            (!attached.contains(&group.id), Some(group.vpc_id.as_str()) != vpc_id, group.name != name)
        });
        candidates.first().map(|group| (*group).clone())
    };
    (pick(&names.client_sg), pick(&names.broker_sg))
}
