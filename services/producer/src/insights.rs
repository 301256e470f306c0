//! API-insights rows, written off the request path. Requests hand a row to a
//! bounded channel without waiting; one task batches rows into PostgreSQL.
//! When the channel is full or the database is down, rows are dropped and
//! counted: an upload never fails or slows down because of insights.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use deadpool_postgres::Pool;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct InsightRow {
    pub at_ms: i64,
    pub route: String,
    pub status: u16,
    pub latency_us: i64,
    pub records: i32,
    pub bytes: i64,
    pub client: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InsightsError {
    #[error("getting a connection to the insights database: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("writing {rows} insight rows: {source}")]
    Write {
        rows: usize,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("creating the insights table: {0}")]
    Schema(#[source] tokio_postgres::Error),
}

/// The request-side handle. Cloning is cheap.
#[derive(Clone)]
pub struct Insights {
    tx: Option<mpsc::Sender<InsightRow>>,
}

impl Insights {
    pub fn disabled() -> Self {
        Self { tx: None }
    }

    pub fn record(&self, row: InsightRow) {
        let Some(tx) = &self.tx else { return };
        if tx.try_send(row).is_err() {
            metrics::counter!("producer_insights_dropped_total", "reason" => "queue_full").increment(1);
        }
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS api_insights (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    route text NOT NULL,
    status smallint NOT NULL,
    latency_us bigint NOT NULL,
    records integer NOT NULL,
    bytes bigint NOT NULL,
    client text NOT NULL
)";

const INSERT: &str = "INSERT INTO api_insights (at, route, status, latency_us, records, bytes, client)
    SELECT to_timestamp(at_ms / 1000.0), route, status::smallint, latency_us, records, bytes, client
    FROM UNNEST($1::int8[], $2::text[], $3::int4[], $4::int8[], $5::int4[], $6::int8[], $7::text[])
      AS u(at_ms, route, status, latency_us, records, bytes, client)";

/// Starts the writer task. It exits once every `Insights` handle is dropped
/// and the channel is drained, flushing what it holds.
pub fn spawn(pool: Pool, capacity: usize, batch: usize, flush_every: Duration) -> (Insights, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(capacity);
    let handle = tokio::spawn(writer(pool, rx, batch, flush_every));
    (Insights { tx: Some(tx) }, handle)
}

async fn writer(pool: Pool, mut rx: mpsc::Receiver<InsightRow>, batch: usize, flush_every: Duration) {
    let mut buf: Vec<InsightRow> = Vec::with_capacity(batch);
    let mut schema_ready = false;
    let mut ticker = tokio::time::interval(flush_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let (closed, tick) = tokio::select! {
            got = rx.recv_many(&mut buf, batch) => (got == 0, false),
            _ = ticker.tick() => (false, true),
        };
        // Rows wait at most one tick, or less when a batch fills up.
        if !buf.is_empty() && (closed || tick || buf.len() >= batch) {
            let n = buf.len();
            match write(&pool, &buf, &mut schema_ready).await {
                Ok(()) => metrics::counter!("producer_insights_written_total").increment(n as u64),
                Err(e) => {
                    // Dropping is the contract: the buffer must stay bounded.
                    tracing::warn!(error = %e, rows = n, "dropping API-insights rows");
                    metrics::counter!("producer_insights_dropped_total", "reason" => "db_error").increment(n as u64);
                }
            }
            buf.clear();
        }
        if closed {
            return;
        }
    }
}

async fn write(pool: &Pool, rows: &[InsightRow], schema_ready: &mut bool) -> Result<(), InsightsError> {
    let client = pool.get().await?;
    if !*schema_ready {
        client.batch_execute(CREATE_TABLE).await.map_err(InsightsError::Schema)?;
        *schema_ready = true;
    }
    let at: Vec<i64> = rows.iter().map(|r| r.at_ms).collect();
    let route: Vec<&str> = rows.iter().map(|r| r.route.as_str()).collect();
    let status: Vec<i32> = rows.iter().map(|r| i32::from(r.status)).collect();
    let latency: Vec<i64> = rows.iter().map(|r| r.latency_us).collect();
    let records: Vec<i32> = rows.iter().map(|r| r.records).collect();
    let bytes: Vec<i64> = rows.iter().map(|r| r.bytes).collect();
    let clients: Vec<&str> = rows.iter().map(|r| r.client.as_str()).collect();
    client
        .execute(INSERT, &[&at, &route, &status, &latency, &records, &bytes, &clients])
        .await
        .map_err(|source| InsightsError::Write { rows: rows.len(), source })?;
    Ok(())
}
