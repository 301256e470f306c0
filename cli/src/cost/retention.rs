//! Retention, sized from the workload: how long the consumers may stop
//! before Kafka deletes records nobody has read yet (the outage the tier
//! tolerates), and whether the brokers' disks hold that much data.
//!
//! A topic keeps `retention.ms` of its traffic, on `replication_factor`
//! brokers, spread evenly over the cluster; so each broker holds
//! Σ bytes/day × retention (days) × RF ÷ brokers. Peak hours raise the
//! rate, not the daily total a day of retention holds, so the daily volume
//! is the right measure. Dead-letter topics carry almost nothing and are
//! left out.

use serde::Serialize;

use super::model::{Workload, BYTES_PER_GB};
use crate::profile::{Profile, TopicSpec};

/// What share of a broker's EBS volume retained data may fill. The rest is
/// headroom for segment rolling (a segment is deleted only once it is
/// closed and wholly expired), index files, a skewed partition spread and
/// traffic above the model. Above it, a burst fills the disk and the broker stops.
pub const SAFE_DISK_SHARE: f64 = 0.5;

const MS_PER_HOUR: f64 = 3_600_000.0;
const HOURS_PER_DAY: f64 = 24.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicRetention {
    pub topic: String,
    /// `None` when the profile leaves retention to the broker's default.
    pub retention_hours: Option<f64>,
    /// One copy of the topic's records, per day, by the workload model.
    pub gib_per_day: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionSizing {
    pub workload_version: u32,
    pub topics: Vec<TopicRetention>,
    /// The shortest retention among the data topics: consumers stopped for
    /// longer lose records. `None` when no data topic sets one.
    pub tolerated_outage_hours: Option<f64>,
    /// Retained data per broker at full retention, all replicas counted.
    pub gib_per_broker: f64,
    pub ebs_volume_gib: u32,
    /// `gib_per_broker` ÷ the volume.
    pub disk_share: f64,
}

impl RetentionSizing {
    pub fn fits(&self) -> bool {
        self.disk_share <= SAFE_DISK_SHARE
    }

    /// "consumers may stop for 24 h without loss", or why it is unknown.
    pub fn outage_line(&self) -> String {
        match self.tolerated_outage_hours {
            Some(hours) => format!(
                "consumers may stop for {} without loss (retained data: {:.0}% of each broker's {} GiB)",
                human_hours(hours),
                self.disk_share * 100.0,
                self.ebs_volume_gib
            ),
            None => "the outage consumers may take is unknown: the tier's topics leave retention to the brokers".into(),
        }
    }
}

/// `1.5 h`, `24 h`, `30 min`.
pub fn human_hours(hours: f64) -> String {
    if hours < 1.0 {
        format!("{:.0} min", hours * 60.0)
    } else if (hours - hours.round()).abs() < 0.05 {
        format!("{:.0} h", hours.round())
    } else {
        format!("{hours:.1} h")
    }
}

fn retention_hours(topic: &TopicSpec) -> Option<f64> {
    let ms: f64 = topic.configs.get("retention.ms")?.trim().parse().ok()?;
    // -1 keeps records forever: no outage loses anything, the disk decides.
    (ms >= 0.0).then_some(ms / MS_PER_HOUR)
}

pub fn size(profile: &Profile, workload: &Workload) -> RetentionSizing {
    let dau = profile.dau as f64;
    let mut topics = Vec::new();
    let mut bytes_per_broker = 0.0;
    for kind in workload.kinds.values() {
        // A profile may prefix its topic names; the India switch drops some.
        let Some(topic) = profile.topics.iter().find(|topic| topic.name.ends_with(&kind.topic)) else { continue };
        let bytes_per_day = dau * kind.uploads_per_day * kind.records_per_upload * kind.record_bytes;
        let retention = retention_hours(topic);
        if let Some(hours) = retention {
            let copies = f64::from(topic.replication_factor);
            bytes_per_broker +=
                bytes_per_day * (hours / HOURS_PER_DAY) * copies / f64::from(profile.kafka.brokers.max(1));
        }
        topics.push(TopicRetention {
            topic: topic.name.clone(),
            retention_hours: retention,
            gib_per_day: bytes_per_day / BYTES_PER_GB,
        });
    }
    let tolerated_outage_hours = topics.iter().filter_map(|topic| topic.retention_hours).reduce(f64::min);
    let gib_per_broker = bytes_per_broker / BYTES_PER_GB;
    let ebs_volume_gib = profile.kafka.ebs_volume_gib;
    RetentionSizing {
        workload_version: workload.version,
        topics,
        tolerated_outage_hours,
        gib_per_broker,
        ebs_volume_gib,
        disk_share: gib_per_broker / f64::from(ebs_volume_gib.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{load_tier, ProfileSource, ResolveOptions};

    fn sizing(tier: &str, edit: impl FnOnce(&mut Profile)) -> RetentionSizing {
        let mut profile =
            load_tier(&ProfileSource::Builtin, tier, ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"));
        edit(&mut profile);
        let workload = Workload::builtin().unwrap_or_else(|err| panic!("{err}"));
        size(&profile, &workload)
    }

    fn set_retention(profile: &mut Profile, ms: &str) {
        for topic in &mut profile.topics {
            topic.configs.insert("retention.ms".into(), ms.into());
        }
    }

    #[test]
    fn every_builtin_tier_holds_a_day_of_consumer_outage_on_its_disks() {
        for tier in ["25k", "50k", "75k", "100k", "200k"] {
            let sizing = sizing(tier, |_| {});
            assert_eq!(sizing.tolerated_outage_hours, Some(24.0), "{tier}");
            assert!(sizing.fits(), "{tier}: {:.0}% of the disks", sizing.disk_share * 100.0);
        }
    }

    #[test]
    fn per_broker_data_is_volume_times_retention_times_rf_over_brokers() {
        // 50k DAU, one day, RF 3, 3 brokers: each broker holds one full copy of a day.
        let sizing = sizing("50k", |profile| set_retention(profile, "86400000"));
        let day: f64 = sizing.topics.iter().map(|topic| topic.gib_per_day).sum();
        assert!((sizing.gib_per_broker - day).abs() < 1e-9, "{} vs {day}", sizing.gib_per_broker);
        // sms: 50k × 4 uploads × 100 records × 350 bytes.
        let sms = sizing.topics.iter().find(|topic| topic.topic == "sms_batched").map(|topic| topic.gib_per_day);
        assert_eq!(sms, Some(50_000.0 * 4.0 * 100.0 * 350.0 / BYTES_PER_GB));
    }

    #[test]
    fn a_week_of_retention_overflows_the_50k_disks() {
        let sizing = sizing("50k", |profile| set_retention(profile, "604800000"));
        assert!(!sizing.fits(), "{:.0}%", sizing.disk_share * 100.0);
        assert_eq!(sizing.tolerated_outage_hours, Some(168.0));
    }

    #[test]
    fn the_runbooks_thirty_minutes_tolerate_thirty_minutes() {
        let sizing = sizing("50k", |profile| set_retention(profile, "1800000"));
        assert!(sizing.fits());
        assert!(
            sizing.outage_line().starts_with("consumers may stop for 30 min without loss"),
            "{}",
            sizing.outage_line()
        );
    }

    #[test]
    fn the_shortest_topic_decides_and_unset_retention_is_unknown() {
        let shortest = sizing("50k", |profile| {
            set_retention(profile, "86400000");
            if let Some(topic) = profile.topics.iter_mut().find(|topic| topic.name == "events_log") {
                topic.configs.insert("retention.ms".into(), "7200000".into());
            }
        });
        assert_eq!(shortest.tolerated_outage_hours, Some(2.0));
        let unset = sizing("50k", |profile| profile.topics.iter_mut().for_each(|topic| topic.configs.clear()));
        assert_eq!(unset.tolerated_outage_hours, None);
        assert!(unset.outage_line().contains("unknown"));
    }
}
