//! The state an aws deploy's steps share: clients, options, what was
//! observed, and the tags every created resource carries. Its own file so
//! that `apply` (the order of steps) and `front` (the load balancer's
//! steps) both extend it without using each other.

use std::collections::BTreeMap;

use crate::aws::AwsClients;
use crate::console::Console;
use crate::ops::deploy::aws::observe::{AwsDeployOptions, Fleet};

pub(super) struct Applier<'a> {
    pub(super) clients: &'a AwsClients,
    pub(super) options: &'a AwsDeployOptions,
    pub(super) fleet: &'a Fleet,
    pub(super) console: &'a Console,
    pub(super) tags: BTreeMap<String, String>,
}
