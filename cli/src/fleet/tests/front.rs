//! The producers' front door: the load balancer's rules and listeners, and
//! the port the producers listen on.

use super::{role_plan, Case};
use crate::aws::ec2::RuleSource;
use crate::fleet::diff::{listener_changes, rule_changes};
use crate::fleet::plan::Step;
use crate::fleet::target::tcp_rules;
use crate::profile::RoleName;

#[test]
fn load_balancer_rules_follow_the_configured_ranges() {
    let actual = tcp_rules(80, [RuleSource::Cidr("0.0.0.0/0".into())]);
    let desired = tcp_rules(80, [RuleSource::Cidr("203.0.113.0/24".into())]);
    let changes = rule_changes(&actual, &desired);
    assert_eq!((changes.open.clone(), changes.close.clone()), (desired.clone(), actual.clone()));
    assert!(rule_changes(&desired, &desired).is_empty());
}

#[test]
fn adding_a_certificate_moves_the_api_to_https_and_redirects_port_80() {
    use crate::aws::elb::ListenerAction;
    use crate::fleet::desired::listeners;
    let mut actual = listeners(None, "tg");
    actual[0].arn = "arn-80".into();
    let changes = listener_changes(&actual, &listeners(Some("arn:aws:acm:r:1:certificate/c"), "tg"));
    assert_eq!(changes.create.len(), 1);
    assert_eq!((changes.create[0].port, changes.create[0].protocol.as_str()), (443, "HTTPS"));
    assert_eq!(
        (changes.modify[0].0.as_str(), &changes.modify[0].1.action),
        ("arn-80", &ListenerAction::RedirectToHttps)
    );
    assert!(changes.delete.is_empty());
    assert!(listener_changes(&actual, &listeners(None, "tg")).is_empty());
}

#[test]
fn a_producer_port_other_than_8000_is_where_the_producer_listens() {
    use base64::Engine;
    let mut case = Case::new("50k", "v1");
    case.environment.producer_port = 9000;
    let plan = case.plan(&case.empty());
    let producer = role_plan(&plan, RoleName::Producer);
    let Step::CreateLaunchTemplate { data, .. } = &producer.steps[0] else { panic!("{:?}", producer.steps) };
    let script = base64::engine::general_purpose::STANDARD
        .decode(&data.user_data)
        .map(|bytes| String::from_utf8_lossy(&bytes).to_string())
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(script.contains("PRODUCER_LISTEN_ADDR=0.0.0.0:9000"), "{script}");
    assert!(script.contains("-p 9000:9000"), "{script}");
    // The metrics listener has its own address, published on loopback only.
    assert!(script.contains("PRODUCER_METRICS_ADDR=0.0.0.0:8002"), "{script}");
    assert!(script.contains("-p 127.0.0.1:8002:8002"), "{script}");
    let producer_sg = &plan.shared[8];
    assert!(producer_sg.steps.iter().any(|step| matches!(step, Step::Authorize { port: 9000, .. })));
    let consumer = role_plan(&plan, RoleName::SmsConsumer);
    let Step::CreateLaunchTemplate { data, .. } = &consumer.steps[0] else { panic!("{:?}", consumer.steps) };
    let script = base64::engine::general_purpose::STANDARD.decode(&data.user_data).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&script).contains("PRODUCER_LISTEN_ADDR"));
}

#[test]
fn only_the_api_is_routed_and_everything_else_gets_a_404() {
    use crate::aws::elb::ListenerAction;
    use crate::fleet::desired::{listeners, API_PATH_PATTERN};
    use crate::fleet::target::Pending;
    let case = Case::new("50k", "v1");
    let plan = case.plan(&case.empty());
    let row = plan.shared.iter().find(|row| row.kind == crate::fleet::plan::ResourceKind::Listeners);
    let steps = &row.unwrap_or_else(|| panic!("{:?}", plan.shared)).steps;
    let [Step::CreateListener(listener), Step::CreateRule { listener: pending, route }] = &steps[..] else {
        panic!("{steps:?}")
    };
    assert_eq!((listener.port, &listener.action), (80, &ListenerAction::NotFound));
    assert_eq!(pending, &Pending::Listener.id("80"));
    assert_eq!(route.path_patterns, [API_PATH_PATTERN]);

    // A listener that forwarded everything (before routes): the route comes
    // first, then the default becomes the 404, so /v1 is served throughout.
    let mut actual = case.deployed();
    let target_group = actual.target_group.clone().map(|group| group.arn).unwrap_or_default();
    actual.listeners[0].action = ListenerAction::Forward(target_group.clone());
    actual.listeners[0].routes.clear();
    let plan = case.plan(&actual);
    let row = plan.shared.iter().find(|row| row.kind == crate::fleet::plan::ResourceKind::Listeners);
    let steps = &row.unwrap_or_else(|| panic!("{:?}", plan.shared)).steps;
    assert!(
        matches!(&steps[..], [Step::CreateRule { listener, .. }, Step::ModifyListener { arn, .. }]
            if listener == "arn:listener-80" && arn == "arn:listener-80"),
        "{steps:?}"
    );
    // Once routed, a second plan keeps it all.
    let mut routed = listeners(None, &target_group);
    routed[0].arn = "arn:listener-80".into();
    actual.listeners = routed;
    assert!(!case.plan(&actual).has_changes());
}

#[test]
fn metrics_ports_open_only_to_the_monitoring_the_environment_names() {
    use crate::aws::ec2::RuleSource;
    use crate::fleet::plan::ResourceKind;
    let case = Case::new("50k", "v1");
    let plan = case.plan(&case.empty());
    let names = crate::naming::fleet::FleetNames::for_env(&case.environment);
    let metrics =
        plan.shared.iter().find(|row| row.kind == ResourceKind::SecurityGroup && row.name == names.metrics_sg);
    let metrics = metrics.unwrap_or_else(|| panic!("{:?}", plan.shared));
    assert!(
        matches!(&metrics.steps[..], [Step::CreateSecurityGroup { .. }]),
        "no rule by default: {:?}",
        metrics.steps
    );

    let monitored = Case {
        environment: super::environment(
            "{allow_plain_http: true, monitoring_cidrs: [10.0.5.0/24], monitoring_security_group: sg-0123456789abcdef0}",
        ),
        ..Case::new("50k", "v1")
    };
    let plan = monitored.plan(&monitored.empty());
    let metrics = plan.shared.iter().find(|row| row.name == names.metrics_sg);
    let steps = &metrics.unwrap_or_else(|| panic!("{:?}", plan.shared)).steps;
    let opened: Vec<(u16, Vec<RuleSource>)> = steps
        .iter()
        .filter_map(|step| match step {
            Step::Authorize { port, sources, .. } => Some((*port, sources.clone())),
            _ => None,
        })
        .collect();
    let sources = vec![RuleSource::Cidr("10.0.5.0/24".into()), RuleSource::Group("sg-0123456789abcdef0".into())];
    assert_eq!(opened, [(8002, sources.clone()), (8001, sources)]);
}
