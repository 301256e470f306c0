//! PostgreSQL over TLS against the stack's server: verify-full with the
//! stack's CA (what `dev/stack env` exports) connects; a certificate from
//! another CA or for another host name is refused with an error that says so.

use std::net::{IpAddr, Ipv4Addr};

use forgectl_service_common::postgres::{tls, PgTls, SslMode};
use forgectl_service_common::testkit::{tempdir::TempDir, Stack, TestCa};

fn stack() -> Stack {
    let stack = Stack::get();
    assert_eq!(stack.pg.tls.mode, SslMode::VerifyFull, "the tests run with the services' default");
    assert!(
        stack.pg.tls.root_cert.is_some(),
        "DI_POSTGRES_SSL_ROOT_CERT is not set: eval \"$(dev/stack env)\" (a stack that serves PostgreSQL over TLS)"
    );
    stack
}

#[tokio::test]
async fn a_service_pool_reaches_the_stack_over_verified_tls() {
    let stack = stack();
    let pool = stack.pg.pool(&stack.pg.sync_database, 1).unwrap_or_else(|e| panic!("{e}"));
    let client = pool.get().await.unwrap_or_else(|e| panic!("a verify-full connection to the stack failed: {e}"));
    let row = client
        .query_one("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(row.get::<_, bool>(0), "the connection is not encrypted");
    let version: String = row.get(1);
    assert!(version.starts_with("TLSv1.2") || version.starts_with("TLSv1.3"), "{version}");
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let dir = TempDir::new("forgectl-pgtls-");
    let stranger = TestCa::new(dir.path(), "stranger");
    let mut pg = stack().pg;
    pg.tls = PgTls::verify_full(Some(stranger.cert.clone()));
    let err = pg.connect(&pg.sync_database).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("invalid peer certificate") && err.contains("UnknownIssuer"), "{err}");
    assert!(err.contains("sslmode=verify-full"), "{err}");

    // `require`, named, encrypts without checking who answers.
    pg.tls.mode = SslMode::Require;
    let client = pg.connect(&pg.sync_database).await.unwrap_or_else(|e| panic!("require: {e}"));
    let row = client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await;
    assert!(row.map(|row| row.get::<_, bool>(0)).unwrap_or(false), "require did not encrypt");
}

#[tokio::test]
async fn a_host_name_the_certificate_does_not_name_is_refused() {
    let pg = stack().pg;
    // The stack's address, dialled under a name its certificate lacks.
    let mut config = tokio_postgres::Config::new();
    config
        .host("db.forgectl-mismatch.invalid")
        .hostaddr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .port(pg.port)
        .user(&pg.user)
        .password(pg.password.expose())
        .dbname(&pg.sync_database);
    let err = tls::connect(&config, &pg.tls).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("certificate not valid for name \"db.forgectl-mismatch.invalid\""), "{err}");
}
