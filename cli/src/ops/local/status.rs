//! `status` for the local provider: the service processes and their
//! readiness, consumer lag per group, and the rows that reached PostgreSQL.

use serde::Serialize;
use tokio_postgres::NoTls;

use crate::console::Console;
use crate::error::CliError;
use crate::local::state::StateDir;
use crate::local::LocalError;
use crate::ops::local::runtime::{self as local_runtime, LocalStatus};
use crate::ops::topics::inspect::{self as topics_inspect, LagReport};
use crate::ops::topics::reconcile::{self as topics, TopicsOptions};
use crate::render::PostgresConnection;

#[derive(Debug, Clone)]
pub struct LocalStatusOptions {
    pub topics: TopicsOptions,
    pub state: StateDir,
    pub postgres: PostgresConnection,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableRows {
    pub topic: String,
    pub table: String,
    /// `None` when the consumer has not created the table yet.
    pub rows: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocalStatusReport {
    pub provider: &'static str,
    pub tier: String,
    #[serde(flatten)]
    pub processes: LocalStatus,
    pub lag: LagReport,
    pub total_lag: i64,
    pub rows: Vec<TableRows>,
}

pub async fn status(options: &LocalStatusOptions, console: &Console) -> Result<LocalStatusReport, CliError> {
    let profile = topics::desired(&options.topics)?;
    let processes = local_runtime::status(&options.state, &options.topics.target.environment.name).await?;
    let lag = topics_inspect::lag(&options.topics, &[], console).await?;
    let total_lag = lag.groups.iter().map(|group| group.total_lag).sum();
    let topic_names: Vec<String> = profile.topics.iter().map(|topic| topic.name.clone()).collect();
    let rows = row_counts(&options.postgres, &topic_names).await?;
    Ok(LocalStatusReport { provider: "local", tier: profile.tier, processes, lag, total_lag, rows })
}

/// Rows per topic table in `sync_db`, where the consumers write.
async fn row_counts(postgres: &PostgresConnection, topics: &[String]) -> Result<Vec<TableRows>, LocalError> {
    let failed =
        |reason: String| LocalError::Postgres { host: postgres.host.clone(), port: postgres.port.clone(), reason };
    let mut config = tokio_postgres::Config::new();
    config
        .host(&postgres.host)
        .port(postgres.port.parse().map_err(|_| failed(format!("port `{}` is not a number", postgres.port)))?)
        .user(&postgres.username)
        .dbname(&postgres.sync_database)
        .connect_timeout(std::time::Duration::from_secs(5));
    if let Some(password) = &postgres.password {
        config.password(password);
    }
    let (client, connection) = config.connect(NoTls).await.map_err(|err| failed(err.to_string()))?;
    let driver = tokio::spawn(connection);
    let mut counts = Vec::new();
    for topic in topics {
        let table = forgectl_service_common::tables::table_name(topic);
        let exists = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&format!("public.{table}")])
            .await
            .map_err(|err| failed(err.to_string()))?
            .get::<_, bool>(0);
        let rows = if exists {
            // `table` is built from [a-z0-9_] only, so quoting it is enough.
            let row = client
                .query_one(&format!("SELECT count(*) FROM \"{table}\""), &[])
                .await
                .map_err(|err| failed(err.to_string()))?;
            Some(row.get::<_, i64>(0))
        } else {
            None
        };
        counts.push(TableRows { topic: topic.clone(), table, rows });
    }
    drop(client);
    driver.abort();
    Ok(counts)
}
