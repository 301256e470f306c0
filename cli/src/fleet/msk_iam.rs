//! `client_auth: iam` for the services: the variables that switch their
//! Kafka clients to MSK IAM (SASL_SSL, OAUTHBEARER tokens signed with the
//! instance role), and the role's permissions on exactly this cluster's
//! topics and groups.

use forgectl_contract::env_vars::{DI_KAFKA_MSK_IAM_REGION, DI_KAFKA_SECURITY_PROTOCOL};
use serde_json::{json, Value};

use crate::render::{EnvVar, ServiceEnv};

/// The role's environment with MSK IAM on: tokens signed for `region`.
pub fn with_msk_iam(env: &mut ServiceEnv, region: &str) {
    env.vars.retain(|var| var.name != DI_KAFKA_SECURITY_PROTOCOL && var.name != DI_KAFKA_MSK_IAM_REGION);
    for (name, value) in [(DI_KAFKA_SECURITY_PROTOCOL, "SASL_SSL"), (DI_KAFKA_MSK_IAM_REGION, region)] {
        env.vars.push(EnvVar { name: name.to_string(), value: value.to_string(), secret: false });
    }
}

/// `arn:…:cluster/NAME/UUID` → `arn:…:KIND/NAME/UUID/*`: every topic or
/// group of that cluster and of no other.
fn cluster_resources(cluster_arn: &str, kind: &str) -> Option<String> {
    let (prefix, rest) = cluster_arn.split_once(":cluster/")?;
    Some(format!("{prefix}:{kind}/{rest}/*"))
}

/// The instance policy plus what the services do on the cluster: connect,
/// produce (idempotently), consume, describe and commit in their groups.
/// Unchanged when `cluster_arn` is `None` (no IAM) or not a cluster ARN.
pub fn with_cluster_access(mut policy: Value, cluster_arn: Option<&str>) -> Value {
    let Some(cluster) = cluster_arn else {
        return policy;
    };
    let (Some(topics), Some(groups)) = (cluster_resources(cluster, "topic"), cluster_resources(cluster, "group"))
    else {
        return policy;
    };
    let statements = [
        json!({
            "Sid": "MskConnect",
            "Effect": "Allow",
            "Action": ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
            "Resource": cluster
        }),
        json!({
            "Sid": "MskTopics",
            "Effect": "Allow",
            "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData"],
            "Resource": topics
        }),
        json!({
            "Sid": "MskGroups",
            "Effect": "Allow",
            "Action": ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
            "Resource": groups
        }),
    ];
    if let Some(list) = policy.get_mut("Statement").and_then(Value::as_array_mut) {
        list.extend(statements);
    }
    policy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::RoleName;

    const CLUSTER: &str =
        "arn:aws:kafka:eu-west-1:123456789012:cluster/forgectl-prod/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-2";

    #[test]
    fn the_services_switch_to_sasl_ssl_with_tokens_for_the_region() {
        let mut env = ServiceEnv {
            role: RoleName::Producer,
            vars: vec![EnvVar { name: DI_KAFKA_SECURITY_PROTOCOL.into(), value: "PLAINTEXT".into(), secret: false }],
        };
        with_msk_iam(&mut env, "eu-west-1");
        assert_eq!(env.get(DI_KAFKA_SECURITY_PROTOCOL), Some("SASL_SSL"));
        assert_eq!(env.get(DI_KAFKA_MSK_IAM_REGION), Some("eu-west-1"));
        assert_eq!(env.vars.len(), 2, "{:?}", env.vars);
    }

    #[test]
    fn the_role_reaches_only_this_clusters_topics_and_groups() {
        let base = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Other"}]});
        assert_eq!(with_cluster_access(base.clone(), None), base);
        let policy = with_cluster_access(base, Some(CLUSTER));
        let text = policy.to_string();
        for expected in [
            "\"Sid\":\"Other\"",
            "kafka-cluster:Connect",
            "kafka-cluster:WriteDataIdempotently",
            "kafka-cluster:DescribeTopic",
            "kafka-cluster:ReadData",
            "kafka-cluster:WriteData",
            "kafka-cluster:DescribeGroup",
            "kafka-cluster:AlterGroup",
            "arn:aws:kafka:eu-west-1:123456789012:topic/forgectl-prod/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-2/*",
            "arn:aws:kafka:eu-west-1:123456789012:group/forgectl-prod/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-2/*",
        ] {
            assert!(text.contains(expected), "missing {expected} in {text}");
        }
        assert!(!text.contains("kafka-cluster:*") && !text.contains("\"Resource\":\"*\""), "{text}");
    }
}
