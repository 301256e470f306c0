//! The group's stored positions in `forgectl_consumer_offsets`, read at
//! assignment, and the two changes a gap check makes to them outside a batch:
//! a jump (with its gap row, compare-and-set so that of two consumers racing
//! through a rebalance only one records it) and adopting a topic id.

use std::collections::HashMap;

use crate::gaps::{Gap, Stored};
use crate::schema::OFFSETS_TABLE;
use crate::sink::{from_pool, insert_gap, Sink, WriteError};

type Tp = (String, i32);

impl Sink {
    /// The stored positions of the given partitions, where stored.
    pub async fn load_offsets(&self, parts: &[Tp]) -> Result<HashMap<Tp, Stored>, WriteError> {
        if parts.is_empty() {
            return Ok(HashMap::new());
        }
        let client = self.pool.get().await.map_err(from_pool)?;
        let topics: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
        let ps: Vec<i32> = parts.iter().map(|(_, p)| *p).collect();
        let rows = client
            .query(
                &format!(
                    "SELECT o.topic, o.kafka_partition, o.next_offset, o.topic_id FROM {OFFSETS_TABLE} o
                     JOIN UNNEST($2::text[], $3::int4[]) AS u(t, p) ON o.topic = u.t AND o.kafka_partition = u.p
                     WHERE o.consumer_group = $1"
                ),
                &[&self.group, &topics, &ps],
            )
            .await
            .map_err(|e| WriteError::from_pg("", e))?;
        Ok(rows
            .iter()
            .map(|r| {
                let stored = Stored { next_offset: r.get(2), topic_id: r.get(3) };
                ((r.get::<_, String>(0), r.get::<_, i32>(1)), stored)
            })
            .collect())
    }

    /// Moves a partition's stored position as `gap` says and records the
    /// gap, in one transaction, if the row is still what the check read.
    /// `false`: another consumer changed it first (and recorded its own).
    pub async fn record_jump(&self, gap: &Gap) -> Result<bool, WriteError> {
        let mut client = self.pool.get().await.map_err(from_pool)?;
        let tx = client.transaction().await.map_err(|e| WriteError::from_pg(&gap.topic, e))?;
        let moved = tx
            .execute(
                &format!(
                    "UPDATE {OFFSETS_TABLE} SET next_offset = $4, topic_id = COALESCE($6, topic_id), updated_at = now()
                     WHERE consumer_group = $1 AND topic = $2 AND kafka_partition = $3
                       AND next_offset = $5 AND topic_id IS NOT DISTINCT FROM $7"
                ),
                &[
                    &self.group,
                    &gap.topic,
                    &gap.partition,
                    &gap.resumed_offset,
                    &gap.stored_offset,
                    &gap.topic_id,
                    &gap.old_topic_id,
                ],
            )
            .await
            .map_err(|e| WriteError::from_pg(&gap.topic, e))?;
        if moved != 1 {
            return Ok(false);
        }
        insert_gap(&tx, &self.group, gap).await.map_err(|e| WriteError::from_pg(&gap.topic, e))?;
        tx.commit().await.map_err(|e| WriteError::from_pg(&gap.topic, e))?;
        Ok(true)
    }

    /// Stores the topic's id on rows written before ids were read.
    pub async fn adopt_topic_id(&self, topic: &str, id: &str) -> Result<(), WriteError> {
        let client = self.pool.get().await.map_err(from_pool)?;
        client
            .execute(
                &format!(
                    "UPDATE {OFFSETS_TABLE} SET topic_id = $3
                     WHERE consumer_group = $1 AND topic = $2 AND topic_id IS NULL"
                ),
                &[&self.group, &topic, &id],
            )
            .await
            .map_err(|e| WriteError::from_pg(topic, e))?;
        Ok(())
    }
}
