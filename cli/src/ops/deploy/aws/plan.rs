//! The aws deploy plan from what `observe` read: the launch
//! template data each role should run and the shared resources' changes.

use crate::aws::autoscaling::Group;
use crate::aws::ec2::{IngressRule, RuleSource};
use crate::aws::launch_template::TemplateData;
use crate::fleet::desired::{self, BootContext};
use crate::fleet::plan::{listener_changes, plan_role, rule_changes, tcp_rules, Change, FleetPlan, SharedChange};
use crate::fleet::FleetError;
use crate::naming::{environment_tags, TAG_NAME};
use crate::ops::deploy::aws::observe::{AwsDeployOptions, Fleet, READY_PATH};
use crate::ops::render::CONSUMER_METRICS_PORT;
use crate::profile::RoleName;

/// Placeholder for a security group `deploy` has not created yet: the plan
/// then shows the template changing, which it will.
const NEW_GROUP: &str = "(new)";

/// The launch template data of `role`, with the security groups known so far.
pub fn template_for(
    fleet: &Fleet,
    options: &AwsDeployOptions,
    role: RoleName,
    producer_sg: Option<&str>,
) -> Result<TemplateData, FleetError> {
    let environment = &options.environment;
    let spec = options.profile.role(role).ok_or_else(|| FleetError::Invalid {
        env: environment.name.clone(),
        message: format!("role {role} is not in tier {}", options.profile.tier),
        hint: "pick a role of the tier".into(),
    })?;
    let instance_type = desired::instance_type(environment, spec);
    let image_id = fleet.images.get(desired::ami_parameter(&instance_type)).cloned().unwrap_or_default();
    let env = fleet.envs.get(&role).ok_or_else(|| FleetError::Invalid {
        env: environment.name.clone(),
        message: format!("role {role} was not read"),
        hint: "re-run deploy".into(),
    })?;
    let boot = BootContext {
        environment: &environment.name,
        region: &fleet.scope.region,
        registry: &fleet.registry,
        version: &options.version,
        names: &fleet.names,
        ports: desired::role_ports(role, environment.producer_port, CONSUMER_METRICS_PORT),
    };
    let script = desired::user_data(env, &boot)?;
    let mut groups = vec![fleet.client_sg.as_str()];
    if role == RoleName::Producer {
        groups.push(producer_sg.unwrap_or(NEW_GROUP));
    }
    let mut tags = environment_tags(environment);
    tags.insert(TAG_NAME.into(), fleet.names.group(role));
    Ok(desired::template_data(&image_id, instance_type, &groups, &fleet.names, &script, tags))
}

/// The plan: shared resources first, then one row per role.
pub fn plan(fleet: &Fleet, options: &AwsDeployOptions) -> Result<FleetPlan, FleetError> {
    let names = &fleet.names;
    let mut shared = Vec::new();
    let keep = options.environment.services.keep_images;
    for repo in &fleet.repositories {
        let lifecycle = fleet.lifecycle_policies.get(&repo.name).cloned().flatten();
        let lifecycle_ok = lifecycle.is_some_and(|text| desired::same_json(&text, &desired::lifecycle_policy(keep)));
        let change = SharedChange::new(
            "ecr repository",
            &repo.name,
            if repo.scan_on_push && lifecycle_ok { Change::Keep } else { Change::Update },
        );
        shared.push(match (repo.scan_on_push, lifecycle_ok) {
            (true, true) => change,
            (false, _) => change.because("scan on push off"),
            (true, false) => change.because(format!("lifecycle: keep the newest {keep}")),
        });
    }
    let policy = desired::instance_policy(&fleet.scope, names);
    shared.push(SharedChange::new(
        "iam role",
        &names.instance_role,
        if fleet.role.is_some() { Change::Keep } else { Change::Create },
    ));
    let policy_change = match &fleet.role_policy {
        None => Change::Create,
        Some(text) if desired::same_json(text, &policy) => Change::Keep,
        Some(_) => Change::Update,
    };
    shared.push(SharedChange::new("iam role policy", &names.role_policy, policy_change));
    let profile_change = match &fleet.instance_profile {
        None => Change::Create,
        Some(profile) if profile.roles.contains(&names.instance_role) => Change::Keep,
        Some(_) => Change::Update,
    };
    shared.push(SharedChange::new("instance profile", &names.instance_profile, profile_change));
    for secret in &fleet.secrets {
        shared.push(SharedChange::new("ssm securestring", &secret.parameter, secret.change()));
    }
    let producer = options.selected_roles().contains(&RoleName::Producer);
    if producer {
        for (name, desired) in front_rules(fleet, options) {
            let change = match fleet.security_groups.iter().find(|group| group.name == name) {
                None => SharedChange::new("security group", name, Change::Create),
                Some(group) => {
                    let changes = rule_changes(&group.ingress, &desired);
                    match changes.is_empty() {
                        true => SharedChange::new("security group", name, Change::Keep),
                        false => SharedChange::new("security group", name, Change::Update).because(changes.describe()),
                    }
                }
            };
            shared.push(change);
        }
        let target_group_change = match &fleet.target_group {
            None => Change::Create,
            Some(group) if group.health_check_path == READY_PATH => Change::Keep,
            Some(_) => Change::Update,
        };
        shared.push(
            SharedChange::new("target group", &names.target_group, target_group_change)
                .because(format!("health check {READY_PATH}")),
        );
        let lb_change = if fleet.load_balancer.is_some() { Change::Keep } else { Change::Create };
        shared.push(SharedChange::new("load balancer", &names.load_balancer, lb_change));
        let target_group_arn = fleet.target_group.as_ref().map(|group| group.arn.as_str()).unwrap_or(NEW_GROUP);
        let changes =
            listener_changes(&fleet.listeners, &desired::listeners(certificate_arn(options), target_group_arn));
        let listener_change = match (changes.is_empty(), fleet.listeners.is_empty()) {
            (true, _) => SharedChange::new("listeners", &names.load_balancer, Change::Keep),
            (false, true) => SharedChange::new("listeners", &names.load_balancer, Change::Create),
            (false, false) => SharedChange::new("listeners", &names.load_balancer, Change::Update),
        };
        shared.push(if changes.is_empty() { listener_change } else { listener_change.because(changes.describe()) });
    }

    let producer_sg = fleet.security_groups.iter().find(|group| group.name == names.producer_sg).map(|g| g.id.as_str());
    let mut roles = Vec::new();
    for role in options.selected_roles() {
        let desired = template_for(fleet, options, role, producer_sg)?;
        let observed = fleet.roles.get(&role).cloned().unwrap_or_default();
        if let Some(plan) = plan_role(&options.profile, role, &observed, &desired, &options.version) {
            roles.push(plan);
        }
    }
    Ok(FleetPlan { version: options.version.clone(), roles, shared })
}

/// The inbound rules of the load balancer's and the producers' groups. The
/// producers' rule names the load balancer's group, unknown until it exists.
pub fn front_rules(fleet: &Fleet, options: &AwsDeployOptions) -> Vec<(String, Vec<IngressRule>)> {
    let names = &fleet.names;
    let lb_rules = load_balancer_rules(options);
    let lb_group = fleet.security_groups.iter().find(|group| group.name == names.load_balancer_sg);
    let producer_rules = tcp_rules(
        options.environment.producer_port,
        [RuleSource::Group(lb_group.map(|group| group.id.clone()).unwrap_or_else(|| NEW_GROUP.into()))],
    );
    vec![(names.load_balancer_sg.clone(), lb_rules), (names.producer_sg.clone(), producer_rules)]
}

pub fn certificate_arn(options: &AwsDeployOptions) -> Option<&str> {
    options.environment.services.certificate_arn.as_deref()
}

/// The listeners' ports, open to the configured ranges.
pub fn load_balancer_rules(options: &AwsDeployOptions) -> Vec<IngressRule> {
    let cidrs = &options.environment.services.load_balancer_cidrs;
    desired::listeners(certificate_arn(options), "")
        .iter()
        .flat_map(|listener| tcp_rules(listener.port, cidrs.iter().cloned().map(RuleSource::Cidr)))
        .collect()
}

/// The group of `role` as last read.
pub fn group_of(fleet: &Fleet, role: RoleName) -> Option<&Group> {
    fleet.roles.get(&role).and_then(|observed| observed.group.as_ref())
}
