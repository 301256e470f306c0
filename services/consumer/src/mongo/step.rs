//! The worker's MongoDB step of a flush, kept next to the sink so that
//! `worker.rs` only calls it.

use std::time::Instant;

use forgectl_service_common::envelope::BATCH_ID_HEADER;

use crate::batch::{Item, Payload, Poison};
use crate::mongo::MongoWrite;
use crate::worker::{FlushError, Worker};

impl Worker {
    /// Writes the batch to MongoDB, before PostgreSQL: PostgreSQL's
    /// transaction stores the offsets, so they move only once both stores
    /// hold the batch. A message MongoDB rejects becomes a dead letter, sent
    /// at once; PostgreSQL then records only its offset.
    pub(crate) async fn write_mongo(&mut self) -> Result<(), FlushError> {
        let Some(mongo) = &self.mongo else { return Ok(()) };
        let started = Instant::now();
        let written = mongo.write(&self.batch.items).await?;
        record_mongo_written(&written, started);
        if written.rejected.is_empty() {
            return Ok(());
        }
        for rejection in &written.rejected {
            tracing::warn!(
                topic = %self.batch.items[rejection.item].source.topic,
                offset = self.batch.items[rejection.item].source.offset,
                error = %rejection.reason,
                "message rejected by MongoDB; dead-lettering"
            );
            dead_letter(&mut self.batch.items[rejection.item], format!("rejected by MongoDB: {}", rejection.reason));
        }
        metrics::counter!("consumer_messages_rejected_total", "sink" => "mongodb")
            .increment(written.rejected.len() as u64);
        self.dlq.send_pending(&mut self.batch.items).await?;
        Ok(())
    }

    /// Removes a message PostgreSQL rejected from MongoDB too: a dead letter
    /// is in neither store.
    pub(crate) async fn forget_in_mongo(&self, item: &Item) -> Result<(), FlushError> {
        match &self.mongo {
            Some(mongo) => Ok(mongo.forget(item).await?),
            None => Ok(()),
        }
    }
}

/// Turns a message whose records a store rejected into a dead letter that
/// carries the envelope as it was consumed.
pub(crate) fn dead_letter(item: &mut Item, error: String) {
    if let Payload::Rows(env) = &item.payload {
        item.payload = Payload::Poison(Poison {
            key: Some(env.device_id.clone().into_bytes()),
            payload: serde_json::to_vec(env).ok(),
            headers: vec![(BATCH_ID_HEADER.into(), env.batch_id.clone().into_bytes())],
            error,
            dlq_sent: false,
        });
    }
}

fn record_mongo_written(written: &MongoWrite, started: Instant) {
    metrics::histogram!("consumer_batch_write_seconds", "sink" => "mongodb").record(started.elapsed().as_secs_f64());
    metrics::counter!("consumer_rows_written_total", "sink" => "mongodb").increment(written.inserted);
    let already = written.documents.saturating_sub(written.inserted);
    metrics::counter!("consumer_rows_duplicate_total", "sink" => "mongodb").increment(already);
    metrics::counter!("consumer_batches_written_total", "sink" => "mongodb").increment(1);
}
