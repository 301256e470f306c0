//! The runbooks' scaling rules, which both the rendered manifests and the
//! Auto Scaling policies apply.

/// Add nodes above this average CPU.
pub const CPU_TARGET_PERCENT: u32 = 50;
/// Scale consumers when lag passes this many messages.
pub const CONSUMER_LAG_THRESHOLD: u32 = 50;
