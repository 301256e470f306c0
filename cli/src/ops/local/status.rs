//! `status` for the local provider: the service processes and their
//! readiness, consumer lag per group, and the rows that reached PostgreSQL
//! (and the documents that reached MongoDB, when the environment has one).

use serde::Serialize;

use crate::cost::retention::{self, RetentionSizing};
use crate::cost::Workload;
use crate::local::state::StateDir;
use crate::local::LocalError;
use crate::ops::local::runtime::{self as local_runtime, LocalStatus};
use crate::ops::local::LocalOpError;
use crate::ops::topics::inspect::{self as topics_inspect, LagReport};
use crate::ops::topics::reconcile::{self as topics, TopicsOptions};
use crate::progress::Progress;
use crate::render::{MongoConnection, PostgresConnection};

#[derive(Debug, Clone)]
pub struct LocalStatusOptions {
    pub topics: TopicsOptions,
    pub state: StateDir,
    pub postgres: PostgresConnection,
    pub mongodb: Option<MongoConnection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableRows {
    pub topic: String,
    pub table: String,
    /// `None` when the consumer has not created the table yet.
    pub rows: Option<i64>,
    /// The topic's MongoDB collection and its documents (0 before the first
    /// write); `None` without a MongoDB sink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<CollectionDocuments>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CollectionDocuments {
    pub collection: String,
    pub documents: u64,
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
    /// The consumer outage the tier's retention tolerates, and its disk use.
    pub retention: RetentionSizing,
}

pub async fn status(options: &LocalStatusOptions, progress: &dyn Progress) -> Result<LocalStatusReport, LocalOpError> {
    let profile = topics::desired(&options.topics)?;
    let processes = local_runtime::status(&options.state, &options.topics.target.environment.name).await?;
    let lag = topics_inspect::lag(&options.topics, &[], progress).await?;
    let total_lag = lag.groups.iter().map(|group| group.total_lag).sum();
    let topic_names: Vec<String> = profile.topics.iter().map(|topic| topic.name.clone()).collect();
    let mut rows = row_counts(&options.postgres, &topic_names).await?;
    if let Some(mongodb) = &options.mongodb {
        for (table, documents) in rows.iter_mut().zip(document_counts(mongodb, &topic_names).await?) {
            table.documents = Some(documents);
        }
    }
    let workload = Workload::builtin()?;
    let retention = retention::size(&profile, &workload);
    Ok(LocalStatusReport { provider: "local", tier: profile.tier, processes, lag, total_lag, rows, retention })
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
    let (client, driver) =
        forgectl_postgres_tls::connect(&config, &postgres.tls()).await.map_err(|err| failed(err.to_string()))?;
    let mut counts = Vec::new();
    for topic in topics {
        let table = forgectl_contract::tables::table_name(topic);
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
        counts.push(TableRows { topic: topic.clone(), table, rows, documents: None });
    }
    drop(client);
    driver.abort();
    Ok(counts)
}

/// Documents per topic collection (the consumer names each after its topic).
async fn document_counts(mongodb: &MongoConnection, topics: &[String]) -> Result<Vec<CollectionDocuments>, LocalError> {
    use mongodb::bson::{doc, Document};
    use mongodb::options::{ClientOptions, Credential, ServerAddress};

    let failed = |reason: String| LocalError::Mongo { host: mongodb.host.clone(), port: mongodb.port.clone(), reason };
    let port = mongodb.port.parse().map_err(|_| failed(format!("port `{}` is not a number", mongodb.port)))?;
    let mut options = ClientOptions::default();
    options.hosts = vec![ServerAddress::Tcp { host: mongodb.host.clone(), port: Some(port) }];
    options.server_selection_timeout = Some(std::time::Duration::from_secs(5));
    options.connect_timeout = Some(std::time::Duration::from_secs(5));
    if let Some(username) = &mongodb.username {
        let mut credential = Credential::default();
        credential.username = Some(username.clone());
        credential.password = mongodb.password.clone();
        options.credential = Some(credential);
    }
    let client = mongodb::Client::with_options(options).map_err(|err| failed(err.to_string()))?;
    let database = client.database(&mongodb.database);
    let mut counts = Vec::new();
    for topic in topics {
        // An exact count: estimated counts come from metadata some
        // MongoDB-protocol servers keep loosely.
        let documents = database
            .collection::<Document>(topic)
            .count_documents(doc! {})
            .await
            .map_err(|err| failed(err.to_string()))?;
        counts.push(CollectionDocuments { collection: topic.clone(), documents });
    }
    Ok(counts)
}
