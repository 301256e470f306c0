//! The tier's Kafka topics: where they live (`target`), plan/sync/check
//! (`reconcile`), and describe/lag (`inspect`).

pub mod inspect;
pub mod reconcile;
mod target;
