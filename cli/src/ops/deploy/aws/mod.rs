//! deploy on AWS: observe what runs (`observe`), plan against the tier
//! (`fleet::plan`, pure), apply the plan's steps (`apply`, one step at a
//! time in `applier`), follow the instance refreshes (`rollout`); and the
//! services' part of `status` and `destroy`.

mod applier;
pub mod apply;
pub mod destroy;
pub mod monitoring;
pub mod observe;
pub mod rollout;
pub mod status;
