//! forgectl: provisions the MSK cluster, reconciles topics and rolls out the
//! producer and consumer services of the mobile-data sync pipeline, sized by
//! DAU-tier profiles.

pub mod aws;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod console;
pub mod cost;
pub mod error;
pub mod exit;
pub mod fleet;
pub mod kafka;
pub mod local;
pub mod monitoring;
pub mod naming;
pub mod observe;
pub mod ops;
pub mod policy;
pub mod profile;
pub mod progress;
pub mod prove;
pub mod render;
pub mod topics;
pub mod views;
pub mod yaml_position;
