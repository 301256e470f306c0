//! The applier against the in-memory AWS: which calls a plan's steps make,
//! in which order, with the IDs of what the run created bound in.

use std::collections::BTreeMap;

use super::{Applier, RoleOutcome};
use crate::aws::ec2::RuleSource;
use crate::aws::fake::FakeAws;
use crate::aws::launch_template::TemplateData;
use crate::config::test_support::load_environment;
use crate::fleet::plan::Step;
use crate::fleet::target::Pending;
use crate::fleet::FleetError;
use crate::naming::fleet::FleetNames;
use crate::progress::Silent;

const GROUP_SG: &str = "t-producers";
const ROLE: &str = "t-producer";

fn names() -> FleetNames {
    FleetNames::for_env(&load_environment("environments:\n  t:\n    provider: aws\n    region: us-east-1\n"))
}

/// A new producer role: its security group, a rule, the template that
/// names the group, the Auto Scaling group on that template, its policy.
fn new_role_steps() -> Vec<Step> {
    let pending_sg = Pending::SecurityGroup.id(GROUP_SG);
    vec![
        Step::CreateSecurityGroup { name: GROUP_SG.into(), description: "producers", vpc_id: "vpc-1".into() },
        Step::Authorize {
            group: (pending_sg.clone(), GROUP_SG.into()),
            port: 8080,
            sources: vec![RuleSource::Cidr("10.0.0.0/16".into())],
            description: "producer API",
        },
        Step::CreateLaunchTemplate {
            name: ROLE.into(),
            data: TemplateData {
                image_id: "ami-1".into(),
                instance_type: "t3.small".into(),
                security_group_ids: vec![pending_sg],
                instance_profile: "t-instance".into(),
                user_data: String::new(),
                instance_tags: BTreeMap::new(),
            },
            description: "v1.2.3".into(),
        },
        Step::CreateGroup {
            name: ROLE.into(),
            min: 1,
            max: 3,
            desired: 2,
            subnets: vec!["subnet-a".into()],
            target_group: None,
        },
        Step::PutCpuTarget { group: ROLE.into(), policy: "cpu".into(), target_percent: 60.0 },
    ]
}

async fn run(aws: &FakeAws, steps: &[Step]) -> (Result<(), FleetError>, RoleOutcome) {
    let mut applier = Applier {
        aws,
        progress: &Silent,
        names: names(),
        tags: BTreeMap::new(),
        bound: BTreeMap::new(),
        load_balancer: None,
    };
    let mut outcome = RoleOutcome::default();
    let result = applier.run(steps, &mut outcome).await;
    (result, outcome)
}

#[tokio::test]
async fn a_new_role_is_created_in_dependency_order_with_the_new_ids_bound() {
    let aws = FakeAws::default();
    let (result, outcome) = run(&aws, &new_role_steps()).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        aws.calls(),
        [
            "ec2:CreateSecurityGroup t-producers",
            "ec2:AuthorizeSecurityGroupIngress sg-t-producers 8080 from [Cidr(\"10.0.0.0/16\")]",
            "ec2:CreateLaunchTemplate t-producer [\"sg-t-producers\"]",
            "autoscaling:CreateAutoScalingGroup t-producer lt-t-producer:1 []",
            "autoscaling:PutScalingPolicy t-producer cpu 60",
        ]
    );
    assert_eq!(outcome.template, Some(("lt-t-producer".to_string(), 1)));
}

#[tokio::test]
async fn a_failing_step_stops_the_steps_after_it() {
    let aws = FakeAws::failing_on("ec2:CreateLaunchTemplate");
    let (result, outcome) = run(&aws, &new_role_steps()).await;
    let error = result.err().map(|err| err.to_string()).unwrap_or_default();
    assert!(error.contains("ec2:CreateLaunchTemplate"), "{error}");
    assert_eq!(
        aws.actions(),
        ["ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateLaunchTemplate"]
    );
    assert_eq!(outcome.template, None);
}

#[tokio::test]
async fn a_new_template_version_is_what_the_refresh_rolls_out() {
    let aws = FakeAws::default();
    let template = crate::aws::launch_template::LaunchTemplate {
        id: "lt-1".into(),
        name: ROLE.into(),
        latest_version: 4,
        tags: Default::default(),
    };
    let data = match &new_role_steps()[2] {
        Step::CreateLaunchTemplate { data, .. } => data.clone(),
        other => panic!("unexpected step {other:?}"),
    };
    let steps = [
        Step::CreateTemplateVersion { template, data, description: "v1.2.4".into() },
        Step::StartRefresh { group: ROLE.into() },
    ];
    let (result, outcome) = run(&aws, &steps).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        aws.calls(),
        ["ec2:CreateLaunchTemplateVersion lt-1", "autoscaling:StartInstanceRefresh t-producer lt-1:5"]
    );
    assert_eq!(outcome.refresh_id.as_deref(), Some("refresh-t-producer"));
}

#[tokio::test]
async fn a_group_step_without_a_template_version_is_refused_before_any_call() {
    let aws = FakeAws::default();
    let steps = &new_role_steps()[3..4];
    let (result, _) = run(&aws, steps).await;
    assert!(matches!(result, Err(FleetError::NotProvisioned { .. })), "{result:?}");
    assert!(aws.calls().is_empty());
}
