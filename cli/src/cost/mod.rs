//! What a tier costs on AWS per month: a price table (built in, or read from
//! the AWS Price List API), the tier's traffic from the workload model, and a
//! pure estimate that turns both into bill lines at the ladder's min and max.
//! The same workload sizes retention against the brokers' disks (`retention`).

mod error;
pub mod estimate;
pub mod live;
pub mod model;
pub mod pricing;
pub mod retention;
#[cfg(test)]
mod tests;

pub use error::CostError;
pub use estimate::{estimate, Category, CostDelta, CostEstimate, CostLine};
pub use model::{Traffic, Workload};
pub use pricing::{PriceOrigin, PriceTable, DEFAULT_REGION};
