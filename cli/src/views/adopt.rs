//! Tables for `adopt`: what gets tagged, what differs from the tier and
//! why, and the plan `provision` would carry out once the cluster is adopted.

use comfy_table::Cell;

use crate::cluster::adopt::Finding;
use crate::console::Console;
use crate::ops::cluster::adopt::AdoptReport;

pub fn print_review(console: &Console, report: &AdoptReport) {
    let adoption = &report.adoption;
    console.out(format!(
        "adopt cluster {} ({}) into environment {} · tier {}",
        adoption.cluster_name, adoption.cluster_arn, adoption.env, adoption.tier
    ));
    if adoption.already_adopted && adoption.tags.is_empty() {
        console.out("already adopted: the cluster and its security group carry the environment's tags");
    } else if !adoption.tags.is_empty() {
        let mut table = console.table(&["TAG", "NAME", "ID", "TAGS"]);
        for step in &adoption.tags {
            let tags = step.changes.iter().map(|c| format!("{}: {} → {}", c.field, c.before, c.after));
            table.add_row(vec![
                Cell::new(step.resource.as_str()),
                Cell::new(&step.name),
                Cell::new(&step.id),
                Cell::new(tags.collect::<Vec<_>>().join("\n")),
            ]);
        }
        console.out(table);
    }
    print_findings(console, "Differences from the tier", adoption.findings.iter().chain(&report.topic_findings));
    if let Some(note) = &report.topics_note {
        console.out(format!("topics: {note}"));
    }
    console.out("Once adopted, `forgectl provision` would:");
    super::cluster::print_plan(console, &adoption.after);
    for refusal in &adoption.refusals {
        console.out(format!("refused: {refusal}"));
    }
}

fn print_findings<'a>(console: &Console, title: &str, findings: impl Iterator<Item = &'a Finding>) {
    let findings: Vec<&Finding> = findings.collect();
    if findings.is_empty() {
        return;
    }
    console.out(format!("{title}:"));
    let mut table = console.table(&["WHAT", "WHY"]);
    for finding in findings {
        table.add_row(vec![Cell::new(&finding.subject), Cell::new(&finding.detail)]);
    }
    console.out(table);
}

pub fn print_adopted(console: &Console, report: &AdoptReport) {
    let adoption = &report.adoption;
    if report.tagged.is_empty() {
        console.out(format!("nothing to tag: cluster {} is environment {}'s", adoption.cluster_name, adoption.env));
    } else {
        let tagged: Vec<String> = report.tagged.iter().map(|s| format!("{} {}", s.resource.as_str(), s.name)).collect();
        console.out(format!("adopted into environment {}: tagged {}", adoption.env, tagged.join(", ")));
    }
    console.out("next: `forgectl plan` shows the changes above; `forgectl provision` makes them");
}
