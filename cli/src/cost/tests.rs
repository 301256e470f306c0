//! The estimate against figures computed by hand from the built-in price
//! table (us-east-1, 730-hour months) and workload v1. Per DAU and day the
//! workload sends 49 uploads and 461,384 record bytes
//! (4×100×350 + 40×25×250 + 2×1×8192 + 1×200×200 + 2×50×150).
//!
//! Per line, production sizes (c7i.xlarge at $0.1785/h):
//! - brokers: n × 730 × 0.204; storage: n × GB × 0.10
//! - each role: count × 730 × 0.1785 = count × 130.305 (a tie: 130.31)
//! - root volumes: instances × 8 × 0.08
//! - ALB: 730 × 0.0225 = 16.425 → 16.43
//! - LCUs: new connections win: DAU × 49 / 86,400 / 25 per hour, × 730 × 0.008
//! - cross-AZ (each of two lines): DAU × 461,384 × 730/24 / 2^30 GiB × 2/3 × 0.02

use super::live::{live_table, parse_on_demand, Needs, PriceList};
use super::*;
use crate::config::InstanceSize;
use crate::profile::{load_tier, ProfileSource, ResolveOptions};

fn priced(tier: &str, india: bool, size: InstanceSize) -> CostEstimate {
    let profile = load_tier(&ProfileSource::Builtin, tier, ResolveOptions { india }).unwrap();
    let table = PriceTable::builtin("us-east-1").unwrap();
    estimate(&profile, size, &table, PriceOrigin::Table, &Workload::builtin().unwrap()).unwrap()
}

fn monthly(estimate: &CostEstimate, item_starts: &str) -> (f64, f64) {
    let line = estimate.lines.iter().find(|line| line.item.starts_with(item_starts)).unwrap();
    (line.monthly_min, line.monthly_max)
}

/// Hand-computed figures per tier: brokers, storage, the four roles at min
/// and max, root volumes min/max, LCUs, one cross-AZ line, totals.
struct Expected {
    tier: &'static str,
    brokers: f64,
    storage: f64,
    roles: [(f64, f64); 4],
    root: (f64, f64),
    lcus: f64,
    cross_az: f64,
    total: (f64, f64),
}

const EXPECTED: [Expected; 5] = [
    // 3 brokers × 730 × 0.204 = 446.76; 3 × 100 × 0.10 = 30.
    // Roles 1–3, 1–4, 1–2, 1–2: 130.31 / 390.915 → 390.92 / 521.22 / 260.61.
    // Root: 4 × 0.64 = 2.56, 11 × 0.64 = 7.04.
    // LCUs: 25,000 × 49 / 2,160,000 = 0.567130 × 5.84 = 3.312 → 3.31.
    // Cross-AZ: 326.75 GiB × 2/3 × 0.02 = 4.357 → 4.36.
    // Total min: 446.76 + 30 + 4 × 130.31 + 2.56 + 16.43 + 3.31 + 2 × 4.36 = 1029.02.
    Expected {
        tier: "25k",
        brokers: 446.76,
        storage: 30.0,
        roles: [(130.31, 390.92), (130.31, 521.22), (130.31, 260.61), (130.31, 260.61)],
        root: (2.56, 7.04),
        lcus: 3.31,
        cross_az: 4.36,
        total: (1029.02, 1945.62),
    },
    // Roles 2–5, 2–8, 1–5, 1–5: 2 × 130.305 = 260.61, 5 × = 651.525 → 651.53, 8 × = 1042.44.
    // Root 6 × 0.64 = 3.84, 23 × 0.64 = 14.72. LCUs 1.134259 × 5.84 = 6.624 → 6.62.
    // Cross-AZ 653.50 GiB × 2/3 × 0.02 = 8.713 → 8.71.
    Expected {
        tier: "50k",
        brokers: 446.76,
        storage: 30.0,
        roles: [(260.61, 651.53), (260.61, 1042.44), (130.31, 651.53), (130.31, 651.53)],
        root: (3.84, 14.72),
        lcus: 6.62,
        cross_az: 8.71,
        total: (1302.91, 3528.98),
    },
    // Roles 3–7, 3–12, 2–7, 2–7: 390.915 → 390.92, 7 × = 912.135 → 912.14, 12 × = 1563.66.
    // Root 10 × 0.64 = 6.40, 33 × 0.64 = 21.12. LCUs 1.701389 × 5.84 = 9.936 → 9.94.
    // Cross-AZ 980.25 GiB → 13.07.
    Expected {
        tier: "75k",
        brokers: 446.76,
        storage: 30.0,
        roles: [(390.92, 912.14), (390.92, 1563.66), (260.61, 912.14), (260.61, 912.14)],
        root: (6.40, 21.12),
        lcus: 9.94,
        cross_az: 13.07,
        total: (1838.73, 4850.47),
    },
    // 6 brokers: 893.52; 6 × 100 × 0.10 = 60.
    // Roles 4–10, 4–16, 3–10, 3–10: 521.22, 1303.05, 2084.88, 390.915 → 390.92.
    // Root 14 × 0.64 = 8.96, 46 × 0.64 = 29.44. LCUs 2.268519 × 5.84 = 13.248 → 13.25.
    // Cross-AZ 1307.00 GiB × 2/3 × 0.02 = 17.427 → 17.43.
    Expected {
        tier: "100k",
        brokers: 893.52,
        storage: 60.0,
        roles: [(521.22, 1303.05), (521.22, 2084.88), (390.92, 1303.05), (390.92, 1303.05)],
        root: (8.96, 29.44),
        lcus: 13.25,
        cross_az: 17.43,
        total: (2851.30, 7041.53),
    },
    // 6 brokers of 200 GB: 6 × 200 × 0.10 = 120.
    // Roles 8–20, 8–16, 6–20, 6–10: 1042.44, 2606.10, 781.83.
    // Root 28 × 0.64 = 17.92, 66 × 0.64 = 42.24. LCUs 4.537037 × 5.84 = 26.496 → 26.50.
    // Cross-AZ 2613.99 GiB × 2/3 × 0.02 = 34.853 → 34.85.
    Expected {
        tier: "200k",
        brokers: 893.52,
        storage: 120.0,
        roles: [(1042.44, 2606.10), (1042.44, 2084.88), (781.83, 2606.10), (781.83, 1303.05)],
        root: (17.92, 42.24),
        lcus: 26.50,
        cross_az: 34.85,
        total: (4792.61, 9768.52),
    },
];

#[test]
fn every_tier_matches_the_hand_computed_bill() {
    for expected in &EXPECTED {
        let estimate = priced(expected.tier, false, InstanceSize::Production);
        let tier = expected.tier;
        assert_eq!(monthly(&estimate, "brokers"), (expected.brokers, expected.brokers), "{tier} brokers");
        assert_eq!(monthly(&estimate, "broker storage"), (expected.storage, expected.storage), "{tier} storage");
        for (role, figures) in
            ["producer", "sms-consumer", "events-consumer", "common-consumer"].iter().zip(expected.roles)
        {
            assert_eq!(monthly(&estimate, &format!("{role}:")), figures, "{tier} {role}");
        }
        assert_eq!(monthly(&estimate, "root volumes"), expected.root, "{tier} root volumes");
        assert_eq!(monthly(&estimate, "application load balancer"), (16.43, 16.43), "{tier} ALB hours");
        assert_eq!(monthly(&estimate, "capacity units"), (expected.lcus, expected.lcus), "{tier} LCUs");
        assert_eq!(monthly(&estimate, "producers → brokers"), (expected.cross_az, expected.cross_az), "{tier}");
        assert_eq!(monthly(&estimate, "brokers → consumers"), (expected.cross_az, expected.cross_az), "{tier}");
        assert_eq!(monthly(&estimate, "replication"), (0.0, 0.0), "{tier} replication is free on MSK");
        assert_eq!(monthly(&estimate, "uploads from the internet"), (0.0, 0.0), "{tier} data in is free");
        assert_eq!((estimate.monthly_min, estimate.monthly_max), expected.total, "{tier} totals");
    }
}

#[test]
fn traffic_and_replication_follow_the_workload() {
    let estimate = priced("100k", false, InstanceSize::Production);
    // 100,000 × 49 / 86,400 = 56.713 uploads/s, × 3 at peak = 170.139.
    assert!((estimate.traffic.uploads_per_second_average - 56.712_963).abs() < 1e-6);
    assert!((estimate.traffic.uploads_per_second_peak - 170.138_889).abs() < 1e-6);
    // RF 3: twice the written bytes cross between brokers.
    assert!((estimate.traffic.replication_gb_per_month - 2.0 * estimate.traffic.gb_per_month).abs() < 1e-9);
}

#[test]
fn india_drops_the_excluded_kinds_traffic() {
    // 50k, India: 46 uploads and 406,384 bytes per DAU and day (no contacts, no call logs).
    // LCUs 50,000 × 46 / 2,160,000 = 1.064815 × 5.84 = 6.219 → 6.22.
    // Cross-AZ 50,000 × 406,384 × 730/24 / 2^30 = 575.597 GiB × 2/3 × 0.02 = 7.6746 → 7.67.
    let estimate = priced("50k", true, InstanceSize::Production);
    assert_eq!(monthly(&estimate, "capacity units"), (6.22, 6.22));
    assert_eq!(monthly(&estimate, "producers → brokers"), (7.67, 7.67));
}

#[test]
fn dev_size_prices_the_runbooks_small_instances() {
    // 25k with t3.small ($0.0208/h): 730 × 0.0208 = 15.184 → 15.18 per instance; max 3 × = 45.552 → 45.55.
    let estimate = priced("25k", false, InstanceSize::Dev);
    assert_eq!(monthly(&estimate, "producer:"), (15.18, 45.55));
}

#[test]
fn tier_change_is_after_minus_before() {
    let before = priced("50k", false, InstanceSize::Production);
    let after = priced("100k", false, InstanceSize::Production);
    let delta = CostDelta::between(&before, &after);
    // 2851.30 − 1302.91 = 1548.39; 7041.53 − 3528.98 = 3512.55.
    assert_eq!((delta.change_min, delta.change_max), (1548.39, 3512.55));
    let back = CostDelta::between(&after, &before);
    assert_eq!((back.change_min, back.change_max), (-1548.39, -3512.55));
}

#[test]
fn an_unpriced_type_or_region_is_a_usage_error() {
    let err = PriceTable::builtin("eu-north-1").unwrap_err();
    assert!(matches!(err, CostError::NoPriceTable { .. }));
    assert_eq!(err.exit(), crate::exit::Exit::Usage);
    let table = PriceTable::builtin("us-east-1").unwrap();
    let err = table.instance_hour("x9.huge").unwrap_err();
    assert!(err.to_string().contains("x9.huge"), "{err}");
    assert_eq!(err.exit(), crate::exit::Exit::Usage);
}

#[test]
fn a_negative_price_is_refused() {
    let text = include_str!("../../../pricing/aws-us-east-1.yaml").replace("lcu_hour: 0.008", "lcu_hour: -0.008");
    let err = PriceTable::parse("test.yaml", &text).unwrap_err();
    assert!(err.to_string().contains("lcu_hour"), "{err}");
}

/// The shape of a GetProducts document, written from the Price List API's
/// documentation (product, terms.OnDemand.<offer>.priceDimensions.<rate>).
fn document(service: &str, sku: &str, attributes: &[(&str, &str)], unit: &str, usd: &str) -> String {
    let attributes: serde_json::Map<String, serde_json::Value> =
        attributes.iter().map(|(key, value)| (key.to_string(), serde_json::Value::from(*value))).collect();
    serde_json::json!({
        "product": {"productFamily": "Compute Instance", "attributes": attributes, "sku": sku},
        "serviceCode": service,
        "terms": {"OnDemand": {format!("{sku}.JRTCKXETXF"): {
            "priceDimensions": {format!("{sku}.JRTCKXETXF.6YS6EN2CT7"): {
                "unit": unit, "endRange": "Inf", "description": "recorded shape", "appliesTo": [],
                "rateCode": format!("{sku}.JRTCKXETXF.6YS6EN2CT7"), "beginRange": "0",
                "pricePerUnit": {"USD": usd}
            }},
            "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF", "termAttributes": {}
        }}},
        "version": "20261115000000",
        "publicationDate": "2026-11-15T00:00:00Z"
    })
    .to_string()
}

#[test]
fn a_price_document_parses_to_its_on_demand_price() {
    let text = document(
        "AmazonEC2",
        "SKU1",
        &[("instanceType", "c7i.xlarge"), ("usagetype", "BoxUsage:c7i.xlarge")],
        "Hrs",
        "0.1785000000",
    );
    let prices = parse_on_demand("AmazonEC2", &text).unwrap();
    assert_eq!(prices.len(), 1);
    assert_eq!(prices[0].usd, 0.1785);
    assert_eq!(prices[0].unit, "Hrs");
    assert_eq!(prices[0].usage_type.as_deref(), Some("BoxUsage:c7i.xlarge"));
    let no_usd = text.replace("\"USD\"", "\"CNY\"");
    assert!(matches!(parse_on_demand("AmazonEC2", &no_usd), Err(CostError::PriceListMalformed { .. })));
}

/// A recorded Price List: one answer per service, filters checked loosely.
struct RecordedPriceList;

impl PriceList for RecordedPriceList {
    async fn products(&self, service_code: &str, filters: &[(&str, &str)]) -> Result<Vec<String>, CostError> {
        let filter = |name: &str| filters.iter().find(|(field, _)| *field == name).map(|(_, value)| *value);
        Ok(match service_code {
            "AmazonMSK" => vec![
                document(
                    service_code,
                    "M1",
                    &[("instanceType", "kafka.m7g.large"), ("usagetype", "USE1-Kafka.m7g.large")],
                    "Hrs",
                    "0.2040000000",
                ),
                document(service_code, "M2", &[("usagetype", "USE1-Kafka.Storage.GP2")], "GB-Mo", "0.1000000000"),
                document(service_code, "M3", &[("usagetype", "USE1-TieredStorage")], "GB-Mo", "0.0600000000"),
            ],
            "AmazonEC2" if filter("volumeApiName") == Some("gp3") => {
                vec![document(service_code, "E0", &[("usagetype", "EBS:VolumeUsage.gp3")], "GB-Mo", "0.0800000000")]
            }
            "AmazonEC2" => {
                let usd = match filter("instanceType") {
                    Some("t3.small") => "0.0208000000",
                    _ => "0.1785000000",
                };
                vec![document(service_code, "E1", &[("usagetype", "BoxUsage")], "Hrs", usd)]
            }
            "AWSELB" => vec![
                document(service_code, "L1", &[("usagetype", "LoadBalancerUsage")], "Hrs", "0.0225000000"),
                document(service_code, "L2", &[("usagetype", "USE1-LCUUsage")], "LCU-Hrs", "0.0080000000"),
            ],
            "AWSDataTransfer" => {
                vec![document(
                    service_code,
                    "D1",
                    &[("usagetype", "USE1-DataTransfer-Regional-Bytes")],
                    "GB",
                    "0.0100000000",
                )]
            }
            other => panic!("unexpected service {other}"),
        })
    }
}

#[tokio::test]
async fn a_live_table_prices_like_the_built_in_one() {
    let mut needs = Needs::default();
    needs.broker_types.insert("kafka.m7g.large".into());
    needs.instance_types.extend(["t3.small".to_string(), "c7i.xlarge".to_string()]);
    let live = live_table(&RecordedPriceList, "us-east-1", &needs).await.unwrap();
    assert_eq!(live.date, "2026-11-15T00:00:00Z");
    let profile = load_tier(&ProfileSource::Builtin, "100k", ResolveOptions { india: false }).unwrap();
    let estimate =
        estimate(&profile, InstanceSize::Production, &live, PriceOrigin::Live, &Workload::builtin().unwrap()).unwrap();
    // Same prices as the built-in table, so the 100k totals computed by hand above.
    assert_eq!((estimate.monthly_min, estimate.monthly_max), (2851.30, 7041.53));
}

#[tokio::test]
async fn a_missing_live_price_is_an_error_not_a_zero() {
    let mut needs = Needs::default();
    needs.broker_types.insert("kafka.m5.24xlarge".into());
    let err = live_table(&RecordedPriceList, "us-east-1", &needs).await.unwrap_err();
    assert!(matches!(err, CostError::PriceListMissing { .. }), "{err}");
}
