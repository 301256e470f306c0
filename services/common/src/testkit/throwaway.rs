//! Servers a test starts and stops itself (PostgreSQL restarts, a Kafka
//! broker stopped), so the shared dev stack is never disturbed.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use super::test_ca::TestCa;
use super::{free_port, repo_root};
use crate::kafka::KafkaSettings;
use crate::postgres::{PgSettings, PgTls};
use crate::secret::Secret;

/// A PostgreSQL server of the test's own, for tests that restart it. It
/// serves TLS with a certificate from its own CA, as the stack does.
pub struct ThrowawayPg {
    pub dir: tempdir::TempDir,
    pub port: u16,
    /// The CA that signed the server's certificate (127.0.0.1, localhost).
    pub ca: std::path::PathBuf,
}

pub mod tempdir {
    /// A directory removed on drop (no extra crate for one test helper).
    pub struct TempDir(pub std::path::PathBuf);
    impl TempDir {
        pub fn new(prefix: &str) -> TempDir {
            let p = std::env::temp_dir().join(super::super::unique(prefix));
            std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("creating {}: {e}", p.display()));
            TempDir(p)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

fn as_postgres(args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {args:?} as postgres: {e}"));
    out
}

impl ThrowawayPg {
    /// initdb + start on a free loopback port, trust auth, database `sync_db`.
    pub fn start() -> ThrowawayPg {
        let dir = tempdir::TempDir::new("forgectl-pg-");
        let _ = std::process::Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
        let data = dir.path().join("data");
        let data_s = data.display().to_string();
        let out =
            as_postgres(&[&format!("{PG_BIN}/initdb"), "-D", &data_s, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let tls = TestCa::new(&dir.path().join("tls"), "throwaway-pg");
        let server = tls.server_cert("server");
        for (file, mode) in [(&server.cert, "0644"), (&server.key, "0600")] {
            let target = data.join(file.file_name().unwrap_or_default());
            std::fs::copy(file, &target).unwrap_or_else(|e| panic!("copying {}: {e}", file.display()));
            let _ = std::process::Command::new("chown").arg("postgres:postgres").arg(&target).status();
            let _ = std::process::Command::new("chmod").arg(mode).arg(&target).status();
        }
        let pg = ThrowawayPg { port: free_port(), dir, ca: tls.cert.clone() };
        pg.pg_ctl_start();
        let out = as_postgres(&[
            &format!("{PG_BIN}/psql"),
            "-h",
            "127.0.0.1",
            "-p",
            &pg.port.to_string(),
            "-U",
            "postgres",
            "-c",
            "CREATE DATABASE sync_db",
        ]);
        assert!(out.status.success(), "createdb failed: {}", String::from_utf8_lossy(&out.stderr));
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn pg_ctl_start(&self) {
        let log = self.dir.path().join("pg.log").display().to_string();
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c ssl=on -c ssl_cert_file=server.pem -c ssl_key_file=server.key",
            self.port,
            self.dir.path().display()
        );
        let out = as_postgres(&[
            &format!("{PG_BIN}/pg_ctl"),
            "-D",
            &self.data(),
            "-l",
            &log,
            "-o",
            &opts,
            "-w",
            "-t",
            "60",
            "start",
        ]);
        assert!(out.status.success(), "pg_ctl start failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn stop(&self) {
        let out =
            as_postgres(&[&format!("{PG_BIN}/pg_ctl"), "-D", &self.data(), "-m", "fast", "-w", "-t", "60", "stop"]);
        assert!(out.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn start_again(&self) {
        self.pg_ctl_start();
    }

    /// Service variables pointing at this server.
    pub fn env(&self) -> HashMap<String, String> {
        [
            ("DI_POSTGRES_HOST", "127.0.0.1".to_string()),
            ("DI_POSTGRES_PORT", self.port.to_string()),
            ("DI_POSTGRES_USERNAME", "postgres".to_string()),
            ("DI_POSTGRES_DATABASE", "postgres".to_string()),
            ("DI_POSTGRES_SYNC_DATABASE", "sync_db".to_string()),
            ("DI_POSTGRES_SSL_ROOT_CERT", self.ca.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    pub fn settings(&self) -> PgSettings {
        PgSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            user: "postgres".into(),
            password: Secret::default(),
            database: "postgres".into(),
            sync_database: "sync_db".into(),
            connect_timeout: Duration::from_secs(3),
            tls: PgTls::verify_full(Some(self.ca.clone())),
        }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        self.settings()
            .connect("sync_db")
            .await
            .unwrap_or_else(|e| panic!("connecting to the throwaway PostgreSQL: {e}"))
    }
}

impl Drop for ThrowawayPg {
    fn drop(&mut self) {
        let _ = as_postgres(&[&format!("{PG_BIN}/pg_ctl"), "-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }
}

/// A 3-node KRaft cluster of the test's own (same jars and settings as
/// dev/stack), for tests that stop a broker.
pub struct ThrowawayKafka {
    pub dir: tempdir::TempDir,
    pub ports: Vec<u16>,
    /// Broker settings appended to each node's properties.
    extra: String,
    children: Vec<Option<std::process::Child>>,
}

impl ThrowawayKafka {
    pub fn bootstrap(&self) -> String {
        self.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect::<Vec<_>>().join(",")
    }

    fn props(&self, n: usize, controllers: &[u16]) -> String {
        let voters: Vec<String> =
            controllers.iter().enumerate().map(|(i, p)| format!("{}@127.0.0.1:{p}", i + 1)).collect();
        let data = self.dir.path().join(format!("node-{}", n + 1));
        format!(
            "process.roles=broker,controller\nnode.id={id}\ncontroller.quorum.voters={voters}\n\
             controller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
             inter.broker.listener.name=PLAINTEXT\nlog.dirs={data}\nauto.create.topics.enable=false\ndefault.replication.factor=3\n\
             min.insync.replicas=2\noffsets.topic.replication.factor=3\ntransaction.state.log.replication.factor=3\n\
             transaction.state.log.min.isr=2\nnum.partitions=1\ngroup.initial.rebalance.delay.ms=0\nnum.network.threads=2\n\
             num.io.threads=2\nnum.recovery.threads.per.data.dir=1\n{extra}\n",
            id = n + 1,
            voters = voters.join(","),
            port = self.ports[n],
            cport = controllers[n],
            data = data.display(),
            extra = self.extra,
        )
    }

    fn java(args: &[&str]) -> std::process::Command {
        let libs = repo_root().join("dev/.cache/kafka-libs");
        let log4j = repo_root().join("dev/kafka/log4j2.properties");
        let mut c = std::process::Command::new("java");
        c.args(["-Xms128m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"])
            .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
            .arg("-cp")
            .arg(format!("{}/*", libs.display()))
            .args(args);
        c
    }

    pub fn start() -> ThrowawayKafka {
        Self::start_with("")
    }

    /// A cluster whose brokers also get `extra` (`key=value` lines), for
    /// tests that scale broker timing down, e.g. how often retention runs.
    pub fn start_with(extra: &str) -> ThrowawayKafka {
        let libs = repo_root().join("dev/.cache/kafka-libs");
        assert!(libs.is_dir(), "{} is missing: run dev/setup", libs.display());
        let dir = tempdir::TempDir::new("forgectl-kafka-");
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let controllers: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut k = ThrowawayKafka { dir, ports, extra: extra.to_string(), children: Vec::new() };
        let cluster_id = "Zm9yZ2VjdGwtdGVzdC1rZg";
        let mut formats = Vec::new();
        for n in 0..3 {
            let props = k.dir.path().join(format!("server-{}.properties", n + 1));
            std::fs::write(&props, k.props(n, &controllers)).unwrap_or_else(|e| panic!("{e}"));
            let p = props.display().to_string();
            formats.push(
                Self::java(&["kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", &p, "--ignore-formatted"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap_or_else(|e| panic!("formatting kafka storage: {e}")),
            );
        }
        for mut f in formats {
            let ok = f.wait().map(|s| s.success()).unwrap_or(false);
            assert!(ok, "kafka storage format failed");
        }
        for n in 0..3 {
            let child = k.spawn_node(n);
            k.children.push(Some(child));
        }
        k
    }

    fn spawn_node(&self, n: usize) -> std::process::Child {
        let props = self.dir.path().join(format!("server-{}.properties", n + 1)).display().to_string();
        let log = std::fs::File::create(self.dir.path().join(format!("kafka-{}.log", n + 1)))
            .unwrap_or_else(|e| panic!("{e}"));
        let err = log.try_clone().unwrap_or_else(|e| panic!("{e}"));
        Self::java(&["kafka.Kafka", &props])
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting kafka node {}: {e}", n + 1))
    }

    /// Waits until all three brokers are in the metadata.
    pub async fn wait_ready(&self, timeout: Duration) {
        let settings = KafkaSettings::plaintext(self.bootstrap());
        let consumer: BaseConsumer = settings.client_config().create().unwrap_or_else(|e| panic!("{e}"));
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Ok(md) = consumer.fetch_metadata(None, Duration::from_secs(3)) {
                if md.brokers().len() == 3 {
                    return;
                }
            }
            assert!(std::time::Instant::now() < deadline, "throwaway kafka did not start in {timeout:?}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Stops node `n` (0-based) with SIGTERM, as an orchestrator would, and
    /// waits for it to exit.
    pub fn stop_node(&mut self, n: usize) {
        if let Some(mut child) = self.children[n].take() {
            let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }

    pub fn start_node(&mut self, n: usize) {
        if self.children[n].is_none() {
            self.children[n] = Some(self.spawn_node(n));
        }
    }
}

impl Drop for ThrowawayKafka {
    fn drop(&mut self) {
        for child in self.children.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
