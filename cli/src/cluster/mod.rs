//! The control plane's model: what an environment should hold (`target`),
//! how its resources are named and tagged (`crate::naming`), what AWS holds
//! (`actual`), and the pure comparison of the two (`plan`, `compare`).

pub mod actual;
pub mod adopt;
pub mod capture;
mod compare;
pub mod error;
pub mod plan;
pub mod scram;
pub mod target;

#[cfg(test)]
mod adopt_tests;
#[cfg(test)]
mod capture_tests;
#[cfg(test)]
mod tests;

pub use actual::{Actual, Network, NetworkSource};
pub use error::ControlPlaneError;
pub use plan::{plan, Action, FieldChange, Plan, ResourceKind, ResourcePlan, Step};
pub use target::Target;
