//! Operations: the work behind each subcommand, grouped by capability. They
//! take options structs and return data; they never see the argument parser.
//!
//! - `context`: the environment, profiles and AWS clients, resolved once per run
//! - `cluster`: the MSK cluster and its security groups (plan, provision, status, destroy)
//! - `topics`: the tier's topics (plan, sync, check, describe, lag)
//! - `deploy`: the producer and consumers, on AWS (`deploy::aws`) or as local processes (`deploy::local`)
//! - `local`: the local provider's provision, status and process runtime
//! - `verify`, `loadtest`, `capacity`: proving an environment from its front door (with `crate::prove`)
//! - `watch`: `status --watch`, the live numbers from the environment's Prometheus
//! - `api_keys`: the producers' API keys in SSM
//! - `iam_policy`: the least-privilege IAM policy for a command (pure, no AWS call)
//! - `init`: a commented forgectl.yaml for an account
//! - `profiles`, `render`, `images`, `build_info`, `shell_integration`: one file each

pub mod api_keys;
pub mod build_info;
pub mod capacity;
pub mod cluster;
pub mod context;
pub mod cost;
pub mod deploy;
pub mod iam_policy;
pub mod images;
pub mod init;
pub mod loadtest;
pub mod local;
pub mod profiles;
pub mod render;
pub mod shell_integration;
pub mod topics;
pub mod verify;
pub mod watch;
