use super::*;

fn spec(name: &str, partitions: u32, rf: u16, configs: &[(&str, &str)]) -> TopicSpec {
    TopicSpec {
        name: name.into(),
        partitions,
        replication_factor: rf,
        configs: configs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

fn actual(name: &str, partitions: u32, rf: u16, overrides: &[(&str, &str)]) -> ActualTopic {
    ActualTopic {
        name: name.into(),
        partitions,
        replication_factor: rf,
        overrides: overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

fn state(topics: Vec<ActualTopic>) -> ClusterState {
    ClusterState { topics, live_brokers: 3 }
}

fn action_of<'a>(plan: &'a Plan, topic: &str, field: &str) -> &'a Action {
    &plan
        .changes
        .iter()
        .find(|c| c.topic == topic && c.field == field)
        .unwrap_or_else(|| panic!("no row for {topic} {field} in {plan:#?}"))
        .action
}

const RETENTION: (&str, &str) = ("retention.ms", "1800000");

#[test]
fn missing_topics_are_created() {
    let plan = plan(&[spec("a", 8, 3, &[RETENTION]), spec("b", 5, 3, &[])], &state(vec![]), &PlanOptions::default());
    assert_eq!(plan.count("create"), 2);
    assert_eq!(plan.changes[0].desired.as_deref(), Some("partitions=8 rf=3 retention.ms=1800000"));
    assert!(plan.has_drift());
    let desired = [spec("a", 8, 3, &[RETENTION]), spec("b", 5, 3, &[])];
    assert_eq!(plan.creates(&desired).len(), 2);
}

#[test]
fn identical_topic_is_all_no_op() {
    let plan =
        plan(&[spec("a", 8, 3, &[RETENTION])], &state(vec![actual("a", 8, 3, &[RETENTION])]), &PlanOptions::default());
    assert!(plan.changes.iter().all(|c| c.action == Action::NoOp), "{plan:#?}");
    assert!(!plan.has_drift());
    assert!(plan.warnings.is_empty());
}

#[test]
fn partitions_only_go_up_and_increases_warn_about_ordering() {
    let up = plan(&[spec("a", 16, 3, &[])], &state(vec![actual("a", 8, 3, &[])]), &PlanOptions::default());
    assert_eq!(action_of(&up, "a", FIELD_PARTITIONS), &Action::IncreasePartitions);
    assert_eq!(up.partition_increases(), vec![("a".to_string(), 16)]);
    assert!(up.warnings.iter().any(|w| w.contains("ordering")), "{:?}", up.warnings);

    let down = plan(&[spec("a", 4, 3, &[])], &state(vec![actual("a", 8, 3, &[])]), &PlanOptions::default());
    assert!(
        matches!(action_of(&down, "a", FIELD_PARTITIONS), Action::Refused { reason } if reason.contains("cannot remove partitions"))
    );
    assert!(down.has_refusals());
    assert!(down.partition_increases().is_empty());
}

#[test]
fn replication_factor_changes_are_refused_with_the_reason() {
    let plan = plan(&[spec("a", 8, 3, &[])], &state(vec![actual("a", 8, 2, &[])]), &PlanOptions::default());
    assert!(
        matches!(action_of(&plan, "a", FIELD_REPLICATION_FACTOR), Action::Refused { reason } if reason.contains("out of scope"))
    );
}

#[test]
fn rf_above_live_brokers_is_caught_for_creates_and_increases() {
    let small = |topics| ClusterState { topics, live_brokers: 1 };
    let create = plan(&[spec("a", 8, 3, &[])], &small(vec![]), &PlanOptions::default());
    assert!(
        matches!(action_of(&create, "a", FIELD_TOPIC), Action::Refused { reason } if reason.contains("1 live broker"))
    );
    assert!(create.creates(&[spec("a", 8, 3, &[])]).is_empty());

    let grow = plan(&[spec("a", 9, 3, &[])], &small(vec![actual("a", 8, 3, &[])]), &PlanOptions::default());
    assert!(matches!(action_of(&grow, "a", FIELD_PARTITIONS), Action::Refused { .. }));

    // An existing topic whose partitions do not change is not blocked by a
    // broker being down: its config can still be repaired.
    let steady = plan(&[spec("a", 8, 3, &[RETENTION])], &small(vec![actual("a", 8, 3, &[])]), &PlanOptions::default());
    assert!(!steady.has_refusals());
    assert_eq!(action_of(&steady, "a", "config:retention.ms"), &Action::SetConfigs);
}

#[test]
fn only_declared_config_keys_are_compared_and_set() {
    let current = actual("a", 8, 3, &[("retention.ms", "60000"), ("cleanup.policy", "compact")]);
    let plan = plan(&[spec("a", 8, 3, &[RETENTION])], &state(vec![current]), &PlanOptions::default());
    let changes = plan.config_changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes["a"].len(), 1, "only retention.ms is sent: {changes:?}");
    assert_eq!(changes["a"]["retention.ms"], "1800000");
    assert!(!plan.changes.iter().any(|c| c.field.contains("cleanup.policy")));
}

#[test]
fn a_declared_key_without_an_override_is_drift() {
    // The broker default may well be the same value, but only an explicit
    // override survives a change of the broker default.
    let plan = plan(&[spec("a", 8, 3, &[RETENTION])], &state(vec![actual("a", 8, 3, &[])]), &PlanOptions::default());
    assert_eq!(action_of(&plan, "a", "config:retention.ms"), &Action::SetConfigs);
}

#[test]
fn unmanaged_topics_are_left_alone_unless_pruned_and_internal_ones_never_listed() {
    let cluster = state(vec![
        actual("a", 8, 3, &[]),
        actual("legacy", 1, 3, &[]),
        actual("__consumer_offsets", 50, 3, &[]),
        actual("__transaction_state", 50, 3, &[]),
        actual("_schemas", 1, 3, &[]),
    ]);
    let desired = [spec("a", 8, 3, &[])];
    let kept = plan(&desired, &cluster, &PlanOptions::default());
    assert_eq!(action_of(&kept, "legacy", FIELD_TOPIC), &Action::Unmanaged);
    assert!(!kept.has_drift());
    assert!(kept.deletions().is_empty());
    assert!(!kept.changes.iter().any(|c| c.topic.starts_with('_')));

    let pruned = plan(&desired, &cluster, &PlanOptions { prune: true, ..PlanOptions::default() });
    assert_eq!(pruned.deletions(), vec!["legacy".to_string()]);
}

#[test]
fn scope_hides_everything_outside_the_prefix() {
    let cluster = state(vec![actual("mine_a", 8, 3, &[]), actual("mine_old", 1, 3, &[]), actual("theirs", 1, 3, &[])]);
    let options = PlanOptions { prune: true, scope: Some("mine_".into()), ..PlanOptions::default() };
    let plan = plan(&[spec("mine_a", 8, 3, &[])], &cluster, &options);
    assert_eq!(plan.deletions(), vec!["mine_old".to_string()]);
    assert!(!plan.changes.iter().any(|c| c.topic == "theirs"));
}

#[test]
fn india_excluded_topics_that_exist_are_unmanaged_with_a_note() {
    let cluster = state(vec![actual("a", 8, 3, &[]), actual("contacts_batched", 5, 3, &[])]);
    let options = PlanOptions { india_excluded: vec!["contacts_batched".into()], ..PlanOptions::default() };
    let plan = plan(&[spec("a", 8, 3, &[])], &cluster, &options);
    assert_eq!(action_of(&plan, "contacts_batched", FIELD_TOPIC), &Action::Unmanaged);
    assert!(plan.warnings.iter().any(|w| w.contains("India")));
}

#[test]
fn plan_json_is_stable() {
    let plan = plan(&[spec("a", 4, 3, &[])], &state(vec![actual("a", 8, 3, &[])]), &PlanOptions::default());
    let json = serde_json::to_value(&plan).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(json["changes"][0]["field"], "partitions");
    assert_eq!(json["changes"][0]["current"], "8");
    assert_eq!(json["changes"][0]["action"]["kind"], "refused");
    assert!(json["changes"][0]["action"]["reason"].is_string());
    assert_eq!(json["live_brokers"], 3);
}
