//! The scaling rule forgectl applies to the services wherever it sizes them.

/// The runbooks' autoscaling target (seed 001: "eg: 50%"): add nodes above
/// half a node's CPU. The Auto Scaling groups track it, the rendered
/// Kubernetes autoscalers use it, and `forgectl capacity` counts a node as
/// full at it, so all three agree on what one node carries.
pub const CPU_TARGET_PERCENT: u32 = 50;

/// [`CPU_TARGET_PERCENT`] as a fraction of one core or node.
pub const CPU_TARGET_FRACTION: f64 = CPU_TARGET_PERCENT as f64 / 100.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fraction_is_the_percentage() {
        assert_eq!(CPU_TARGET_FRACTION, 0.5);
    }
}
