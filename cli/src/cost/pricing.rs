//! The price table: AWS's on-demand prices for one region, with the date and
//! the pages they were read from. Built-in tables live in `pricing/` at the
//! repository root; `--live` builds the same table from the Price List API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CostError;

/// The region priced when neither `--region` nor the environment names one
/// (the local provider): the region the repository's environments use.
pub const DEFAULT_REGION: &str = "us-east-1";

const BUILTIN_TABLES: &[(&str, &str)] = &[("us-east-1", include_str!("../../../pricing/aws-us-east-1.yaml"))];

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    pub region: String,
    /// When the prices were read (the Price List's publication date for `--live`).
    pub date: String,
    pub currency: String,
    /// Where the prices come from: the pricing pages, or the Price List API.
    pub source: Vec<String>,
    /// AWS's pricing pages turn hourly rates into 730-hour months.
    pub hours_per_month: f64,
    pub msk: MskPrices,
    pub ec2: Ec2Prices,
    pub load_balancer: LoadBalancerPrices,
    pub data_transfer: DataTransferPrices,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MskPrices {
    /// Per broker-hour, by broker type (`kafka.m7g.large`).
    pub broker_hour: BTreeMap<String, f64>,
    pub storage_gb_month: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2Prices {
    /// Per instance-hour, Linux, shared tenancy, by instance type.
    pub instance_hour: BTreeMap<String, f64>,
    pub ebs_gp3_gb_month: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerPrices {
    pub hour: f64,
    pub lcu_hour: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DataTransferPrices {
    pub cross_az_gb_each_direction: f64,
}

/// Where an estimate's prices came from, as the report states it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriceOrigin {
    /// A price table in the repository (`pricing/aws-<region>.yaml`).
    Table,
    /// The AWS Price List API, asked by this run.
    Live,
}

impl PriceTable {
    /// The built-in table for `region`.
    pub fn builtin(region: &str) -> Result<PriceTable, CostError> {
        let Some((_, text)) = BUILTIN_TABLES.iter().find(|(name, _)| *name == region) else {
            return Err(CostError::NoPriceTable { region: region.to_string(), available: builtin_regions() });
        };
        PriceTable::parse(&format!("pricing/aws-{region}.yaml"), text)
    }

    pub fn parse(name: &str, text: &str) -> Result<PriceTable, CostError> {
        let table: PriceTable = serde_norway::from_str(text)
            .map_err(|err| CostError::MalformedTable { name: name.to_string(), message: err.to_string() })?;
        table.check(name)?;
        Ok(table)
    }

    /// A price is a non-negative finite number; a month has hours. A table
    /// that breaks this would make every figure wrong, so it is refused.
    fn check(&self, name: &str) -> Result<(), CostError> {
        let malformed = |message: String| CostError::MalformedTable { name: name.to_string(), message };
        if !self.hours_per_month.is_finite() || self.hours_per_month <= 0.0 {
            return Err(malformed(format!("hours_per_month is {}", self.hours_per_month)));
        }
        let named = [
            ("msk.storage_gb_month", self.msk.storage_gb_month),
            ("ec2.ebs_gp3_gb_month", self.ec2.ebs_gp3_gb_month),
            ("load_balancer.hour", self.load_balancer.hour),
            ("load_balancer.lcu_hour", self.load_balancer.lcu_hour),
            ("data_transfer.cross_az_gb_each_direction", self.data_transfer.cross_az_gb_each_direction),
        ];
        let keyed =
            self.msk.broker_hour.iter().chain(self.ec2.instance_hour.iter()).map(|(key, price)| (key.as_str(), *price));
        for (key, price) in named.into_iter().chain(keyed) {
            if !price.is_finite() || price < 0.0 {
                return Err(malformed(format!("{key} is {price}, not a price")));
            }
        }
        Ok(())
    }

    pub fn broker_hour(&self, broker_type: &str) -> Result<f64, CostError> {
        self.msk.broker_hour.get(broker_type).copied().ok_or_else(|| self.missing("MSK broker-hour", broker_type))
    }

    pub fn instance_hour(&self, instance_type: &str) -> Result<f64, CostError> {
        self.ec2
            .instance_hour
            .get(instance_type)
            .copied()
            .ok_or_else(|| self.missing("EC2 instance-hour", instance_type))
    }

    fn missing(&self, what: &'static str, key: &str) -> CostError {
        CostError::MissingPrice { region: self.region.clone(), date: self.date.clone(), what, key: key.to_string() }
    }
}

fn builtin_regions() -> String {
    BUILTIN_TABLES.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}
