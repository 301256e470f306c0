//! Checks of the `alerts` subscriptions before anything reaches SNS, which
//! would refuse a malformed endpoint only halfway through a deploy.

use super::schema::AlertSubscriptions;

/// The first problem: the key, what is wrong, and how to fix it.
pub fn problem(alerts: &AlertSubscriptions) -> Option<(&'static str, String, &'static str)> {
    if let Some(bad) = alerts.email.iter().find(|address| !is_email(address)) {
        return Some((
            "alerts.email",
            format!("`{bad}` is not an email address"),
            "write addresses like oncall@example.com",
        ));
    }
    if let Some(bad) = alerts.https.iter().find(|url| !is_https_url(url)) {
        return Some((
            "alerts.https",
            format!("`{bad}` is not an https:// URL"),
            "SNS delivers to HTTPS endpoints only here: write the full URL, https://host/path",
        ));
    }
    for (key, list) in [("alerts.email", &alerts.email), ("alerts.https", &alerts.https)] {
        let mut unique = list.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != list.len() {
            return Some((key, "an endpoint is listed twice".into(), "list each endpoint once"));
        }
    }
    None
}

fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

fn is_https_url(text: &str) -> bool {
    text.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !text.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts(email: &[&str], https: &[&str]) -> AlertSubscriptions {
        AlertSubscriptions {
            email: email.iter().map(|s| s.to_string()).collect(),
            https: https.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn well_formed_endpoints_pass() {
        assert_eq!(problem(&alerts(&["oncall@example.com"], &["https://hooks.example.com/x?y=1"])), None);
        assert_eq!(problem(&AlertSubscriptions::default()), None);
    }

    #[test]
    fn malformed_or_repeated_endpoints_are_named() {
        assert_eq!(problem(&alerts(&["oncall"], &[])).map(|p| p.0), Some("alerts.email"));
        assert_eq!(problem(&alerts(&[], &["http://hooks.example.com"])).map(|p| p.0), Some("alerts.https"));
        assert_eq!(problem(&alerts(&[], &["https://"])).map(|p| p.0), Some("alerts.https"));
        assert_eq!(
            problem(&alerts(&["a@b.io", "a@b.io"], &[])).map(|p| p.1),
            Some("an endpoint is listed twice".into())
        );
    }
}
