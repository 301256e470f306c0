//! PostgreSQL writes: rows and offsets in one transaction, so the stored
//! offset of a partition never runs ahead of its rows.

use std::collections::HashMap;

use bytes::{BufMut, BytesMut};
use deadpool_postgres::{Pool, Transaction};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

use forgectl_service_common::postgres::is_connection_error;

use crate::batch::{columns_by_topic, next_offsets, Columns, Item};
use crate::gaps::Gap;
use crate::schema::{quoted, table_name};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The database is unreachable or refused for a reason that may pass
    /// (restart, failover, deadlock): pause and retry.
    #[error("PostgreSQL unavailable: {0}")]
    Unavailable(String),
    /// The database rejected the data itself: retrying the same rows fails
    /// the same way, so the offending message must be dead-lettered.
    #[error("PostgreSQL rejected rows for topic {topic}: {source}")]
    Data {
        topic: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// Retrying cannot help until an operator acts: wrong credentials, a
    /// missing database or table, a revoked grant.
    #[error("PostgreSQL refuses every write: {0}")]
    Permanent(String),
}

/// SQLSTATE classes no retry fixes: 28 (authorization), 3D (no such
/// database), 42 (undefined table, permission denied).
fn is_permanent(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| ["28", "3D", "42"].iter().any(|class| c.code().starts_with(class)))
}

impl WriteError {
    pub(crate) fn from_pg(topic: &str, e: tokio_postgres::Error) -> Self {
        let data = !is_connection_error(&e) && e.code().map(|c| c.code().starts_with("22")).unwrap_or(false);
        if data {
            WriteError::Data { topic: topic.to_string(), source: e }
        } else if is_permanent(&e) {
            WriteError::Permanent(describe(&e))
        } else {
            WriteError::Unavailable(describe(&e))
        }
    }
}

/// tokio-postgres' Display omits the server message; include it.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

pub(crate) fn from_pool(e: deadpool_postgres::PoolError) -> WriteError {
    match e {
        deadpool_postgres::PoolError::Backend(e) if is_permanent(&e) => WriteError::Permanent(describe(&e)),
        deadpool_postgres::PoolError::Backend(e) => WriteError::Unavailable(describe(&e)),
        other => WriteError::Unavailable(other.to_string()),
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct WriteStats {
    /// Rows in the batch.
    pub rows: u64,
    /// Rows actually inserted; the rest were already there (retries).
    pub inserted: u64,
}

pub struct Sink {
    pub(crate) pool: Pool,
    pub(crate) group: String,
    /// The id of each topic as read at assignment, written with its offsets.
    pub(crate) topic_ids: HashMap<String, String>,
    /// Per topic: (binary COPY, insert that skips existing keys).
    insert_sql: HashMap<String, (String, String)>,
}

const UNIQUE_VIOLATION: &str = "23505";

const COLUMNS: &str = "device_id, batch_id, record_index, kind, received_at, record, kafka_partition, kafka_offset";

/// The column types, in `COLUMNS` order, as binary COPY sends them.
const COPY_TYPES: [Type; 8] =
    [Type::TEXT, Type::TEXT, Type::INT4, Type::TEXT, Type::TIMESTAMPTZ, Type::JSONB, Type::INT4, Type::INT8];

fn insert_sql(table: &str) -> (String, String) {
    let copy = format!("COPY {} ({COLUMNS}) FROM STDIN (FORMAT binary)", quoted(table));
    let skip = format!(
        "INSERT INTO {} ({COLUMNS})
         SELECT d, b, i, k, r, j::jsonb, p, o
         FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::text[], $5::timestamptz[], $6::text[], $7::int4[], $8::int8[])
           AS u(d, b, i, k, r, j, p, o)
         ON CONFLICT DO NOTHING",
        quoted(table)
    );
    (copy, skip)
}

/// A record's JSON text as a binary `jsonb` value (format version 1, then
/// the text), so it goes to the server as received: no parse on our side.
#[derive(Debug)]
struct JsonbText<'a>(&'a str);

impl ToSql for JsonbText<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(1);
        }
        out.put_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
    }

    to_sql_checked!();
}

/// One topic's rows by binary COPY; the server checks keys and JSON as it
/// would for an INSERT, and answers with the number of rows copied.
async fn copy_rows(tx: &Transaction<'_>, sql: &str, cols: &Columns<'_>) -> Result<u64, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    let writer = BinaryCopyInWriter::new(tx.copy_in(&statement).await?, &COPY_TYPES);
    futures::pin_mut!(writer);
    for i in 0..cols.len() {
        writer
            .as_mut()
            .write(&[
                &cols.device_id[i],
                &cols.batch_id[i],
                &cols.record_index[i],
                &cols.kind[i],
                &cols.received_at[i],
                &JsonbText(cols.record[i]),
                &cols.partition[i],
                &cols.offset[i],
            ])
            .await?;
    }
    writer.finish().await
}

/// The GREATEST upsert, keyed by the topic's id as well as its name: a write
/// for another incarnation of the topic (a consumer still holding the old
/// topic's position) leaves the row alone. NULL ids are rows or writers from
/// before ids were read, and match anything.
const UPSERT_OFFSETS: &str =
    "INSERT INTO forgectl_consumer_offsets (consumer_group, topic, kafka_partition, next_offset, topic_id)
     SELECT $1, t, p, o, i FROM UNNEST($2::text[], $3::int4[], $4::int8[], $5::text[]) AS u(t, p, o, i)
     ON CONFLICT (consumer_group, topic, kafka_partition)
     DO UPDATE SET next_offset = GREATEST(forgectl_consumer_offsets.next_offset, EXCLUDED.next_offset),
                   topic_id = COALESCE(forgectl_consumer_offsets.topic_id, EXCLUDED.topic_id),
                   updated_at = now()
     WHERE forgectl_consumer_offsets.topic_id IS NULL OR EXCLUDED.topic_id IS NULL
        OR forgectl_consumer_offsets.topic_id = EXCLUDED.topic_id";

pub(crate) const INSERT_GAP: &str = "INSERT INTO forgectl_consumer_gaps
     (consumer_group, topic, kafka_partition, cause, stored_offset, resumed_offset, lost_messages, old_topic_id, topic_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub(crate) async fn insert_gap(tx: &Transaction<'_>, group: &str, gap: &Gap) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        INSERT_GAP,
        &[
            &group,
            &gap.topic,
            &gap.partition,
            &gap.cause.as_str(),
            &gap.stored_offset,
            &gap.resumed_offset,
            &gap.lost,
            &gap.old_topic_id,
            &gap.topic_id,
        ],
    )
    .await
    .map(|_| ())
}

impl Sink {
    pub fn new(pool: Pool, group: &str, topics: &[String]) -> Self {
        let insert_sql = topics.iter().map(|t| (t.clone(), insert_sql(&table_name(t)))).collect();
        Self { pool, group: group.to_string(), topic_ids: HashMap::new(), insert_sql }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Writes the rows of `items`, the next offset of every partition they
    /// came from (dead-lettered ones included) and the `gaps` seen before
    /// them in one transaction.
    pub async fn write(&self, items: &[Item], gaps: &[Gap]) -> Result<WriteStats, WriteError> {
        let columns = columns_by_topic(items);
        let offsets = next_offsets(items.iter());
        let mut client = self.pool.get().await.map_err(from_pool)?;
        let mut tx = client.transaction().await.map_err(|e| WriteError::from_pg("", e))?;
        let mut stats = WriteStats::default();
        for (topic, cols) in &columns {
            let (copy_sql, skip_sql) = match self.insert_sql.get(*topic) {
                Some(s) => s.clone(),
                None => insert_sql(&table_name(topic)),
            };
            // Duplicates only appear on replays (crash, retried upload), so
            // try a plain binary COPY first: it costs a fraction of an
            // INSERT per row, and ON CONFLICT's speculative insertion ~40%
            // more again. The savepoint lets a batch that does hold a
            // duplicate fall back to the skipping insert; the unique key
            // guarantees idempotency either way.
            let sp = tx.savepoint("plain_copy").await.map_err(|e| WriteError::from_pg(topic, e))?;
            let n = match copy_rows(&sp, &copy_sql, cols).await {
                Ok(n) => {
                    sp.commit().await.map_err(|e| WriteError::from_pg(topic, e))?;
                    n
                }
                Err(e) if e.code().map(|c| c.code()) == Some(UNIQUE_VIOLATION) => {
                    sp.rollback().await.map_err(|e| WriteError::from_pg(topic, e))?;
                    let params: [&(dyn ToSql + Sync); 8] = [
                        &cols.device_id,
                        &cols.batch_id,
                        &cols.record_index,
                        &cols.kind,
                        &cols.received_at,
                        &cols.record,
                        &cols.partition,
                        &cols.offset,
                    ];
                    let skip = tx.prepare_cached(&skip_sql).await.map_err(|e| WriteError::from_pg(topic, e))?;
                    tx.execute(&skip, &params).await.map_err(|e| WriteError::from_pg(topic, e))?
                }
                Err(e) => return Err(WriteError::from_pg(topic, e)),
            };
            stats.rows += cols.len() as u64;
            stats.inserted += n;
        }
        if !offsets.is_empty() {
            let topics: Vec<&str> = offsets.keys().map(|(t, _)| t.as_str()).collect();
            let parts: Vec<i32> = offsets.keys().map(|(_, p)| *p).collect();
            let next: Vec<i64> = offsets.values().copied().collect();
            let ids: Vec<Option<&str>> = topics.iter().map(|t| self.topic_ids.get(*t).map(String::as_str)).collect();
            tx.execute(UPSERT_OFFSETS, &[&self.group, &topics, &parts, &next, &ids])
                .await
                .map_err(|e| WriteError::from_pg("", e))?;
        }
        for gap in gaps {
            insert_gap(&tx, &self.group, gap).await.map_err(|e| WriteError::from_pg(&gap.topic, e))?;
        }
        tx.commit().await.map_err(|e| WriteError::from_pg("", e))?;
        Ok(stats)
    }

    pub async fn ping(&self) -> Result<(), WriteError> {
        let client = self.pool.get().await.map_err(from_pool)?;
        client.simple_query("SELECT 1").await.map_err(|e| WriteError::from_pg("", e))?;
        Ok(())
    }
}
