//! CPU and memory for each container, from the EC2 instance type the tier's
//! profile runs the role on: one pod stands in for one instance, so the
//! CPU target (a percentage of the request) means the same load per pod as
//! per instance.

use super::objects::{Quantities, ResourceRequirements};

/// vCPUs and memory (MiB) of the instance types the profiles name, and
/// their neighbours a profile may move to.
const INSTANCE_SIZES: &[(&str, u32, u32)] = &[
    ("t3.small", 2, 2048),
    ("t3.medium", 2, 4096),
    ("t3.large", 2, 8192),
    ("t3.xlarge", 4, 16384),
    ("c6i.large", 2, 4096),
    ("c6i.xlarge", 4, 8192),
    ("c7i.large", 2, 4096),
    ("c7i.xlarge", 4, 8192),
    ("c7i.2xlarge", 8, 16384),
    ("m6i.large", 2, 8192),
    ("m6i.xlarge", 4, 16384),
    ("m7i.large", 2, 8192),
    ("m7i.xlarge", 4, 16384),
    ("m7i.2xlarge", 8, 32768),
];

/// The share of an instance's memory its service gets; the rest is what
/// the operating system and agents hold on the instance (the kubelet and
/// daemon sets on a node).
const MEMORY_SHARE_PERCENT: u32 = 75;

/// For an instance type forgectl does not know: one core and 1 GiB, what
/// the services run in at the dev/UAT ladder's low end.
const DEFAULT_CPU_MILLIS: u32 = 1000;
const DEFAULT_MEMORY_MIB: u32 = 1024;

/// Requests and limits for a container standing in for `instance_type`.
/// Limits equal requests: the pod gets the Guaranteed QoS class, is evicted
/// last, and never borrows CPU the HPA's utilisation would not show.
pub fn for_instance_type(instance_type: &str) -> ResourceRequirements {
    let (cpu_millis, memory_mib) = INSTANCE_SIZES
        .iter()
        .find(|(name, _, _)| *name == instance_type)
        .map(|(_, vcpus, memory)| (vcpus * 1000, memory * MEMORY_SHARE_PERCENT / 100))
        .unwrap_or((DEFAULT_CPU_MILLIS, DEFAULT_MEMORY_MIB));
    let quantities = Quantities { cpu: format!("{cpu_millis}m"), memory: format!("{memory_mib}Mi") };
    ResourceRequirements { requests: quantities.clone(), limits: quantities }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_type_gives_its_cores_and_three_quarters_of_its_memory() {
        let resources = for_instance_type("c7i.xlarge");
        assert_eq!(resources.requests, Quantities { cpu: "4000m".into(), memory: "6144Mi".into() });
        assert_eq!(resources.limits, resources.requests);
    }

    #[test]
    fn an_unknown_type_gets_the_default() {
        let resources = for_instance_type("x9.huge");
        assert_eq!(resources.requests, Quantities { cpu: "1000m".into(), memory: "1024Mi".into() });
    }
}
