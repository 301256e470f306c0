//! Human renderings (tables, text) of operation results. The JSON form is
//! the results' own serde representation.

pub mod adopt;
pub mod api_keys;
pub mod build_info;
pub mod capacity;
pub mod cluster;
pub mod cost;
pub mod deploy;
pub mod iam_policy;
pub mod images;
pub mod init;
pub mod local;
pub mod monitoring;
pub mod profiles;
pub mod prove;
pub mod topics;
pub mod watch;
