//! What a deploy refuses to expose: plain HTTP on the internet, producers
//! without an API key, a load balancer whose scheme would have to change.
//! Each refusal has its own opt-out in forgectl.yaml, named after it.

use super::{environment, Case};
use crate::exit::Exit;
use crate::fleet::plan::{Refusal, Step};
use crate::fleet::FleetError;

fn case(services: &str) -> Case {
    Case { environment: environment(services), ..Case::new("50k", "v1") }
}

fn reasons(refusals: &[Refusal]) -> Vec<String> {
    refusals.iter().map(Refusal::describe).collect()
}

#[test]
fn a_default_environment_refuses_plain_http_and_producers_without_keys() {
    let case = case("{}");
    let mut actual = case.empty();
    actual.api_keys.stored = false;
    let plan = case.plan(&actual);
    let reasons = reasons(&plan.refusals);
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("plain HTTP"), "{reasons:?}");
    assert!(reasons[1].contains("no API key") && reasons[1].contains("/forgectl/t/PRODUCER_API_KEYS"), "{reasons:?}");
    let refusal = plan.refusal().cloned().unwrap_or_else(|| panic!("refused"));
    let error = FleetError::from(refusal);
    assert_eq!(error.exit(), Exit::Usage);
    assert!(error.hint().is_some_and(|hint| hint.contains("allow_plain_http")), "{:?}", error.hint());
}

#[test]
fn a_certificate_and_a_key_need_no_opt_out() {
    let case = case("{certificate_arn: 'arn:aws:acm:us-east-1:1:certificate/c'}");
    let plan = case.plan(&case.empty());
    assert!(plan.refusals.is_empty(), "{:?}", reasons(&plan.refusals));
}

#[test]
fn each_opt_out_waives_only_its_own_refusal() {
    let case = case("{allow_anonymous_uploads: true}");
    let mut actual = case.empty();
    actual.api_keys.stored = false;
    let reasons = reasons(&case.plan(&actual).refusals);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("plain HTTP"));

    let case = self::case("{allow_plain_http: true, allow_anonymous_uploads: true}");
    assert!(case.plan(&actual).refusals.is_empty());
}

#[test]
fn anonymous_uploads_are_only_allowed_when_no_key_exists_yet() {
    // With keys stored the opt-out changes nothing: the keys are asked for.
    let case = case("{allow_plain_http: true, allow_anonymous_uploads: true}");
    assert!(case.plan(&case.empty()).refusals.is_empty());
}

#[test]
fn an_internal_load_balancer_may_serve_plain_http_and_is_created_internal() {
    let case = case("{load_balancer_scheme: internal}");
    let plan = case.plan(&case.empty());
    assert!(plan.refusals.is_empty(), "{:?}", reasons(&plan.refusals));
    let create = plan.shared.iter().flat_map(|row| &row.steps).find_map(|step| match step {
        Step::CreateLoadBalancer { scheme, .. } => Some(*scheme),
        _ => None,
    });
    assert_eq!(create, Some("internal"));
}

#[test]
fn a_scheme_change_is_refused_because_elb_cannot_make_it_in_place() {
    let case = case("{load_balancer_scheme: internal}");
    let actual = case.deployed();
    let plan = case.plan(&actual);
    let Some(Refusal::SchemeChange { from, to, .. }) = plan.refusal() else { panic!("{:?}", plan.refusals) };
    assert_eq!((from.as_str(), to.as_str()), ("internet-facing", "internal"));
    let error = FleetError::from(plan.refusals[0].clone());
    assert_eq!(error.exit(), Exit::Usage);
}
