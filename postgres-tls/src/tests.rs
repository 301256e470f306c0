use super::*;

#[test]
fn verify_full_is_the_default_and_weaker_modes_must_be_named() {
    assert_eq!(PgTls::default().mode, SslMode::VerifyFull);
    assert_eq!("verify-full".parse::<SslMode>().ok(), Some(SslMode::VerifyFull));
    assert_eq!("require".parse::<SslMode>().ok(), Some(SslMode::Require));
    assert_eq!("DISABLE".parse::<SslMode>().ok(), Some(SslMode::Disable));
    for silent_fallback in ["prefer", "allow", "verify-ca", "", "off"] {
        let err = silent_fallback.parse::<SslMode>().err().map(|err| err.to_string()).unwrap_or_default();
        assert!(err.contains("verify-full, require or disable"), "{silent_fallback:?}: {err}");
    }
}

#[test]
fn only_disable_leaves_tls_off() {
    for (mode, expected) in [
        (SslMode::VerifyFull, tokio_postgres::config::SslMode::Require),
        (SslMode::Require, tokio_postgres::config::SslMode::Require),
        (SslMode::Disable, tokio_postgres::config::SslMode::Disable),
    ] {
        let mut config = tokio_postgres::Config::new();
        PgTls { mode, root_cert: None }.apply(&mut config);
        assert_eq!(config.get_ssl_mode(), expected, "{mode}");
    }
}

#[test]
fn a_missing_or_empty_ca_bundle_is_named() {
    let missing = PgTls::verify_full(Some(PathBuf::from("/nonexistent/ca.pem")));
    let err = missing.connector().err().map(|err| err.to_string()).unwrap_or_default();
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");

    let dir = std::env::temp_dir().join(format!("forgectl-pgtls-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let empty = dir.join("empty.pem");
    let _ = std::fs::write(&empty, "not a certificate\n");
    let err = PgTls::verify_full(Some(empty.clone())).connector().err().map(|err| err.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(err.as_deref().is_some_and(|err| err.contains("holds no PEM certificate")), "{err:?}");
}

#[test]
fn web_roots_serve_when_no_bundle_is_named() {
    assert!(PgTls::default().connector().is_ok());
    assert!(PgTls { mode: SslMode::Require, root_cert: None }.connector().is_ok());
}
