//! DAU-tier profiles: the scaling ladder, Kafka layout and topics of a tier,
//! read from layered YAML files and checked against the runbooks' rules.

mod error;
mod load;
mod locate;
mod merge;
mod model;
mod msk;
mod resolve;
mod schema;
mod source;
mod validate;

pub use error::{Issue, ProfileError};
pub use load::{load_all, load_file, load_tier, ResolveOptions};
pub use model::{
    AlertsSpec, ClientBroker, DeadLetterSpec, EncryptionInTransit, EnhancedMonitoring, InstanceTypes, KafkaSpec,
    Profile, RoleName, RoleSpec, SloSpec, TopicSpec, PROFILE_JSON_SCHEMA_VERSION,
};
pub use source::{ProfileFile, ProfileSource, DEFAULT_PROFILES_DIR};

/// The JSON Schema of one profile file (a layer: every key optional), from
/// the types it is read into; see `config::json_schema`.
pub fn json_schema() -> serde_json::Value {
    serde_json::Value::from(schemars::schema_for!(schema::ProfileLayer))
}
pub use msk::{MSK_BROKER_TYPES, MSK_KAFKA_VERSIONS};
pub use validate::topic_name_problem;
