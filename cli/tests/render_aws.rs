//! `render k8s` for an AWS environment on the local stack's emulator: the
//! brokers come from the environment's MSK cluster (GetBootstrapBrokers),
//! and rendering changes nothing on AWS.

mod common;

use common::{mutating, text, CpEnv};
use serde_json::Value;

const POSTGRES: &str = "    postgres:\n      host: db.internal\n      port: \"5432\"\n      username: mobileforge_user\n      \
                        password_env: DI_POSTGRES_PASSWORD\n      database: api_insights_db\n      sync_database: sync_db\n";

#[test]
fn k8s_for_an_aws_environment_takes_the_brokers_from_msk() {
    let env = CpEnv::with_settings("render", POSTGRES);
    let report = env.provision("25k");
    let tls = report["bootstrap_brokers"].as_str().map(str::to_string);
    let tls = tls.unwrap_or_else(|| panic!("provision reported no brokers: {report}"));
    env.take_calls();
    let output = env.forgectl().args(["--output", "json", "render", "k8s", "--tier", "25k"]).output();
    let output = output.unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new(), "render changed AWS");
    let documents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}"));
    let config = documents
        .iter()
        .find(|doc| doc["kind"] == "ConfigMap" && doc["metadata"]["name"] == "sms-consumer-env")
        .unwrap_or_else(|| panic!("no ConfigMap"));
    assert_eq!(config["data"]["DI_KAFKA_BROKER_ENDPOINT"], tls.as_str());
    assert_eq!(config["data"]["DI_KAFKA_SECURITY_PROTOCOL"], "SSL");
    // The stack's brokers have a private CA: mounted from a Secret, and KEDA gets it too.
    assert_eq!(config["data"]["DI_KAFKA_SSL_CA_LOCATION"], "/etc/forgectl/kafka/ca.crt");
    let authentication = documents.iter().find(|doc| doc["kind"] == "TriggerAuthentication");
    let authentication = authentication.unwrap_or_else(|| panic!("no TriggerAuthentication"));
    assert_eq!(authentication["spec"]["secretTargetRef"][0]["parameter"], "ca");
}
