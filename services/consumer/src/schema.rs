//! Tables in `sync_db`: one per topic, plus the offsets table. Created and
//! migrated at start under an advisory lock, so consumers starting together
//! do not race on DDL.

use tokio_postgres::Client;

/// Arbitrary constant shared by every forgectl consumer for the DDL lock.
const SCHEMA_LOCK_KEY: i64 = 0x666f_7267_6563_746c; // "forgectl"

pub const OFFSETS_TABLE: &str = "forgectl_consumer_offsets";
/// One row per detected gap (see gaps.rs): the durable record of every
/// message a group skipped, written in the transaction that moves its offset.
pub const GAPS_TABLE: &str = "forgectl_consumer_gaps";

#[derive(Debug, thiserror::Error)]
#[error("migrating the sync_db schema ({step}): {source}")]
pub struct SchemaError {
    pub step: String,
    #[source]
    pub source: tokio_postgres::Error,
}

pub use forgectl_service_common::tables::table_name;

/// Quoted for SQL; `table_name` already leaves only `[a-z0-9_]`.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn record_table_ddl(table: &str) -> Vec<String> {
    let q = quoted(table);
    vec![
        // The primary key is the idempotency key: a retried upload (same
        // device and batch id) maps to the same keys and inserts nothing.
        format!(
            "CREATE TABLE IF NOT EXISTS {q} (
                device_id text NOT NULL,
                batch_id text NOT NULL,
                record_index integer NOT NULL,
                kind text NOT NULL,
                received_at timestamptz NOT NULL,
                record jsonb NOT NULL,
                kafka_partition integer NOT NULL,
                kafka_offset bigint NOT NULL,
                ingested_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (device_id, batch_id, record_index)
            )"
        ),
        // Later migrations append here with IF NOT EXISTS so they re-run safely.
        format!(
            "CREATE INDEX IF NOT EXISTS {} ON {q} (received_at)",
            quoted(&format!("{}_received_at_idx", &table[..table.len().min(40)]))
        ),
    ]
}

pub async fn migrate(client: &mut Client, topics: &[String]) -> Result<(), SchemaError> {
    let err = |step: &str| {
        let step = step.to_string();
        move |source| SchemaError { step, source }
    };
    let tx = client.transaction().await.map_err(err("begin"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK_KEY]).await.map_err(err("lock"))?;
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {OFFSETS_TABLE} (
            consumer_group text NOT NULL,
            topic text NOT NULL,
            kafka_partition integer NOT NULL,
            next_offset bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer_group, topic, kafka_partition)
        )"
    ))
    .await
    .map_err(err("offsets table"))?;
    // Rows from before topic ids keep NULL: the first assignment adopts the
    // current id (see gaps.rs).
    tx.batch_execute(&format!("ALTER TABLE {OFFSETS_TABLE} ADD COLUMN IF NOT EXISTS topic_id text"))
        .await
        .map_err(err("offsets topic id"))?;
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {GAPS_TABLE} (
            id bigserial PRIMARY KEY,
            consumer_group text NOT NULL,
            topic text NOT NULL,
            kafka_partition integer NOT NULL,
            cause text NOT NULL,
            stored_offset bigint NOT NULL,
            resumed_offset bigint NOT NULL,
            lost_messages bigint NOT NULL,
            old_topic_id text,
            topic_id text,
            detected_at timestamptz NOT NULL DEFAULT now()
        )"
    ))
    .await
    .map_err(err("gaps table"))?;
    for topic in topics {
        let table = table_name(topic);
        for stmt in record_table_ddl(&table) {
            tx.batch_execute(&stmt).await.map_err(err(&format!("table {table}")))?;
        }
    }
    tx.commit().await.map_err(err("commit"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_safe() {
        assert_eq!(table_name("sms_batched"), "sms_batched");
        assert_eq!(table_name("t1a2_events_log"), "t1a2_events_log");
        assert_eq!(table_name("My.Topic-1"), "my_topic_1");
        assert_eq!(table_name("9lives"), "t9lives");
        assert_eq!(table_name(&"x".repeat(100)).len(), 63);
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
