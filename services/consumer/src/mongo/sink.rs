//! MongoDB writes: unordered bulk inserts of documents whose `_id` is the
//! record's identity, so a replayed batch only meets duplicate-key errors,
//! which count as already written. Offsets are not stored here: PostgreSQL
//! stores them after this sink has the batch (see `worker.rs`).

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use mongodb::bson::{doc, Bson, RawDocumentBuf};
use mongodb::error::{ErrorKind, InsertManyError};
use mongodb::{Client, Database};
use tokio::sync::Semaphore;

use crate::batch::{Item, Payload};
use crate::mongo::config::{collection_name, EnabledSources, MongoSettings};
use crate::mongo::document::{envelope_ids, plan};

const DUPLICATE_KEY: i32 = 11000;

/// Server codes that say the document itself is unacceptable: sending it
/// again fails the same way. Everything else (network, server selection,
/// not primary, write concern, timeouts) may pass and is retried.
const DATA_ERROR_CODES: &[i32] = &[
    2,     // BadValue
    14,    // TypeMismatch
    52,    // DollarPrefixedFieldName
    55,    // InvalidDBRef
    56,    // EmptyFieldName
    57,    // DottedFieldName
    121,   // DocumentValidationFailure
    10334, // BSONObjectTooLarge
    17280, // KeyTooLong
];

#[derive(Debug, thiserror::Error)]
pub enum MongoError {
    #[error("building the MongoDB client for {host}:{port}: {source}")]
    Client {
        host: String,
        port: u16,
        #[source]
        source: mongodb::error::Error,
    },
    /// The server is unreachable or refused for a reason that may pass:
    /// pause and retry, exactly like a PostgreSQL outage.
    #[error("MongoDB unavailable: {0}")]
    Unavailable(String),
}

/// An item whose document(s) MongoDB will never accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub item: usize,
    pub reason: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MongoWrite {
    /// Documents sent, rejected ones not counted.
    pub documents: u64,
    /// Documents actually inserted; the rest were already there (replays).
    pub inserted: u64,
    pub rejected: Vec<Rejection>,
}

pub struct MongoSink {
    database: Database,
    enabled: EnabledSources,
    /// One slot per pooled connection: waiting for one is the wait queue
    /// (the driver has no `waitQueueTimeoutMS`), bounded here.
    slots: Arc<Semaphore>,
    wait_queue_timeout: Duration,
    /// The driver has no `socketTimeoutMS`: each insert round trip is
    /// bounded here instead.
    socket_timeout: Duration,
}

impl MongoSink {
    /// Connects lazily: the first write (or ping) finds the server.
    pub fn new(settings: &MongoSettings) -> Result<Self, MongoError> {
        let client = Client::with_options(settings.client_options()).map_err(|source| MongoError::Client {
            host: settings.host.clone(),
            port: settings.port,
            source,
        })?;
        Ok(Self {
            database: client.database(&settings.database),
            enabled: settings.enabled.clone(),
            slots: Arc::new(Semaphore::new(settings.max_pool_size as usize)),
            wait_queue_timeout: settings.wait_queue_timeout,
            socket_timeout: settings.socket_timeout,
        })
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    pub fn includes(&self, topic: &str) -> bool {
        self.enabled.includes(topic)
    }

    /// Inserts the documents of every enabled topic's records in `items`.
    /// Rejected items are reported (and none of their documents is left
    /// behind), everything else is stored when this returns `Ok`.
    pub async fn write(&self, items: &[Item]) -> Result<MongoWrite, MongoError> {
        let planned = plan(items, &self.enabled);
        let mut out = MongoWrite::default();
        out.rejected.extend(planned.unstorable.into_iter().map(|(item, reason)| Rejection { item, reason }));
        for (topic, docs) in &planned.by_topic {
            out.documents += docs.documents.len() as u64;
            let written = self.insert(topic, &docs.documents).await?;
            out.inserted += written.inserted;
            out.documents -= written.rejected.len() as u64;
            for (index, reason) in written.rejected {
                let item = docs.origin[index];
                if !out.rejected.iter().any(|r| r.item == item) {
                    out.rejected.push(Rejection { item, reason });
                }
            }
        }
        // A message is dead-lettered whole: remove the documents of its
        // records that were accepted, so it is in neither store.
        for r in &out.rejected {
            self.forget(&items[r.item]).await?;
        }
        out.rejected.sort_by_key(|r| r.item);
        Ok(out)
    }

    /// Deletes the documents of one message's records (it is being
    /// dead-lettered). Idempotent.
    pub async fn forget(&self, item: &Item) -> Result<(), MongoError> {
        let Payload::Rows(env) = &item.payload else { return Ok(()) };
        if !self.enabled.includes(&item.source.topic) {
            return Ok(());
        }
        let ids: Vec<Bson> = envelope_ids(env);
        let collection = self.database.collection::<RawDocumentBuf>(collection_name(&item.source.topic));
        self.bounded(collection.delete_many(doc! { "_id": { "$in": ids } }).into_future()).await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), MongoError> {
        self.bounded(self.database.run_command(doc! { "ping": 1 }).into_future()).await?;
        Ok(())
    }

    /// One unordered bulk insert; on a whole-command data rejection, the
    /// documents one by one so that only the offending ones are reported.
    async fn insert(&self, topic: &str, documents: &[RawDocumentBuf]) -> Result<Inserted, MongoError> {
        let collection = self.database.collection::<RawDocumentBuf>(collection_name(topic));
        let result = self.bounded_raw(collection.insert_many(documents).ordered(false).into_future()).await?;
        match classify(result, documents.len()) {
            Outcome::Done(inserted) => Ok(inserted),
            Outcome::Unavailable(why) => Err(MongoError::Unavailable(why)),
            Outcome::CommandRejected(reason) if documents.len() == 1 => {
                Ok(Inserted { inserted: 0, rejected: vec![(0, reason)] })
            }
            Outcome::CommandRejected(_) => {
                let mut total = Inserted::default();
                for (index, document) in documents.iter().enumerate() {
                    let one = Box::pin(self.insert(topic, std::slice::from_ref(document))).await?;
                    total.inserted += one.inserted;
                    total.rejected.extend(one.rejected.into_iter().map(|(_, reason)| (index, reason)));
                }
                Ok(total)
            }
        }
    }

    async fn bounded<T>(
        &self,
        op: impl std::future::Future<Output = mongodb::error::Result<T>>,
    ) -> Result<T, MongoError> {
        self.bounded_raw(op).await?.map_err(|e| MongoError::Unavailable(e.to_string()))
    }

    /// Waits at most the wait-queue timeout for a slot, and at most the
    /// socket timeout for the operation.
    async fn bounded_raw<T>(
        &self,
        op: impl std::future::Future<Output = mongodb::error::Result<T>>,
    ) -> Result<mongodb::error::Result<T>, MongoError> {
        let _slot = tokio::time::timeout(self.wait_queue_timeout, self.slots.acquire())
            .await
            .map_err(|_| {
                MongoError::Unavailable(format!("no connection slot within {:?} (wait queue)", self.wait_queue_timeout))
            })?
            .map_err(|_| MongoError::Unavailable("connection slots closed".into()))?;
        tokio::time::timeout(self.socket_timeout, op).await.map_err(|_| {
            MongoError::Unavailable(format!("no answer within {:?} (socket timeout)", self.socket_timeout))
        })
    }
}

#[derive(Debug, Default)]
struct Inserted {
    inserted: u64,
    /// Index in the inserted slice, and why.
    rejected: Vec<(usize, String)>,
}

#[derive(Debug)]
enum Outcome {
    Done(Inserted),
    Unavailable(String),
    /// The whole command was refused for a data reason, without saying which
    /// document caused it.
    CommandRejected(String),
}

fn classify<T>(result: mongodb::error::Result<T>, sent: usize) -> Outcome {
    let e = match result {
        Ok(_) => return Outcome::Done(Inserted { inserted: sent as u64, rejected: Vec::new() }),
        Err(e) => e,
    };
    match e.kind.as_ref() {
        ErrorKind::InsertMany(InsertManyError { write_errors, write_concern_error, .. }) => {
            if let Some(wce) = write_concern_error {
                return Outcome::Unavailable(format!("write concern: {} ({})", wce.message, wce.code));
            }
            let errors = write_errors.as_deref().unwrap_or_default();
            if let Some(other) = errors.iter().find(|w| w.code != DUPLICATE_KEY && !DATA_ERROR_CODES.contains(&w.code))
            {
                return Outcome::Unavailable(format!("write error {}: {}", other.code, other.message));
            }
            let rejected: Vec<(usize, String)> = errors
                .iter()
                .filter(|w| w.code != DUPLICATE_KEY)
                .map(|w| (w.index, format!("code {}: {}", w.code, w.message)))
                .collect();
            let duplicates = errors.iter().filter(|w| w.code == DUPLICATE_KEY).count();
            Outcome::Done(Inserted { inserted: sent.saturating_sub(duplicates + rejected.len()) as u64, rejected })
        }
        ErrorKind::Command(c) if DATA_ERROR_CODES.contains(&c.code) => {
            Outcome::CommandRejected(format!("code {}: {}", c.code, c.message))
        }
        _ => Outcome::Unavailable(e.to_string()),
    }
}
