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
    let producer_sg = &plan.shared[7];
    assert!(producer_sg.steps.iter().any(|step| matches!(step, Step::Authorize { port: 9000, .. })));
    let consumer = role_plan(&plan, RoleName::SmsConsumer);
    let Step::CreateLaunchTemplate { data, .. } = &consumer.steps[0] else { panic!("{:?}", consumer.steps) };
    let script = base64::engine::general_purpose::STANDARD.decode(&data.user_data).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&script).contains("PRODUCER_LISTEN_ADDR"));
}
