//! The estimate: a tier, its instance size, a price table and the workload's
//! traffic in; bill lines at the ladder's min and max out. Pure: the tests
//! check it against figures computed by hand.

use serde::Serialize;

use super::model::{Traffic, Workload};
use super::pricing::{PriceOrigin, PriceTable};
use super::CostError;
use crate::config::InstanceSize;
use crate::profile::Profile;

/// Deploy's launch template keeps the AMI's root volume: Amazon Linux 2023's
/// is 8 GiB of gp3.
pub const ROOT_VOLUME_GB: f64 = 8.0;
/// One ALB capacity unit (LCU) covers 25 new connections per second, or 1 GB
/// processed per hour (EC2 targets); the hour bills the larger dimension.
/// Every upload is assumed to open its own connection (mobile clients upload
/// a few times an hour, long after keep-alive ends).
const NEW_CONNECTIONS_PER_LCU: f64 = 25.0;
const PROCESSED_GB_PER_LCU: f64 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Msk,
    Ec2,
    LoadBalancer,
    DataTransfer,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Msk => "MSK",
            Category::Ec2 => "EC2",
            Category::LoadBalancer => "load balancer",
            Category::DataTransfer => "data transfer",
        }
    }
}

/// One item of the monthly bill. `quantity_*` is in `unit`; the monthly
/// figures are `quantity × unit_price`, rounded to cents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    pub category: Category,
    pub item: String,
    pub unit: &'static str,
    pub unit_price: f64,
    pub quantity_min: f64,
    pub quantity_max: f64,
    pub monthly_min: f64,
    pub monthly_max: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEstimate {
    pub tier: String,
    pub dau: u64,
    pub india: bool,
    pub region: String,
    pub instance_size: InstanceSize,
    pub currency: String,
    pub prices: PriceOrigin,
    pub price_date: String,
    pub price_source: Vec<String>,
    pub hours_per_month: f64,
    pub traffic: Traffic,
    pub lines: Vec<CostLine>,
    /// Every role at its ladder minimum / maximum; the sum of the lines' cents.
    pub monthly_min: f64,
    pub monthly_max: f64,
    /// What the estimate leaves out, so nobody reads it as the whole bill.
    pub not_counted: Vec<&'static str>,
}

const NOT_COUNTED: &[&str] = &[
    "traffic between the consumers and PostgreSQL/MongoDB (where the databases run is not forgectl's)",
    "CloudWatch (MSK PER_BROKER metrics, alarms), SSM parameters, ECR image storage",
    "responses to the SDK (a few bytes per upload) and data transfer out to the internet",
    "Savings Plans, Reserved Instances, free tier and taxes",
];

pub fn estimate(
    profile: &Profile,
    instance_size: InstanceSize,
    prices: &PriceTable,
    origin: PriceOrigin,
    workload: &Workload,
) -> Result<CostEstimate, CostError> {
    let hours = prices.hours_per_month;
    let traffic = workload.traffic(profile, hours);
    let mut lines = Vec::new();

    let kafka = &profile.kafka;
    let brokers = f64::from(kafka.brokers);
    let broker_hours = brokers * hours;
    lines.push(line(
        Category::Msk,
        format!("brokers: {} × {}", kafka.brokers, kafka.broker_type),
        "broker-hours",
        prices.broker_hour(&kafka.broker_type)?,
        (broker_hours, broker_hours),
        None,
    ));
    let storage = brokers * f64::from(kafka.ebs_volume_gib);
    lines.push(line(
        Category::Msk,
        format!("broker storage: {} × {} GB", kafka.brokers, kafka.ebs_volume_gib),
        "GB-months",
        prices.msk.storage_gb_month,
        (storage, storage),
        None,
    ));

    let (mut instances_min, mut instances_max) = (0.0, 0.0);
    for role in &profile.roles {
        let instance_type = match instance_size {
            InstanceSize::Dev => &role.instance_types.dev,
            InstanceSize::Production => &role.instance_types.production,
        };
        let (min, max) = (f64::from(role.min), f64::from(role.max));
        instances_min += min;
        instances_max += max;
        lines.push(line(
            Category::Ec2,
            format!("{}: {}–{} × {instance_type}", role.name, role.min, role.max),
            "instance-hours",
            prices.instance_hour(instance_type)?,
            (min * hours, max * hours),
            None,
        ));
    }
    lines.push(line(
        Category::Ec2,
        format!("root volumes: {ROOT_VOLUME_GB} GB gp3 per instance"),
        "GB-months",
        prices.ec2.ebs_gp3_gb_month,
        (instances_min * ROOT_VOLUME_GB, instances_max * ROOT_VOLUME_GB),
        None,
    ));

    lines.push(line(
        Category::LoadBalancer,
        "application load balancer".into(),
        "hours",
        prices.load_balancer.hour,
        (hours, hours),
        None,
    ));
    let lcus = average_lcus(&traffic);
    lines.push(line(
        Category::LoadBalancer,
        format!("capacity units: {lcus:.3} in an average hour"),
        "LCU-hours",
        prices.load_balancer.lcu_hour,
        (lcus * hours, lcus * hours),
        Some(format!(
            "the larger of new connections ({:.1}/s ÷ {NEW_CONNECTIONS_PER_LCU}) and processed bytes ({:.3} GB/h ÷ {PROCESSED_GB_PER_LCU})",
            traffic.uploads_per_second_average, traffic.gb_per_hour_average
        )),
    ));

    lines.push(line(
        Category::DataTransfer,
        "uploads from the internet to the load balancer".into(),
        "GB",
        0.0,
        (traffic.gb_per_month, traffic.gb_per_month),
        Some("data in from the internet is free".into()),
    ));
    let zones = f64::from(kafka.zones.max(1));
    let cross_az_share = (zones - 1.0) / zones;
    let cross_az = traffic.gb_per_month * cross_az_share;
    let cross_az_price = 2.0 * prices.data_transfer.cross_az_gb_each_direction;
    let cross_az_note = format!(
        "clients spread over {} AZs reach a leader in another AZ for {:.0}% of the bytes; billed out and in",
        kafka.zones,
        cross_az_share * 100.0
    );
    lines.push(line(
        Category::DataTransfer,
        "producers → brokers across AZs".into(),
        "GB",
        cross_az_price,
        (cross_az, cross_az),
        Some(cross_az_note.clone()),
    ));
    lines.push(line(
        Category::DataTransfer,
        "brokers → consumers across AZs".into(),
        "GB",
        cross_az_price,
        (cross_az, cross_az),
        Some(cross_az_note),
    ));
    lines.push(line(
        Category::DataTransfer,
        "replication between brokers".into(),
        "GB",
        0.0,
        (traffic.replication_gb_per_month, traffic.replication_gb_per_month),
        Some("MSK does not charge for data transfer between its brokers".into()),
    ));

    let monthly_min = round_cents(lines.iter().map(|line| line.monthly_min).sum());
    let monthly_max = round_cents(lines.iter().map(|line| line.monthly_max).sum());
    Ok(CostEstimate {
        tier: profile.tier.clone(),
        dau: profile.dau,
        india: profile.india,
        region: prices.region.clone(),
        instance_size,
        currency: prices.currency.clone(),
        prices: origin,
        price_date: prices.date.clone(),
        price_source: prices.source.clone(),
        hours_per_month: hours,
        traffic,
        lines,
        monthly_min,
        monthly_max,
        not_counted: NOT_COUNTED.to_vec(),
    })
}

/// The ALB bills each hour's largest dimension. Both counted dimensions
/// scale with the traffic, so the month's LCU-hours are the average hour's
/// LCUs × hours, whatever the daily curve. Active connections and rule
/// evaluations (one listener rule) stay far below these two.
fn average_lcus(traffic: &Traffic) -> f64 {
    let connections = traffic.uploads_per_second_average / NEW_CONNECTIONS_PER_LCU;
    let processed = traffic.gb_per_hour_average / PROCESSED_GB_PER_LCU;
    connections.max(processed)
}

fn line(
    category: Category,
    item: String,
    unit: &'static str,
    unit_price: f64,
    (quantity_min, quantity_max): (f64, f64),
    note: Option<String>,
) -> CostLine {
    CostLine {
        category,
        item,
        unit,
        unit_price,
        quantity_min,
        quantity_max,
        monthly_min: round_cents(quantity_min * unit_price),
        monthly_max: round_cents(quantity_max * unit_price),
        note,
    }
}

/// Half a cent rounds away from zero, as exact decimal arithmetic would.
/// Prices like 0.1785 have no exact binary form, so 730 × 0.1785 may land a
/// hair below 130.305; the relative nudge (far above f64's error, far below
/// a cent on any bill) puts such ties back where the decimal figure is.
pub fn round_cents(amount: f64) -> f64 {
    const TIE_NUDGE: f64 = 1e-9;
    amount.signum() * (amount.abs() * 100.0 * (1.0 + TIE_NUDGE)).round() / 100.0
}

/// What a tier change does to the monthly bill, like Infracost's diff: the
/// environment's tier before, the requested one after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostDelta {
    pub from_tier: String,
    pub to_tier: String,
    pub region: String,
    pub currency: String,
    pub price_date: String,
    pub before_min: f64,
    pub before_max: f64,
    pub after_min: f64,
    pub after_max: f64,
    pub change_min: f64,
    pub change_max: f64,
}

impl CostDelta {
    pub fn between(before: &CostEstimate, after: &CostEstimate) -> CostDelta {
        CostDelta {
            from_tier: before.tier.clone(),
            to_tier: after.tier.clone(),
            region: after.region.clone(),
            currency: after.currency.clone(),
            price_date: after.price_date.clone(),
            before_min: before.monthly_min,
            before_max: before.monthly_max,
            after_min: after.monthly_min,
            after_max: after.monthly_max,
            change_min: round_cents(after.monthly_min - before.monthly_min),
            change_max: round_cents(after.monthly_max - before.monthly_max),
        }
    }
}
