//! `client_auth: sasl-scram` on the AWS emulator: `provision` creates the
//! customer managed KMS key and the `AmazonMSK_` secret it encrypts, and
//! associates the secret with the cluster; a re-run changes nothing;
//! `destroy` removes them. What AWS holds is checked with the SDK directly.

mod common;

use common::{mutating, text, CpEnv};
use serde_json::Value;

struct Clients {
    runtime: tokio::runtime::Runtime,
    kafka: aws_sdk_kafka::Client,
    kms: aws_sdk_kms::Client,
    secrets: aws_sdk_secretsmanager::Client,
}

impl Clients {
    fn new() -> Self {
        let (runtime, config) = common::emulator_sdk();
        Clients {
            kafka: aws_sdk_kafka::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            runtime,
        }
    }

    /// The key the alias points to: (key ID, ARN, manager, state).
    fn key_behind(&self, alias: &str) -> Option<(String, String, String, String)> {
        let aliases = self
            .runtime
            .block_on(self.kms.list_aliases().limit(1000).send())
            .unwrap_or_else(|err| panic!("ListAliases: {err:?}"));
        let key_id = aliases.aliases().iter().find(|a| a.alias_name() == Some(alias))?.target_key_id()?.to_string();
        let key = self
            .runtime
            .block_on(self.kms.describe_key().key_id(&key_id).send())
            .unwrap_or_else(|err| panic!("DescribeKey: {err:?}"));
        let meta = key.key_metadata().unwrap_or_else(|| panic!("no KeyMetadata"));
        Some((
            key_id,
            meta.arn().unwrap_or_default().to_string(),
            meta.key_manager().map(|m| m.as_str().to_string()).unwrap_or_default(),
            meta.key_state().map(|s| s.as_str().to_string()).unwrap_or_default(),
        ))
    }

    fn key_state(&self, key_id: &str) -> String {
        let key = self
            .runtime
            .block_on(self.kms.describe_key().key_id(key_id).send())
            .unwrap_or_else(|err| panic!("DescribeKey: {err:?}"));
        key.key_metadata().and_then(|m| m.key_state()).map(|s| s.as_str().to_string()).unwrap_or_default()
    }

    /// (ARN, KmsKeyId, tag forgectl:env) of a live secret.
    fn secret(&self, name: &str) -> Option<(String, Option<String>, Option<String>)> {
        let output = self.runtime.block_on(self.secrets.describe_secret().secret_id(name).send()).ok()?;
        if output.deleted_date().is_some() {
            return None;
        }
        let env_tag =
            output.tags().iter().find(|t| t.key() == Some("forgectl:env")).and_then(|t| t.value()).map(str::to_string);
        Some((output.arn().unwrap_or_default().to_string(), output.kms_key_id().map(str::to_string), env_tag))
    }

    fn secret_json(&self, name: &str) -> Value {
        let output = self
            .runtime
            .block_on(self.secrets.get_secret_value().secret_id(name).send())
            .unwrap_or_else(|err| panic!("GetSecretValue: {err:?}"));
        serde_json::from_str(output.secret_string().unwrap_or_default()).unwrap_or_else(|err| panic!("{err}"))
    }

    fn associated(&self, cluster_arn: &str) -> Vec<String> {
        let output = self
            .runtime
            .block_on(self.kafka.list_scram_secrets().cluster_arn(cluster_arn).send())
            .unwrap_or_else(|err| panic!("ListScramSecrets: {err:?}"));
        output.secret_arn_list().to_vec()
    }
}

fn resource<'a>(plan: &'a Value, kind: &str) -> &'a Value {
    plan["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["resource"] == kind))
        .unwrap_or_else(|| panic!("no {kind} in plan: {plan}"))
}

#[test]
fn sasl_scram_provision_creates_key_secret_and_association_then_converges_and_destroys() {
    let mut env = CpEnv::with_settings("scram", "    client_auth: sasl-scram\n");
    let aws = Clients::new();
    let prefix = format!("forgectl-{}", env.name);
    let secret_name = format!("AmazonMSK_{prefix}-clients");
    let alias = format!("alias/{prefix}-msk-scram");

    let plan = env.json(&["plan"]);
    assert_eq!(resource(&plan, "scram-key")["action"]["type"], "create", "{plan}");
    assert_eq!(resource(&plan, "scram-secret")["action"]["type"], "create", "{plan}");
    assert_eq!(resource(&plan, "scram-secret")["name"], secret_name.as_str());

    let output = env.forgectl().args(["--output", "json", "provision", "--yes", "--skip-topics"]).output();
    let output = output.unwrap_or_else(|err| panic!("{err}"));
    common::assert_success(&output, &["provision"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}"));
    let cluster_arn =
        report["cluster"]["arn"].as_str().unwrap_or_else(|| panic!("no cluster arn: {report}")).to_string();
    assert_eq!(report["client_auth"], "sasl-scram");
    assert_eq!(report["bootstrap_brokers"], "127.0.0.1:29296,127.0.0.1:29297,127.0.0.1:29298", "{report}");

    // The key: customer managed, behind forgectl's alias.
    let (key_id, key_arn, manager, state) = aws.key_behind(&alias).unwrap_or_else(|| panic!("no key behind {alias}"));
    assert_eq!((manager.as_str(), state.as_str()), ("CUSTOMER", "Enabled"));
    // The secret: AmazonMSK_ name, that key, forgectl's tags, a generated password.
    let (secret_arn, secret_key, env_tag) =
        aws.secret(&secret_name).unwrap_or_else(|| panic!("no secret {secret_name}"));
    assert_eq!(secret_key.as_deref(), Some(key_arn.as_str()));
    assert_eq!(env_tag.as_deref(), Some(env.name.as_str()));
    let login = aws.secret_json(&secret_name);
    assert_eq!(login["username"], prefix.as_str());
    let password = login["password"].as_str().unwrap_or_default().to_string();
    assert_eq!(password.len(), 32, "generated password length");
    // Associated, as MSK lists it.
    assert_eq!(aws.associated(&cluster_arn), vec![secret_arn.clone()]);
    // The password is nowhere in what provision printed.
    for stream in [&output.stdout, &output.stderr] {
        assert!(!text(stream).contains(&password), "password printed by provision");
    }

    // Converged: the plan has nothing pending, a re-run makes no mutating call.
    let plan = env.json(&["plan"]);
    assert_eq!(plan["pending"], false, "{plan}");
    assert_eq!(resource(&plan, "scram-key")["action"]["type"], "no-op");
    assert_eq!(resource(&plan, "scram-secret")["action"]["type"], "no-op");
    env.take_calls();
    env.provision("50k");
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());

    // Destroy: the secret is gone, the key is scheduled for deletion, the alias deleted.
    env.keep = true;
    let output = env.destroy();
    common::assert_success(&output, &["destroy"]);
    assert!(aws.secret(&secret_name).is_none(), "secret still there after destroy");
    assert_eq!(aws.key_state(&key_id), "PendingDeletion");
    assert!(aws.key_behind(&alias).is_none(), "alias still there after destroy");
    let again = env.destroy();
    common::assert_success(&again, &["destroy"]);
}
