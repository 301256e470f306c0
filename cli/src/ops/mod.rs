//! Operations: the work behind each subcommand. They take options structs
//! and return data; they never see the argument parser.

mod apply;
pub mod deploy_aws;
pub mod deploy_aws_apply;
mod deploy_aws_front;
pub mod deploy_aws_plan;
pub mod deploy_local;
pub mod deploy_plan;
pub mod deploy_rollout;
pub mod destroy;
pub mod destroy_fleet;
pub mod images;
pub mod loadtest;
pub mod local_runtime;
pub mod plan;
pub mod profiles;
pub mod provision;
pub mod provision_local;
pub mod render;
pub mod status;
pub mod status_fleet;
pub mod status_local;
pub mod topics;
pub mod topics_inspect;
mod topics_target;
pub mod verify;
pub mod wait;
