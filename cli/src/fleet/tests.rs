//! The deploy planner without AWS: targets from the built-in tiers and a
//! config file, what AWS holds written by hand.

use std::collections::BTreeMap;

use forgectl_contract::endpoints::CONSUMER_METRICS_PORT;

use super::actual::{Actual, ApiKeysState, ObservedRole, SecretState};
use super::compare::plan_role;
use super::desired::{version_description, AccountScope};
use super::plan::{plan, Change, FleetPlan, Refusal, ResourceKind, Step};
use super::roles::RoleAction;
use super::scaling::{lag_tracking, GROUP_METRICS};
use super::target::{Pending, Target, CPU_TARGET_PERCENT, READY_PATH};
use super::FleetError;
use crate::aws::autoscaling::{Group, GroupInstance, Refresh, TemplateRef};
use crate::aws::ec2::{RuleSource, SecurityGroup, Subnet};
use crate::aws::ecr::Repository;
use crate::aws::elb::{LoadBalancer, TargetGroup};
use crate::aws::iam::{InstanceProfile, Role};
use crate::aws::launch_template::{LaunchTemplate, TemplateData, TemplateVersion};
use crate::aws::ssm::SecretValue;
use crate::config::test_support::load_environment;
use crate::config::{Environment, PostgresSslMode, SecurityProtocol};
use crate::exit::Exit;
use crate::kafka::KafkaConnection;
use crate::naming::fleet::FleetNames;
use crate::profile::{load_tier, Profile, ProfileSource, ResolveOptions, RoleName};
use crate::render::{service_env, PostgresConnection};

mod exposure;
mod front;
mod scaling;

fn tier(name: &str) -> Profile {
    load_tier(&ProfileSource::Builtin, name, ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"))
}

/// Through the config loader, like the binary, so the test keeps compiling
/// when environments gain fields.
fn environment(services: &str) -> Environment {
    load_environment(&format!(
        "environments:\n  t:\n    provider: aws\n    region: us-east-1\n    services: {services}\n"
    ))
}

struct Case {
    environment: Environment,
    profile: Profile,
    version: String,
}

impl Case {
    fn new(tier_name: &str, version: &str) -> Self {
        // The opt-out keeps these cases about the plan's shape; tests/exposure.rs
        // covers what a default environment refuses.
        Case { environment: environment("{allow_plain_http: true}"), profile: tier(tier_name), version: version.into() }
    }

    fn target(&self) -> Target<'_> {
        Target {
            environment: &self.environment,
            profile: &self.profile,
            version: &self.version,
            roles: &[],
            consumer_metrics_port: CONSUMER_METRICS_PORT,
        }
    }

    fn plan(&self, actual: &Actual) -> FleetPlan {
        plan(actual, &self.target()).unwrap_or_else(|err| panic!("{err}"))
    }

    /// An account with the images pushed, the cluster provisioned, and no deploy yet.
    fn empty(&self) -> Actual {
        let kafka = KafkaConnection {
            bootstrap_servers: "b-1:9094".into(),
            security_protocol: SecurityProtocol::Ssl,
            ssl_ca_location: None,
            sasl: None,
        };
        let postgres = PostgresConnection {
            host: "db".into(),
            port: "5432".into(),
            username: "di".into(),
            password: None,
            database: "di".into(),
            sync_database: "di_sync".into(),
            ssl_mode: PostgresSslMode::VerifyFull,
            ca_file: None,
        };
        let envs = self
            .profile
            .roles
            .iter()
            .map(|spec| {
                let env = service_env(&self.profile, spec.name, &kafka, &postgres, None);
                (spec.name, env.unwrap_or_else(|err| panic!("{err}")))
            })
            .collect();
        let names = FleetNames::for_env(&self.environment);
        let repository = |name: &str| Repository {
            name: name.into(),
            arn: format!("arn:aws:ecr:us-east-1:123456789012:repository/{name}"),
            uri: format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}"),
            scan_on_push: true,
        };
        let policy = super::desired::lifecycle_policy(self.environment.services.keep_images).to_string();
        Actual {
            scope: AccountScope { partition: "aws".into(), region: "us-east-1".into(), account: "123456789012".into() },
            registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com".into(),
            repositories: vec![repository("forgectl-producer"), repository("forgectl-consumer")],
            lifecycle_policies: BTreeMap::from([
                ("forgectl-producer".into(), Some(policy.clone())),
                ("forgectl-consumer".into(), Some(policy)),
            ]),
            subnets: vec![Subnet {
                id: "subnet-a".into(),
                vpc_id: "vpc-1".into(),
                availability_zone: "us-east-1a".into(),
                default_for_az: true,
            }],
            vpc_id: "vpc-1".into(),
            client_sg: "sg-client".into(),
            security_groups: Vec::new(),
            kafka,
            cluster_name: "forgectl-t".into(),
            role: None,
            role_policy: None,
            instance_profile: None,
            secrets: vec![SecretState {
                variable: "DI_POSTGRES_PASSWORD".into(),
                parameter: names.secret("DI_POSTGRES_PASSWORD"),
                source: "PG_PASSWORD".into(),
                stored: None,
                given: Some(SecretValue::new("s3cret".into())),
            }],
            api_keys: ApiKeysState { parameter: names.secret("PRODUCER_API_KEYS"), stored: true },
            target_group: None,
            load_balancer: None,
            listeners: Vec::new(),
            images: BTreeMap::from([(
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64".into(),
                "ami-1".into(),
            )]),
            roles: BTreeMap::new(),
            envs,
            msk_iam_cluster: None,
            names,
        }
    }

    /// What a completed deploy of `self.version` leaves behind.
    fn deployed(&self) -> Actual {
        let mut actual = self.empty();
        let names = actual.names.clone();
        actual.role = Some(Role { name: names.instance_role.clone(), arn: "arn:role".into(), tags: BTreeMap::new() });
        actual.role_policy = Some(super::desired::instance_policy(&actual.scope, &names).to_string());
        actual.instance_profile = Some(InstanceProfile {
            name: names.instance_profile.clone(),
            arn: "arn:profile".into(),
            roles: vec![names.instance_role.clone()],
            tags: BTreeMap::new(),
        });
        for secret in &mut actual.secrets {
            secret.stored = secret.given.clone();
        }
        let group = |id: &str, name: &str| SecurityGroup {
            id: id.into(),
            name: name.into(),
            vpc_id: "vpc-1".into(),
            tags: BTreeMap::new(),
            ingress: Vec::new(),
        };
        let mut metrics = group("sg-metrics", &names.metrics_sg);
        metrics.ingress = self.target().metrics_rules();
        actual.security_groups =
            vec![group("sg-lb", &names.load_balancer_sg), group("sg-producer", &names.producer_sg), metrics];
        for (name, rules) in self.target().front_rules(&actual) {
            if let Some(group) = actual.security_groups.iter_mut().find(|group| group.name == name) {
                group.ingress = rules;
            }
        }
        let target_group = TargetGroup {
            arn: "arn:tg".into(),
            name: names.target_group.clone(),
            port: 8000,
            health_check_path: READY_PATH.into(),
        };
        let mut listeners = super::desired::listeners(None, &target_group.arn);
        listeners[0].arn = "arn:listener-80".into();
        actual.listeners = listeners;
        actual.target_group = Some(target_group);
        actual.load_balancer = Some(LoadBalancer {
            arn: "arn:lb".into(),
            name: names.load_balancer.clone(),
            dns_name: "lb.example".into(),
            scheme: "internet-facing".into(),
        });
        for spec in &self.profile.roles {
            let data = self.target().template_for(&actual, spec.name).unwrap_or_else(|err| panic!("{err}"));
            let mut observed = running(&self.version, spec.min, (spec.min, spec.max), data);
            if let (Some(group), Some(target)) = (&spec.group, spec.lag_per_instance) {
                let tracking = lag_tracking(&actual.cluster_name, &names.group(spec.name), group, &spec.topics, target);
                observed.lag_policy = Some(tracking);
            }
            actual.roles.insert(spec.name, observed);
        }
        actual
    }
}

fn data(user_data: &str) -> TemplateData {
    TemplateData {
        image_id: "ami-1".into(),
        instance_type: "c7i.xlarge".into(),
        security_group_ids: vec!["sg-1".into()],
        instance_profile: "forgectl-prod-instance".into(),
        user_data: user_data.into(),
        instance_tags: BTreeMap::new(),
    }
}

/// A role whose group runs `count` instances of `version` from template version 1.
fn running(version: &str, count: u32, bounds: (u32, u32), data: TemplateData) -> ObservedRole {
    let template = TemplateRef { id: "lt-1".into(), version: "1".into() };
    let current = TemplateVersion { number: 1, description: Some(version_description(version)), data };
    ObservedRole {
        group: Some(Group {
            name: "forgectl-t-producer".into(),
            min: bounds.0,
            max: bounds.1,
            desired: count,
            template: Some(template.clone()),
            instances: (0..count)
                .map(|n| GroupInstance {
                    id: format!("i-{n}"),
                    template: Some(template.clone()),
                    health: "Healthy".into(),
                    lifecycle: "InService".into(),
                })
                .collect(),
            target_group_arns: Vec::new(),
            tags: BTreeMap::new(),
            enabled_metrics: GROUP_METRICS.iter().map(|metric| metric.to_string()).collect(),
        }),
        template: Some(LaunchTemplate {
            id: "lt-1".into(),
            name: "forgectl-t-producer".into(),
            latest_version: 1,
            tags: BTreeMap::new(),
        }),
        group_template: Some(current.clone()),
        latest_template: Some(current),
        instance_versions: vec![version.to_string(); count as usize],
        cpu_target: Some(CPU_TARGET_PERCENT),
        lag_policy: None,
        active_refresh: None,
    }
}

fn refresh(id: &str, target_version: &str) -> Refresh {
    Refresh {
        id: id.into(),
        status: "InProgress".into(),
        reason: None,
        percentage_complete: 0,
        instances_to_update: 2,
        target_version: Some(target_version.into()),
    }
}

fn role_plan(plan: &FleetPlan, role: RoleName) -> &super::plan::FleetRolePlan {
    plan.roles.iter().find(|r| r.role() == role).unwrap_or_else(|| panic!("no plan for {role}"))
}

#[test]
fn first_deploy_creates_everything_and_binds_what_it_creates_later() {
    let case = Case::new("50k", "v1");
    let actual = case.empty();
    let plan = case.plan(&actual);
    let names = &actual.names;
    let kinds: Vec<(ResourceKind, Change)> = plan.shared.iter().map(|s| (s.kind, s.change)).collect();
    assert_eq!(
        kinds,
        [
            (ResourceKind::Repository, Change::Keep),
            (ResourceKind::Repository, Change::Keep),
            (ResourceKind::InstanceRole, Change::Create),
            (ResourceKind::RolePolicy, Change::Create),
            (ResourceKind::InstanceProfile, Change::Create),
            (ResourceKind::Secret, Change::Create),
            (ResourceKind::SecurityGroup, Change::Create),
            (ResourceKind::SecurityGroup, Change::Create),
            (ResourceKind::SecurityGroup, Change::Create),
            (ResourceKind::TargetGroup, Change::Create),
            (ResourceKind::LoadBalancer, Change::Create),
            (ResourceKind::Listeners, Change::Create),
        ]
    );
    // The producers' group lets the load balancer's group in, before either exists.
    let producer_sg = &plan.shared[8];
    let lb_sg = Pending::SecurityGroup.id(&names.load_balancer_sg);
    assert!(producer_sg.steps.iter().any(|step| matches!(step,
        Step::Authorize { port: 8000, sources, .. } if sources == &[RuleSource::Group(lb_sg.clone())])));
    assert!(
        matches!(&plan.shared[10].steps[..], [Step::CreateLoadBalancer { security_group, .. }] if security_group == &lb_sg)
    );

    let producer = role_plan(&plan, RoleName::Producer);
    assert_eq!((producer.summary.action, producer.summary.new_count), (RoleAction::Start, 2));
    let Step::CreateLaunchTemplate { data, .. } = &producer.steps[0] else { panic!("{:?}", producer.steps) };
    assert!(data.security_group_ids.contains(&Pending::SecurityGroup.id(&names.producer_sg)), "{data:?}");
    assert!(matches!(&producer.steps[1],
        Step::CreateGroup { min: 2, max: 5, desired: 2, target_group: Some(arn), .. } if arn == &Pending::TargetGroup.id(&names.target_group)));
    assert!(
        matches!(producer.steps[2], Step::PutCpuTarget { target_percent, .. } if target_percent == CPU_TARGET_PERCENT)
    );
    let consumer = role_plan(&plan, RoleName::SmsConsumer);
    assert!(matches!(&consumer.steps[1], Step::CreateGroup { target_group: None, .. }));
    assert!(plan.has_changes() && plan.refusal().is_none());
}

#[test]
fn a_deployed_fleet_plans_no_step_at_all() {
    let case = Case::new("50k", "v1");
    let plan = case.plan(&case.deployed());
    assert!(!plan.has_changes(), "{plan:#?}");
    assert!(plan.shared.iter().all(|s| s.steps.is_empty()), "{:?}", plan.shared);
    for role in &plan.roles {
        assert_eq!(role.summary.action, RoleAction::NoOp, "{role:?}");
        assert!(matches!(role.steps[..], [Step::UseTemplateVersion { number: 1, .. }]), "{:?}", role.steps);
    }
}

#[test]
fn a_new_version_publishes_a_template_version_and_refreshes_every_group() {
    let case = Case::new("50k", "v1");
    let actual = case.deployed();
    let case = Case { version: "v2".into(), ..case };
    let plan = case.plan(&actual);
    for role in &plan.roles {
        assert_eq!((role.summary.action, role.template_changes.clone()), (RoleAction::RollingUpdate, vec!["version"]));
        assert!(
            matches!(role.steps[..], [Step::CreateTemplateVersion { .. }, Step::StartRefresh { .. }]),
            "{:?}",
            role.steps
        );
    }
}

#[test]
fn an_interrupted_rollout_is_followed_with_the_version_it_published() {
    let case = Case::new("50k", "v1");
    let mut actual = case.deployed();
    let case = Case { version: "v2".into(), ..case };
    let desired = case.target().template_for(&actual, RoleName::Producer).unwrap_or_else(|err| panic!("{err}"));
    let producer = actual.roles.get_mut(&RoleName::Producer).unwrap_or_else(|| panic!("no producer"));
    producer.latest_template =
        Some(TemplateVersion { number: 2, description: Some(version_description("v2")), data: desired });
    producer.active_refresh = Some(refresh("r-1", "2"));
    let plan = case.plan(&actual);
    let producer = role_plan(&plan, RoleName::Producer);
    assert!(
        matches!(&producer.steps[..], [Step::UseTemplateVersion { number: 2, .. }, Step::FollowRefresh { refresh_id, .. }] if refresh_id == "r-1"),
        "{:?}",
        producer.steps
    );
    assert!(plan.refusal().is_none());
}

#[test]
fn a_rollout_running_elsewhere_is_refused_and_nothing_is_planned_for_it() {
    let case = Case::new("50k", "v1");
    let mut actual = case.deployed();
    let case = Case { version: "v2".into(), ..case };
    let producer = actual.roles.get_mut(&RoleName::Producer).unwrap_or_else(|| panic!("no producer"));
    producer.active_refresh = Some(refresh("r-other", "7"));
    let plan = case.plan(&actual);
    let group = actual.names.group(RoleName::Producer);
    assert_eq!(plan.refusal(), Some(&Refusal::RefreshInProgress { group, refresh_id: "r-other".into() }));
    assert!(role_plan(&plan, RoleName::Producer).steps.is_empty());
    let error = FleetError::from(plan.refusal().cloned().unwrap_or_else(|| panic!("no refusal")));
    assert!(matches!(error, FleetError::RefreshInProgress { ref id, .. } if id == "r-other"));
    assert_eq!(error.exit(), Exit::Failure);
}

#[test]
fn a_refresh_of_a_group_that_needs_none_is_no_reason_to_refuse() {
    let case = Case::new("50k", "v1");
    let mut actual = case.deployed();
    if let Some(producer) = actual.roles.get_mut(&RoleName::Producer) {
        producer.active_refresh = Some(refresh("r-other", "7"));
    }
    assert!(case.plan(&actual).refusal().is_none());
}

#[test]
fn narrowing_the_load_balancer_ranges_opens_the_new_and_closes_the_old() {
    let case = Case::new("50k", "v1");
    let actual = case.deployed();
    let case = Case { environment: environment("{load_balancer_cidrs: [203.0.113.0/24]}"), ..case };
    let plan = case.plan(&actual);
    let changed: Vec<_> = plan.shared.iter().filter(|s| s.change != Change::Keep).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].detail.as_deref(), Some("+tcp/80 from 203.0.113.0/24, -tcp/80 from 0.0.0.0/0"));
    assert!(matches!(&changed[0].steps[..], [Step::Authorize { port: 80, .. }, Step::Revoke { .. }]));
}

#[test]
fn a_changed_secret_is_overwritten_and_never_shown() {
    let case = Case::new("50k", "v1");
    let mut actual = case.deployed();
    actual.secrets[0].given = Some(SecretValue::new("rotated".into()));
    let plan = case.plan(&actual);
    let secret = plan.shared.iter().find(|s| s.kind == ResourceKind::Secret).unwrap_or_else(|| panic!("no secret"));
    assert_eq!(secret.change, Change::Update);
    assert!(matches!(&secret.steps[..], [Step::PutSecret { overwrite: true, .. }]));
    assert!(!format!("{plan:?}").contains("rotated"));
    assert!(!serde_json::to_string(&plan).unwrap_or_default().contains("rotated"));
}

#[test]
fn first_deploy_of_one_role_creates_it_at_the_ladder_minimum() {
    let plan = plan_role(&tier("50k"), RoleName::SmsConsumer, &ObservedRole::default(), &data("boot v1"), "v1");
    let plan = plan.unwrap_or_else(|| panic!("no plan"));
    assert_eq!(plan.summary.action, RoleAction::Start);
    assert_eq!((plan.summary.new_count, plan.summary.min, plan.summary.max), (2, 2, 8));
    assert_eq!((plan.launch_template, plan.scaling_policy), (Change::Create, Change::Create));
}

#[test]
fn a_bigger_tier_moves_bounds_in_place_and_never_lowers_desired() {
    let observed = running("v1", 5, (2, 5), data("boot v1"));
    let plan = plan_role(&tier("100k"), RoleName::Producer, &observed, &data("boot v1"), "v1");
    let plan = plan.unwrap_or_else(|| panic!("no plan"));
    assert_eq!(plan.summary.action, RoleAction::Scale);
    assert_eq!(plan.current_bounds, Some((2, 5)));
    assert_eq!((plan.summary.min, plan.summary.max, plan.summary.new_count), (4, 10, 5));
    assert_eq!(plan.launch_template, Change::Keep);
}

#[test]
fn a_new_ami_alone_also_rolls() {
    let mut desired = data("boot v1");
    desired.image_id = "ami-2".into();
    let observed = running("v1", 2, (2, 5), data("boot v1"));
    let plan = plan_role(&tier("50k"), RoleName::Producer, &observed, &desired, "v1");
    let plan = plan.unwrap_or_else(|| panic!("no plan"));
    assert_eq!((plan.summary.action, plan.template_changes.clone()), (RoleAction::RollingUpdate, vec!["ami"]));
}

#[test]
fn a_changed_cpu_target_is_put_back() {
    let mut observed = running("v1", 2, (2, 5), data("boot v1"));
    observed.cpu_target = Some(70.0);
    let plan = plan_role(&tier("50k"), RoleName::Producer, &observed, &data("boot v1"), "v1");
    let plan = plan.unwrap_or_else(|| panic!("no plan"));
    assert_eq!((plan.summary.action, plan.scaling_policy), (RoleAction::Scale, Change::Update));
}
