//! What MSK accepts for a provisioned cluster: broker types, zones, storage,
//! Kafka versions, and which broker types go with which versions. Facts from
//! AWS's "Supported Apache Kafka versions", "KRaft mode" and "Amazon MSK broker
//! types" pages; the moto plug-in (`dev/moto_plugin/msk_versions.py`) answers
//! CreateCluster from the same version list.

use super::error::Issue;
use super::locate::Locator;
use super::model::Profile;

/// MSK standard broker types (Express brokers have no EBS and other rules, so
/// forgectl does not plan them).
pub const MSK_BROKER_TYPES: &[&str] = &[
    "kafka.t3.small",
    "kafka.m5.large",
    "kafka.m5.xlarge",
    "kafka.m5.2xlarge",
    "kafka.m5.4xlarge",
    "kafka.m5.8xlarge",
    "kafka.m5.12xlarge",
    "kafka.m5.16xlarge",
    "kafka.m5.24xlarge",
    "kafka.m7g.large",
    "kafka.m7g.xlarge",
    "kafka.m7g.2xlarge",
    "kafka.m7g.4xlarge",
    "kafka.m7g.8xlarge",
    "kafka.m7g.12xlarge",
    "kafka.m7g.16xlarge",
];

/// MSK places brokers in two or three client subnets, one per AZ.
const MSK_ZONE_COUNTS: [u32; 2] = [2, 3];

/// MSK's per-broker EBS limits, in GiB.
const MSK_EBS_RANGE: std::ops::RangeInclusive<u32> = 1..=16_384;

/// Version strings CreateCluster accepts for a new provisioned cluster, oldest
/// first. A `.kraft` suffix selects KRaft metadata; the 4.x lines exist only
/// in that form because Apache Kafka 4 has no ZooKeeper mode.
pub const MSK_KAFKA_VERSIONS: &[&str] =
    &["3.7.x", "3.7.x.kraft", "3.8.x", "3.8.x.kraft", "3.9.x", "3.9.x.kraft", "4.0.x.kraft", "4.1.x.kraft"];

/// Broker families with a minimum Kafka line: M7g (Graviton) brokers from
/// 3.3.2, Express brokers from 3.6.
const MINIMUM_LINE_BY_FAMILY: &[(&str, (u32, u32))] = &[("kafka.m7g.", (3, 3)), ("express.", (3, 6))];

/// What is wrong with a version, or with a version and broker type together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionProblem {
    pub key: &'static str,
    pub message: String,
    pub hint: String,
}

/// `(major, minor)` of `3.9.x` or `4.1.x.kraft`.
fn line(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn newest() -> &'static str {
    MSK_KAFKA_VERSIONS.last().copied().unwrap_or("4.1.x.kraft")
}

pub fn version_problem(version: &str, broker_type: &str) -> Option<VersionProblem> {
    let version = version.trim();
    let problem = |message: String, hint: String| VersionProblem { key: "kafka.version", message, hint };
    if version.is_empty() {
        return Some(problem("is empty".into(), format!("set an MSK Kafka version such as \"{}\"", newest())));
    }
    if !MSK_KAFKA_VERSIONS.contains(&version) {
        let offered = |candidate: String| MSK_KAFKA_VERSIONS.contains(&candidate.as_str()).then_some(candidate);
        let zookeeper_line = line(version).and_then(|(major, minor)| offered(format!("{major}.{minor}.x")));
        let kraft_line = line(version).and_then(|(major, minor)| offered(format!("{major}.{minor}.x.kraft")));
        let hint = match (zookeeper_line, kraft_line) {
            (None, Some(kraft)) if version == kraft.trim_end_matches(".kraft") => {
                format!("Kafka 4 runs only in KRaft mode on MSK: use \"{kraft}\"")
            }
            (None, Some(kraft)) => format!("MSK picks the patch release: use \"{kraft}\""),
            (Some(zookeeper), Some(kraft)) => {
                format!("MSK picks the patch release: use \"{zookeeper}\" (or \"{kraft}\")")
            }
            _ => format!("use one of {}", MSK_KAFKA_VERSIONS.join(", ")),
        };
        return Some(problem(format!("`{version}` is not a Kafka version MSK creates clusters with"), hint));
    }
    let minimum = family_minimum(broker_type)?;
    if line(version)? >= minimum {
        return None;
    }
    Some(problem(
        format!("{broker_type} brokers need Kafka {}.{} or later, not {version}", minimum.0, minimum.1),
        format!("use {} or another broker type", newest()),
    ))
}

/// The oldest Kafka line a broker family runs, where MSK documents one.
fn family_minimum(broker_type: &str) -> Option<(u32, u32)> {
    MINIMUM_LINE_BY_FAMILY.iter().find(|(family, _)| broker_type.starts_with(family)).map(|(_, minimum)| *minimum)
}

pub(super) fn check_kafka(profile: &Profile, locator: &Locator, issues: &mut Vec<Issue>) {
    let kafka = &profile.kafka;
    if !MSK_ZONE_COUNTS.contains(&kafka.zones) {
        issues.push(locator.issue(
            "kafka.zones",
            format!("{} zones; MSK spreads brokers over 2 or 3 client subnets in distinct AZs", kafka.zones),
            "set kafka.zones to 2 or 3",
        ));
    } else if kafka.brokers == 0 || !kafka.brokers.is_multiple_of(kafka.zones) {
        let lower = (kafka.brokers / kafka.zones).max(1) * kafka.zones;
        let upper = (kafka.brokers / kafka.zones + 1) * kafka.zones;
        let suggestion = if lower == upper || kafka.brokers < kafka.zones {
            format!("{upper}")
        } else {
            format!("{lower} or {upper}")
        };
        issues.push(locator.issue(
            "kafka.brokers",
            format!(
                "{} brokers is not a multiple of the {} client subnets (kafka.zones); MSK needs the same number of brokers in every AZ",
                kafka.brokers, kafka.zones
            ),
            format!("set kafka.brokers to {suggestion}"),
        ));
    }
    if kafka.broker_type.starts_with("express.") {
        issues.push(locator.issue(
            "kafka.broker_type",
            format!(
                "`{}` is an MSK Express broker; forgectl plans Standard brokers only (Express has no EBS settings and other update rules)",
                kafka.broker_type
            ),
            "use the Standard type of the same size, e.g. kafka.m7g.large",
        ));
    } else if !MSK_BROKER_TYPES.contains(&kafka.broker_type.as_str()) {
        issues.push(locator.issue(
            "kafka.broker_type",
            format!("`{}` is not an MSK broker instance type", kafka.broker_type),
            format!(
                "use one of {}; kafka.m7g.large and kafka.m5.large have 2 vCPU and 8 GiB",
                MSK_BROKER_TYPES.join(", ")
            ),
        ));
    }
    if !MSK_EBS_RANGE.contains(&kafka.ebs_volume_gib) {
        issues.push(locator.issue(
            "kafka.ebs_volume_gib",
            format!("{} GiB is outside MSK's per-broker range of 1 to 16384 GiB", kafka.ebs_volume_gib),
            "set kafka.ebs_volume_gib between 1 and 16384",
        ));
    }
    if let Some(problem) = version_problem(&kafka.version, &kafka.broker_type) {
        issues.push(locator.issue(problem.key, problem.message, problem.hint));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_version_passes_with_standard_brokers() {
        for version in MSK_KAFKA_VERSIONS {
            for broker in ["kafka.t3.small", "kafka.m5.large", "kafka.m7g.large"] {
                assert_eq!(version_problem(version, broker), None, "{version} on {broker}");
            }
        }
    }

    #[test]
    fn kafka_4_without_kraft_points_at_the_kraft_form() {
        let problem = version_problem("4.1.x", "kafka.m7g.large").expect("refused");
        assert!(problem.hint.contains("\"4.1.x.kraft\""), "{problem:?}");
    }

    #[test]
    fn a_patch_release_points_at_the_line() {
        let problem = version_problem("3.9.1", "kafka.m5.large").expect("refused");
        assert!(problem.hint.contains("\"3.9.x\""), "{problem:?}");
        let problem = version_problem("4.1.2", "kafka.m5.large").expect("refused");
        assert!(problem.hint.contains("\"4.1.x.kraft\""), "{problem:?}");
    }

    #[test]
    fn unknown_and_retired_versions_list_the_offer() {
        for version in ["2.8.1", "3.6.0", "9.9.x", "latest"] {
            let problem = version_problem(version, "kafka.m5.large").expect("refused");
            assert!(problem.hint.contains("4.1.x.kraft"), "{version}: {problem:?}");
        }
    }

    #[test]
    fn broker_families_know_their_oldest_line() {
        assert_eq!(family_minimum("kafka.m7g.large"), Some((3, 3)));
        assert_eq!(family_minimum("express.m7g.xlarge"), Some((3, 6)));
        assert_eq!(family_minimum("kafka.m5.large"), None);
        assert_eq!(line("3.5.x"), Some((3, 5)));
    }
}
