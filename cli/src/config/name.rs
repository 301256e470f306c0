//! Environment names end up in AWS resource names, IAM ARNs, SSM paths,
//! tags and boot scripts, so they are checked before any of that is built.

/// At most this many characters (issue 10's rule: `[a-z][a-z0-9-]{0,31}`).
pub const MAX_ENVIRONMENT_NAME: usize = 32;

/// `[a-z][a-z0-9-]{0,31}`: a lowercase letter, then lowercase letters,
/// digits and hyphens.
pub fn environment_name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("is empty".into()),
        Some(first) if !first.is_ascii_lowercase() => {
            return Some(format!("starts with `{first}`; it must start with a lowercase letter"))
        }
        Some(_) => {}
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Some(format!("contains `{bad}`; only lowercase letters, digits and `-` are allowed"));
    }
    if name.len() > MAX_ENVIRONMENT_NAME {
        return Some(format!("is {} characters long; at most {MAX_ENVIRONMENT_NAME}", name.len()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_fit_resource_names_pass() {
        for name in ["a", "prod", "local", "cost-plan123", "e2", &"a".repeat(32)] {
            assert_eq!(environment_name_problem(name), None, "{name}");
        }
    }

    #[test]
    fn names_that_would_break_a_resource_name_are_refused() {
        for name in ["", "Prod", "9lives", "-x", "dev_1", "a b", "dev;rm", "ümlaut", &"a".repeat(33)] {
            assert!(environment_name_problem(name).is_some(), "{name:?}");
        }
    }
}
