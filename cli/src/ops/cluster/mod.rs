//! The MSK cluster, its configuration and security groups: observe and plan
//! (`plan`), apply and wait (`provision`, `apply`, `wait`), report (`status`)
//! and tear down (`destroy`).

mod apply;
pub mod destroy;
pub mod plan;
pub mod provision;
pub mod status;
pub mod wait;
