//! Field-level differences the plan is made of: inbound rules, listeners,
//! launch template data.

use crate::aws::ec2::IngressRule;
use crate::aws::elb::Listener;
use crate::aws::elb_rules::Route;
use crate::aws::launch_template::{TemplateData, TemplateVersion};

use super::desired::version_from_description;
use super::target::Pending;

/// What to open and what to close so that a group's inbound rules are
/// exactly `desired`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleChanges {
    pub open: Vec<IngressRule>,
    pub close: Vec<IngressRule>,
}

impl RuleChanges {
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.close.is_empty()
    }

    pub fn describe(&self) -> String {
        let open = self.open.iter().map(|rule| format!("+{rule}"));
        let close = self.close.iter().map(|rule| format!("-{rule}"));
        open.chain(close).collect::<Vec<_>>().join(", ")
    }
}

pub fn rule_changes(actual: &[IngressRule], desired: &[IngressRule]) -> RuleChanges {
    RuleChanges {
        open: desired.iter().filter(|rule| !actual.contains(rule)).cloned().collect(),
        close: actual.iter().filter(|rule| !desired.contains(rule)).cloned().collect(),
    }
}

/// How the load balancer's listeners get to the desired set, matched by port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenerChanges {
    pub create: Vec<Listener>,
    /// The existing listener's ARN and what it becomes.
    pub modify: Vec<(String, Listener)>,
    pub delete: Vec<Listener>,
    /// Routes to add to a listener that exists (its ARN), or to one this
    /// deploy creates (a `Pending::Listener` ID). A new listener's routes
    /// are here too: a listener is created with its default action only.
    pub create_routes: Vec<(String, Route)>,
    /// Routes of listeners that stay, which no longer belong.
    pub delete_routes: Vec<Route>,
}

impl ListenerChanges {
    pub fn is_empty(&self) -> bool {
        self.create.is_empty()
            && self.modify.is_empty()
            && self.delete.is_empty()
            && self.create_routes.is_empty()
            && self.delete_routes.is_empty()
    }

    pub fn describe(&self) -> String {
        let create = self.create.iter().map(|l| format!("+{l}"));
        let modify = self.modify.iter().map(|(_, l)| format!("~{l}"));
        let delete = self.delete.iter().map(|l| format!("-{l}"));
        // A new listener's routes are in its own description already.
        let new_listeners: Vec<String> =
            self.create.iter().map(|l| Pending::Listener.id(&l.port.to_string())).collect();
        let create_routes = self
            .create_routes
            .iter()
            .filter(|(listener, _)| !new_listeners.contains(listener))
            .map(|(_, route)| format!("+route {route}"));
        let delete_routes = self.delete_routes.iter().map(|route| format!("-route {route}"));
        create.chain(modify).chain(delete).chain(create_routes).chain(delete_routes).collect::<Vec<_>>().join(", ")
    }
}

pub fn listener_changes(actual: &[Listener], desired: &[Listener]) -> ListenerChanges {
    let mut changes = ListenerChanges::default();
    for want in desired {
        let have = actual.iter().find(|have| have.port == want.port);
        let (listener, current): (String, &[Route]) = match have {
            Some(have) => (have.arn.clone(), &have.routes),
            None => (Pending::Listener.id(&want.port.to_string()), &[]),
        };
        for route in &want.routes {
            if !current.iter().any(|have| have.same_routing(route)) {
                changes.create_routes.push((listener.clone(), route.clone()));
            }
        }
        let stale = current.iter().filter(|have| !want.routes.iter().any(|route| route.same_routing(have)));
        changes.delete_routes.extend(stale.cloned());
        match have {
            None => changes.create.push(want.clone()),
            Some(have)
                if (&have.protocol, &have.certificate_arn, &have.action)
                    != (&want.protocol, &want.certificate_arn, &want.action) =>
            {
                changes.modify.push((have.arn.clone(), want.clone()))
            }
            Some(_) => {}
        }
    }
    changes.delete = actual.iter().filter(|have| !desired.iter().any(|want| want.port == have.port)).cloned().collect();
    changes
}

/// Which fields differ between a template version and the desired data.
pub fn template_changes(current: &TemplateVersion, desired: &TemplateData, version: &str) -> Vec<&'static str> {
    let mut changes = Vec::new();
    if version_from_description(current.description.as_deref()).as_deref() != Some(version) {
        changes.push("version");
    }
    let data = &current.data;
    if data.image_id != desired.image_id {
        changes.push("ami");
    }
    if data.instance_type != desired.instance_type {
        changes.push("instance type");
    }
    if data.security_group_ids != desired.security_group_ids {
        changes.push("security groups");
    }
    if data.instance_profile != desired.instance_profile {
        changes.push("instance profile");
    }
    // The boot script embeds the version; other edits (brokers, settings)
    // count on their own.
    if data.user_data != desired.user_data && !changes.contains(&"version") {
        changes.push("boot script");
    }
    if data.instance_tags != desired.instance_tags {
        changes.push("tags");
    }
    changes
}
