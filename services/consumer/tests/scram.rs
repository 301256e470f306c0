//! The producer API and a consumer with `client_auth: sasl-scram`'s
//! variables (DI_KAFKA_SECURITY_PROTOCOL=SASL_SSL, DI_KAFKA_SASL_*) against
//! the stack's SASL_SSL listener: an upload reaches PostgreSQL. Requires
//! `dev/stack up` and `eval "$(dev/stack env)"` (KAFKA_SASL_*).

mod support;

use std::collections::HashMap;
use std::time::Duration;

use support::*;

const WAIT: Duration = Duration::from_secs(45);

fn required(variable: &str) -> String {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{variable} is not set: run dev/stack up && eval \"$(dev/stack env)\""),
    }
}

/// The service variables, switched to the SASL_SSL listener and its login.
fn over_scram(mut vars: HashMap<String, String>) -> HashMap<String, String> {
    vars.insert("DI_KAFKA_BROKER_ENDPOINT".into(), required("KAFKA_SASL_BOOTSTRAP_SERVERS"));
    vars.insert("DI_KAFKA_SECURITY_PROTOCOL".into(), "SASL_SSL".into());
    vars.insert("DI_KAFKA_SSL_CA_LOCATION".into(), required("KAFKA_TLS_CA_LOCATION"));
    vars.insert("DI_KAFKA_SASL_MECHANISM".into(), required("KAFKA_SASL_MECHANISM"));
    vars.insert("DI_KAFKA_SASL_USERNAME".into(), required("KAFKA_SASL_USERNAME"));
    vars.insert("DI_KAFKA_SASL_PASSWORD".into(), required("KAFKA_SASL_PASSWORD"));
    vars
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_reaches_postgres_over_sasl_scram() {
    let mut fx = Fixture::new("scram", 1).await;
    let group = fx.group("all");
    let consumer = start_consumer(&consumer_vars(&over_scram(fx.stack.service_env()), &fx.topics, &group));
    let p = start_producer(over_scram(fx.producer_vars())).await;
    let c = http();
    let records = records_for(Kind::Sms);
    upload(&c, &p.base, Kind::Sms, &upload_body("dev-scram", "sms-scram-1", records, 120)).await;
    let db = fx.db().await;
    wait_rows(&db, &fx.topic(Kind::Sms), records as i64, WAIT).await;
    consumer.stop().await;
    p.stop().await;
    fx.teardown().await;
}
