//! What `forgectl init` wrote, and what to do next.

use crate::console::Console;
use crate::ops::init::InitReport;

pub fn print(console: &Console, report: &InitReport) {
    console.out(format!(
        "wrote {}: environment `{}` in {}, tier {}, client auth {}",
        report.path.display(),
        report.environment,
        report.region,
        report.tier,
        report.client_auth
    ));
    match &report.vpc_id {
        Some(vpc) if report.discovered => {
            console.out(format!("default VPC {vpc}, subnets {}", report.subnets.join(", ")));
        }
        _ => console.warn("no default VPC was looked up or found: set vpc_id and subnets in the file"),
    }
    console.out(format!("next: forgectl --env {} plan", report.environment));
}
