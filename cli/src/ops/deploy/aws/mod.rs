//! deploy on AWS: observe what runs (`observe`), plan against the tier
//! (`plan`), apply the plan (`applier`, `apply`, `front`), follow the
//! instance refreshes (`rollout`); and the services' part of `status` and
//! `destroy`.

mod applier;
pub mod apply;
pub mod destroy;
mod front;
pub mod observe;
pub mod plan;
pub mod rollout;
pub mod status;
