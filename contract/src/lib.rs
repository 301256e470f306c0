//! The contract between `forgectl` and the services it deploys. Each value
//! here is read on one side and written on the other; keeping it in one
//! place means a rename cannot leave the two sides apart.

pub mod env_vars;
pub mod headers;
pub mod ports;
pub mod tables;
pub mod thresholds;
