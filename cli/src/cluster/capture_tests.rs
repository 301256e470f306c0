//! `profiles from-cluster` without AWS: a runbook cluster and its topics
//! written by hand, the profile written from them, and `profiles validate`.

use std::collections::BTreeMap;

use super::capture::capture;
use super::tests::{converged, target};
use crate::aws::msk::MskCluster;
use crate::ops::profiles::{validate, ProfilesOptions};
use crate::profile::{load_tier, ProfileSource, ResolveOptions};
use crate::topics::{ActualTopic, ClusterState};

fn runbook_cluster() -> MskCluster {
    let cluster = converged(&target("50k")).cluster.unwrap_or_else(|| panic!("converged has a cluster"));
    MskCluster { name: "mobileforge-sync-cluster".into(), ebs_volume_gib: Some(50), ..cluster }
}

fn topic(name: &str, partitions: u32, retention: Option<&str>) -> ActualTopic {
    ActualTopic {
        name: name.into(),
        partitions,
        replication_factor: 3,
        overrides: retention
            .map(|ms| BTreeMap::from([("retention.ms".to_string(), ms.to_string())]))
            .unwrap_or_default(),
    }
}

#[test]
fn the_written_profile_holds_the_clusters_values_and_validates() {
    let tier = load_tier(&ProfileSource::Builtin, "50k", ResolveOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let state = ClusterState {
        topics: vec![topic("sms_batched", 2, Some("1800000")), topic("events_log", 5, None)],
        live_brokers: 3,
    };
    let captured = capture(&runbook_cluster(), &state, &tier).unwrap_or_else(|e| panic!("{e}"));
    let notes = captured.notes.join("\n");
    assert!(notes.contains("sms-consumer: max 8 capped at 2"), "{notes}");
    assert!(notes.contains("apps_and_device_batched is not on the cluster"), "{notes}");
    assert!(notes.contains("events_log: retention.ms is not set on the topic"), "{notes}");

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("runbook.yaml");
    std::fs::write(&path, &captured.yaml).unwrap_or_else(|e| panic!("{e}"));
    let options = ProfilesOptions { source: ProfileSource::Builtin, resolve: ResolveOptions::default() };
    let report = validate(&options, std::slice::from_ref(&path)).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.valid, "{:#?}\n{}", report.files, captured.yaml);

    let written = load_tier(&ProfileSource::Directory(dir.path().to_path_buf()), "runbook", ResolveOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{}", captured.yaml));
    assert_eq!(written.kafka.ebs_volume_gib, 50);
    assert_eq!(written.kafka.version, tier.kafka.version);
    assert_eq!(written.kafka.brokers, 3);
    let sms = written.topic("sms_batched").unwrap_or_else(|| panic!("no sms_batched"));
    assert_eq!((sms.partitions, sms.configs.get("retention.ms").map(String::as_str)), (2, Some("1800000")));
    assert_eq!(written.roles, {
        let mut roles = tier.roles.clone();
        for role in &mut roles {
            if role.name == crate::profile::RoleName::SmsConsumer {
                role.max = 2;
                role.min = role.min.min(2);
            }
        }
        roles
    });
    assert_eq!(written.dead_letter, tier.dead_letter);
    assert_eq!(written.alerts, tier.alerts);
}

#[test]
fn a_cluster_still_creating_is_an_error_that_names_the_field() {
    let tier = load_tier(&ProfileSource::Builtin, "50k", ResolveOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let creating = MskCluster { kafka_version: None, ..runbook_cluster() };
    let error = capture(&creating, &ClusterState::default(), &tier).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("KafkaVersion") && error.contains(&creating.arn), "{error}");
}
