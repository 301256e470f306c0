//! The stores the consumers write to, as `verify` reads them: which canary
//! records arrived, when, and removing them again. PostgreSQL today; MongoDB
//! is one more implementation of `Store`.

use std::time::{Duration, SystemTime};

use forgectl_contract::tables::table_name;
use forgectl_contract::Kind;
use futures::future::BoxFuture;

use super::ProveError;
use crate::render::PostgresConnection;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One stored record of a canary upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub batch_id: String,
    pub record_index: i32,
    /// The canary's own record number (`seq` in the record), when present:
    /// the same `seq` stored twice is a duplicate whatever its key.
    pub seq: Option<i64>,
    /// When the store wrote it, on the store's clock.
    pub stored_at: SystemTime,
}

pub trait Store: Send + Sync {
    /// "postgresql", "mongodb": for reports.
    fn name(&self) -> &'static str;

    /// The store's clock now, to put its timestamps on this machine's clock.
    fn now(&self) -> BoxFuture<'_, Result<SystemTime, ProveError>>;

    /// Every stored record of `kind` with `device_id`.
    fn records<'a>(&'a self, kind: Kind, device_id: &'a str) -> BoxFuture<'a, Result<Vec<StoredRecord>, ProveError>>;

    /// Removes every record of `kind` with `device_id`; returns how many.
    fn delete<'a>(&'a self, kind: Kind, device_id: &'a str) -> BoxFuture<'a, Result<u64, ProveError>>;
}

/// The consumers' PostgreSQL tables in `sync_db`: one per topic, keyed by
/// (device_id, batch_id, record_index), so a lookup by device is indexed.
pub struct PostgresStore {
    client: tokio_postgres::Client,
    driver: tokio::task::JoinHandle<()>,
    location: String,
}

impl PostgresStore {
    pub async fn connect(postgres: &PostgresConnection) -> Result<PostgresStore, ProveError> {
        let location = format!("{}:{}/{}", postgres.host, postgres.port, postgres.sync_database);
        let failed = |reason: String| ProveError::Store { store: "postgresql", location: location.clone(), reason };
        let port: u16 =
            postgres.port.parse().map_err(|_| failed(format!("port `{}` is not a number", postgres.port)))?;
        let mut config = tokio_postgres::Config::new();
        config
            .host(&postgres.host)
            .port(port)
            .user(&postgres.username)
            .dbname(&postgres.sync_database)
            .application_name("forgectl-verify")
            .connect_timeout(CONNECT_TIMEOUT);
        if let Some(password) = &postgres.password {
            config.password(password);
        }
        let (client, driver) =
            forgectl_postgres_tls::connect(&config, &postgres.tls()).await.map_err(|err| failed(err.to_string()))?;
        Ok(PostgresStore { client, driver, location })
    }

    fn failed(&self, reason: impl std::fmt::Display) -> ProveError {
        ProveError::Store { store: "postgresql", location: self.location.clone(), reason: reason.to_string() }
    }

    /// The quoted table of `kind`, or `None` before the consumer created it.
    async fn table(&self, kind: Kind) -> Result<Option<String>, ProveError> {
        let table = table_name(kind.topic());
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&format!("public.{table}")])
            .await
            .map_err(|err| self.failed(err))?
            .get(0);
        // `table_name` leaves only [a-z0-9_], so quoting is enough.
        Ok(exists.then(|| format!("\"{table}\"")))
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl PostgresStore {
    async fn clock(&self) -> Result<SystemTime, ProveError> {
        let row = self.client.query_one("SELECT now()", &[]).await.map_err(|err| self.failed(err))?;
        row.try_get::<_, SystemTime>(0).map_err(|err| self.failed(err))
    }

    async fn stored(&self, kind: Kind, device_id: &str) -> Result<Vec<StoredRecord>, ProveError> {
        let Some(table) = self.table(kind).await? else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT batch_id, record_index, (record->>'seq')::bigint, ingested_at FROM {table} WHERE device_id = $1"
        );
        let rows = self.client.query(&sql, &[&device_id]).await.map_err(|err| self.failed(err))?;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            records.push(StoredRecord {
                batch_id: row.try_get(0).map_err(|err| self.failed(err))?,
                record_index: row.try_get(1).map_err(|err| self.failed(err))?,
                seq: row.try_get(2).map_err(|err| self.failed(err))?,
                stored_at: row.try_get(3).map_err(|err| self.failed(err))?,
            });
        }
        Ok(records)
    }

    async fn remove(&self, kind: Kind, device_id: &str) -> Result<u64, ProveError> {
        let Some(table) = self.table(kind).await? else {
            return Ok(0);
        };
        self.client
            .execute(&format!("DELETE FROM {table} WHERE device_id = $1"), &[&device_id])
            .await
            .map_err(|err| self.failed(err))
    }
}

impl Store for PostgresStore {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn now(&self) -> BoxFuture<'_, Result<SystemTime, ProveError>> {
        Box::pin(self.clock())
    }

    fn records<'a>(&'a self, kind: Kind, device_id: &'a str) -> BoxFuture<'a, Result<Vec<StoredRecord>, ProveError>> {
        Box::pin(self.stored(kind, device_id))
    }

    fn delete<'a>(&'a self, kind: Kind, device_id: &'a str) -> BoxFuture<'a, Result<u64, ProveError>> {
        Box::pin(self.remove(kind, device_id))
    }
}
