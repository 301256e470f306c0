//! The PostgreSQL CA bundle on the instances. `postgres.ca_file` names a
//! file on the machine running forgectl; the boot script writes its
//! certificates (public, no secret) to `INSTANCE_PATH`, mounted read-only
//! into the container, and the service reads that path.

use std::path::Path;

use forgectl_contract::env_vars::DI_POSTGRES_SSL_ROOT_CERT;

use crate::render::ServiceEnv;

/// Where the instance and the container see the bundle.
pub const INSTANCE_PATH: &str = "/etc/forgectl/postgres-ca.pem";

/// EC2 refuses user data larger than this (before base64).
pub const USER_DATA_LIMIT: usize = 16 * 1024;

/// `env` as the instance runs it, and the certificates to put at
/// `INSTANCE_PATH`; `None` when no bundle is configured.
pub fn for_instance(env: &ServiceEnv) -> Result<(ServiceEnv, Option<String>), forgectl_postgres_tls::PgTlsError> {
    let Some(local) = env.get(DI_POSTGRES_SSL_ROOT_CERT) else {
        return Ok((env.clone(), None));
    };
    let pem = forgectl_postgres_tls::bundle_pem(Path::new(local))?;
    let mut env = env.clone();
    for var in env.vars.iter_mut().filter(|var| var.name == DI_POSTGRES_SSL_ROOT_CERT) {
        var.value = INSTANCE_PATH.to_string();
    }
    Ok((env, Some(pem)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::RoleName;
    use crate::render::EnvVar;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZm9yZ2VjdGw=\n-----END CERTIFICATE-----\n";

    fn role_env(ca: Option<&str>) -> ServiceEnv {
        let mut vars = vec![EnvVar { name: "DI_POSTGRES_HOST".into(), value: "db".into(), secret: false }];
        if let Some(ca) = ca {
            vars.push(EnvVar { name: DI_POSTGRES_SSL_ROOT_CERT.into(), value: ca.into(), secret: false });
        }
        ServiceEnv { role: RoleName::Producer, vars }
    }

    use crate::fleet::desired::tests::names;

    #[test]
    fn no_bundle_leaves_the_environment_alone() {
        let (env, pem) = for_instance(&role_env(None)).unwrap_or_else(|err| panic!("{err}"));
        assert!(pem.is_none());
        assert_eq!(env.get(DI_POSTGRES_SSL_ROOT_CERT), None);
    }

    #[test]
    fn the_instance_reads_its_own_copy_of_the_bundle() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
        let path = dir.path().join("rds.pem");
        std::fs::write(&path, format!("# a comment the boot script need not carry\n{CERT}"))
            .unwrap_or_else(|err| panic!("write: {err}"));
        let local = path.display().to_string();
        let (env, pem) = for_instance(&role_env(Some(&local))).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(env.get(DI_POSTGRES_SSL_ROOT_CERT), Some(INSTANCE_PATH));
        assert_eq!(pem.as_deref(), Some(CERT), "only the certificates travel");
        let names = names();
        let boot = crate::fleet::desired::BootContext {
            environment: "prod",
            region: "ap-south-1",
            registry: "123456789012.dkr.ecr.ap-south-1.amazonaws.com",
            version: "v1",
            names: &names,
            ports: vec![crate::fleet::desired::PublishedPort { port: 8000, loopback_only: false }],
            postgres_ca: pem,
        };
        let script = crate::fleet::desired::user_data(&env, &boot).unwrap_or_else(|err| panic!("{err}"));
        assert!(
            script.contains(&format!("cat > {INSTANCE_PATH} <<'FORGECTL_POSTGRES_CA'\n{CERT}FORGECTL_POSTGRES_CA\n")),
            "{script}"
        );
        assert!(script.contains(&format!("-v {INSTANCE_PATH}:{INSTANCE_PATH}:ro")), "{script}");
        assert!(script.contains(&format!("DI_POSTGRES_SSL_ROOT_CERT={INSTANCE_PATH}\n")), "{script}");
        assert!(!script.contains("a comment"), "{script}");

        let missing = for_instance(&role_env(Some("/nonexistent/rds.pem"))).err().map(|err| err.to_string());
        assert!(missing.is_some_and(|err| err.contains("/nonexistent/rds.pem")));
    }
}
