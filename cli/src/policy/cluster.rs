//! Grants for the control plane: the network lookups, the security groups,
//! the MSK cluster and configuration, the topic API and the SCRAM secret.
//!
//! Resource-level permissions follow the Service Authorization Reference:
//! EC2's Describe* calls, `kafka:ListClustersV2`, `kafka:ListConfigurations`,
//! `kafka:CreateConfiguration`, `kafka:DescribeClusterOperation`,
//! `kms:ListAliases`, `kms:CreateKey` and `secretsmanager:GetRandomPassword`
//! take no resource, so they get `*`. Security groups and KMS keys have IDs
//! for names, so tags (`aws:ResourceTag`, `aws:RequestTag`) scope them; the
//! cluster, its configuration and the secret are scoped by name in the ARN.

use super::{Scope, Statement};

/// Lookups of the network, shared by plan, provision, deploy and destroy.
pub fn network_read() -> Vec<Statement> {
    vec![Statement::allow_any_resource(
        "Ec2DescribeNoResourceLevel",
        &["ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"],
    )]
}

/// Creating the environment's security groups (tagged at creation) and
/// changing the rules of those that carry its tag.
pub fn security_groups_write(scope: &Scope) -> Vec<Statement> {
    let group = scope.arn("ec2", "security-group/*");
    vec![
        Statement::allow("Ec2CreateTaggedSecurityGroups", &["ec2:CreateSecurityGroup"], vec![group.clone()])
            .creating_tagged(scope),
        Statement::allow("Ec2CreateSecurityGroupsInVpc", &["ec2:CreateSecurityGroup"], vec![scope.arn("ec2", "vpc/*")]),
        // Tags given in CreateSecurityGroup need ec2:CreateTags for that call only.
        Statement::allow("Ec2TagOnCreate", &["ec2:CreateTags"], vec![group.clone()]).when(
            "StringEquals",
            "ec2:CreateAction",
            vec!["CreateSecurityGroup".into()],
        ),
        Statement::allow(
            "Ec2ChangeOwnSecurityGroups",
            &["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:CreateTags"],
            vec![group],
        )
        .on_tagged(scope),
    ]
}

pub fn security_groups_delete(scope: &Scope) -> Vec<Statement> {
    vec![Statement::allow(
        "Ec2DeleteOwnSecurityGroups",
        &["ec2:DeleteSecurityGroup", "ec2:RevokeSecurityGroupIngress"],
        vec![scope.arn("ec2", "security-group/*")],
    )
    .on_tagged(scope)]
}

fn cluster_arn(scope: &Scope) -> String {
    scope.arn("kafka", &format!("cluster/{}/*", scope.names.cluster))
}

fn configuration_arn(scope: &Scope) -> String {
    scope.arn("kafka", &format!("configuration/{}/*", scope.names.configuration))
}

pub fn msk_read(scope: &Scope) -> Vec<Statement> {
    vec![
        Statement::allow_any_resource(
            "MskListNoResourceLevel",
            &["kafka:ListClustersV2", "kafka:ListConfigurations", "kafka:DescribeClusterOperation"],
        ),
        Statement::allow(
            "MskReadOwnCluster",
            &["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"],
            vec![cluster_arn(scope)],
        ),
        Statement::allow(
            "MskReadOwnConfiguration",
            &["kafka:DescribeConfigurationRevision"],
            vec![configuration_arn(scope)],
        ),
    ]
}

pub fn msk_write(scope: &Scope) -> Vec<Statement> {
    vec![
        Statement::allow("MskCreateTaggedCluster", &["kafka:CreateClusterV2"], vec![cluster_arn(scope)])
            .creating_tagged(scope),
        Statement::allow(
            "MskUpdateOwnCluster",
            &[
                "kafka:UpdateBrokerCount",
                "kafka:UpdateBrokerStorage",
                "kafka:UpdateBrokerType",
                "kafka:UpdateMonitoring",
                "kafka:UpdateClusterConfiguration",
                "kafka:TagResource",
            ],
            vec![cluster_arn(scope)],
        ),
        Statement::allow_any_resource("MskCreateConfigurationNoResourceLevel", &["kafka:CreateConfiguration"]),
        Statement::allow("MskUpdateOwnConfiguration", &["kafka:UpdateConfiguration"], vec![configuration_arn(scope)]),
        // MSK creates its service-linked role with the first cluster of an account.
        Statement::allow(
            "MskServiceLinkedRole",
            &["iam:CreateServiceLinkedRole"],
            vec![scope.iam_arn("role/aws-service-role/kafka.amazonaws.com/*")],
        )
        .when("StringEquals", "iam:AWSServiceName", vec!["kafka.amazonaws.com".into()]),
    ]
}

pub fn msk_delete(scope: &Scope) -> Vec<Statement> {
    vec![
        Statement::allow("MskDeleteOwnCluster", &["kafka:DeleteCluster"], vec![cluster_arn(scope)]).on_tagged(scope),
        Statement::allow("MskDeleteOwnConfiguration", &["kafka:DeleteConfiguration"], vec![configuration_arn(scope)]),
    ]
}

/// The MSK topic API (ListTopics, DescribeTopic, DescribeTopicPartitions)
/// is authorised with the `kafka-cluster:` actions of the cluster and its
/// topics, as the MSK developer guide's "Topic Operations" tables list.
pub fn topics_read(scope: &Scope) -> Vec<Statement> {
    vec![Statement::allow(
        "MskTopicApiRead",
        &["kafka-cluster:Connect", "kafka-cluster:DescribeTopic", "kafka-cluster:DescribeTopicDynamicConfiguration"],
        vec![cluster_arn(scope), topic_arn(scope)],
    )]
}

/// CreateTopic and UpdateTopic (partitions, configs). `topics sync` never
/// deletes without `--prune`, which provision does not pass.
pub fn topics_write(scope: &Scope) -> Vec<Statement> {
    vec![Statement::allow(
        "MskTopicApiWrite",
        &["kafka-cluster:CreateTopic", "kafka-cluster:AlterTopic", "kafka-cluster:AlterTopicDynamicConfiguration"],
        vec![topic_arn(scope)],
    )]
}

fn topic_arn(scope: &Scope) -> String {
    scope.arn("kafka", &format!("topic/{}/*", scope.names.cluster))
}

fn secret_arn(scope: &Scope) -> String {
    // Secrets Manager appends six random characters to the name in the ARN.
    scope.arn("secretsmanager", &format!("secret:{}-*", scope.names.scram_secret))
}

fn alias_arn(scope: &Scope) -> String {
    scope.arn("kms", &scope.names.scram_key_alias)
}

/// `client_auth: sasl-scram`: the secret, its KMS key and the association.
pub fn scram_read(scope: &Scope) -> Vec<Statement> {
    vec![
        Statement::allow_any_resource("KmsListAliasesNoResourceLevel", &["kms:ListAliases"]),
        Statement::allow(
            "KmsReadOwnKey",
            &["kms:DescribeKey", "kms:ListResourceTags"],
            vec![scope.arn("kms", "key/*")],
        )
        .on_tagged(scope),
        Statement::allow("ScramReadOwnSecret", &["secretsmanager:DescribeSecret"], vec![secret_arn(scope)]),
        Statement::allow("ScramListClusterSecrets", &["kafka:ListScramSecrets"], vec![cluster_arn(scope)]),
    ]
}

pub fn scram_write(scope: &Scope) -> Vec<Statement> {
    vec![
        Statement::allow_any_resource("KmsCreateTaggedKey", &["kms:CreateKey", "kms:TagResource"])
            .creating_tagged(scope),
        Statement::allow("KmsAliasOwnKey", &["kms:CreateAlias"], vec![alias_arn(scope), scope.arn("kms", "key/*")]),
        Statement::allow_any_resource("SecretsRandomPasswordNoResourceLevel", &["secretsmanager:GetRandomPassword"]),
        Statement::allow(
            "ScramWriteOwnSecret",
            &["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:GetSecretValue"],
            vec![secret_arn(scope)],
        ),
        Statement::allow("ScramAssociateSecret", &["kafka:BatchAssociateScramSecret"], vec![cluster_arn(scope)]),
        // Secrets Manager encrypts and reads the secret with the caller's rights on the key.
        secret_key_use(scope),
        // MSK reads the secret with the caller's KMS grant.
        Statement::allow("KmsGrantForMsk", &["kms:CreateGrant"], vec![scope.arn("kms", "key/*")])
            .on_tagged(scope)
            .when("StringLike", "kms:ViaService", vec![scope.via_service("kafka")]),
    ]
}

/// The customer managed key of the SCRAM secret, used only through Secrets Manager.
pub fn secret_key_use(scope: &Scope) -> Statement {
    Statement::allow(
        "KmsUseOwnKeyViaSecretsManager",
        &["kms:GenerateDataKey", "kms:Decrypt"],
        vec![scope.arn("kms", "key/*")],
    )
    .on_tagged(scope)
    .when("StringLike", "kms:ViaService", vec![scope.via_service("secretsmanager")])
}

pub fn scram_delete(scope: &Scope) -> Vec<Statement> {
    vec![
        Statement::allow("ScramDeleteOwnSecret", &["secretsmanager:DeleteSecret"], vec![secret_arn(scope)]),
        Statement::allow("KmsDeleteOwnAlias", &["kms:DeleteAlias"], vec![alias_arn(scope), scope.arn("kms", "key/*")]),
        Statement::allow("KmsScheduleOwnKeyDeletion", &["kms:ScheduleKeyDeletion"], vec![scope.arn("kms", "key/*")])
            .on_tagged(scope),
    ]
}
