//! Checks of the `services` settings before anything reaches AWS, which
//! would refuse a malformed value only halfway through a deploy.

use super::schema::ServicesSpec;

/// The first problem: the key, what is wrong, and how to fix it.
pub fn problem(services: &ServicesSpec) -> Option<(&'static str, String, &'static str)> {
    if services.keep_images == 0 || services.keep_images > 1000 {
        return Some((
            "services.keep_images",
            format!("{} is outside 1-1000", services.keep_images),
            "ECR lifecycle rules count images from 1 to 1000; 30 is a common choice",
        ));
    }
    if let Some(arn) = services.certificate_arn.as_deref().filter(|arn| !is_certificate_arn(arn)) {
        return Some((
            "services.certificate_arn",
            format!("`{arn}` is not an ACM certificate ARN"),
            "give the full ARN, arn:aws:acm:<region>:<account>:certificate/<id>, of a certificate in the environment's region",
        ));
    }
    let cidr_lists = [
        (
            "services.load_balancer_cidrs",
            &services.load_balancer_cidrs,
            "write ranges like 203.0.113.0/24, or 0.0.0.0/0 for everyone",
        ),
        (
            "services.monitoring_cidrs",
            &services.monitoring_cidrs,
            "write the monitoring servers' ranges like 10.0.5.0/24",
        ),
    ];
    for (key, cidrs, hint) in cidr_lists {
        if let Some(bad) = cidrs.iter().find(|cidr| !is_ipv4_cidr(cidr)) {
            return Some((key, format!("`{bad}` is not an IPv4 CIDR"), hint));
        }
    }
    if let Some(bad) = services.monitoring_security_group.as_deref().filter(|id| !is_security_group_id(id)) {
        return Some((
            "services.monitoring_security_group",
            format!("`{bad}` is not a security group ID"),
            "give the ID of the monitoring servers' security group, sg- and 8 or 17 hex digits",
        ));
    }
    None
}

fn is_certificate_arn(text: &str) -> bool {
    text.starts_with("arn:") && text.split(':').nth(2) == Some("acm") && text.contains(":certificate/")
}

/// `sg-` and 8 or 17 lowercase hex digits, as EC2 issues them.
fn is_security_group_id(text: &str) -> bool {
    text.strip_prefix("sg-").is_some_and(|hex| {
        matches!(hex.len(), 8 | 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn is_ipv4_cidr(text: &str) -> bool {
    let Some((address, bits)) = text.split_once('/') else {
        return false;
    };
    address.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|bits| bits <= 32)
}
