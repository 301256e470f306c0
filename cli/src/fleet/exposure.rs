//! What a deploy refuses to expose, checked before anything changes: the
//! producers' endpoint on the internet without TLS or without an API key,
//! and a load balancer whose scheme would have to change (ELB cannot).

use super::actual::Actual;
use super::plan::Refusal;
use super::target::Target;
use crate::config::LoadBalancerScheme;

/// Secure by default: an endpoint on the internet serves HTTPS, producers
/// ask for an API key, and the load balancer keeps its scheme. Each can be
/// waived only by its own setting in forgectl.yaml.
pub(super) fn refusals(actual: &Actual, target: &Target<'_>) -> Vec<Refusal> {
    let environment = target.environment;
    let services = &environment.services;
    let env = environment.name.clone();
    let mut refusals = Vec::new();
    let wanted = services.load_balancer_scheme.as_str();
    if let Some(lb) = actual.load_balancer.as_ref().filter(|lb| lb.scheme != wanted) {
        refusals.push(Refusal::SchemeChange {
            env: env.clone(),
            load_balancer: lb.name.clone(),
            from: lb.scheme.clone(),
            to: wanted.to_string(),
        });
    }
    let internet_facing = services.load_balancer_scheme == LoadBalancerScheme::InternetFacing;
    if internet_facing && target.certificate_arn().is_none() && !services.allow_plain_http {
        refusals.push(Refusal::Exposure {
            env: env.clone(),
            problem: "an internet-facing load balancer without a certificate would serve uploads over plain HTTP"
                .into(),
            hint: "set services.certificate_arn to an ACM certificate, or services.load_balancer_scheme: internal; \
                   to serve plain HTTP anyway, set services.allow_plain_http: true; nothing was changed"
                .into(),
        });
    }
    if !actual.api_keys.stored && !services.allow_anonymous_uploads {
        refusals.push(Refusal::Exposure {
            env: env.clone(),
            problem: format!("the producers have no API key ({} does not exist)", actual.api_keys.parameter),
            hint: format!(
                "create one with `forgectl --env {env} api-keys create NAME`; to accept uploads from anyone, \
                 set services.allow_anonymous_uploads: true; nothing was changed"
            ),
        });
    }
    refusals
}
