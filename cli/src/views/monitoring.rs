use crate::console::Console;
use crate::monitoring::plan::{Action, MonitoringChange, MonitoringPlan};
use crate::ops::deploy::aws::monitoring::AlarmState;

/// The monitoring section of the aws plan: what changes, and a count of
/// what stays.
pub fn print_plan(console: &Console, plan: &MonitoringPlan) {
    let changing: Vec<&MonitoringChange> = plan.changes.iter().filter(|c| c.action != Action::Keep).collect();
    if !changing.is_empty() {
        let mut table = console.table(&["MONITORING", "NAME", "CHANGE"]);
        for change in &changing {
            let action = match &change.detail {
                Some(detail) => format!("{} ({detail})", change.action.as_str()),
                None => change.action.as_str().to_string(),
            };
            table.add_row(vec![change.kind.as_str().to_string(), change.name.clone(), action]);
        }
        console.out(table);
    }
    let kept = plan.changes.len() - changing.len();
    if kept > 0 {
        console.out(format!("monitoring: {kept} resource(s) unchanged (alarms notify sns topic {})", plan.topic));
    }
    for kept in plan.changes.iter().filter(|c| c.action == Action::Keep) {
        if let Some(detail) = &kept.detail {
            console.out(format!("{} {}: {detail}", kept.kind.as_str(), kept.name));
        }
    }
    if let Some(refusal) = &plan.refused {
        console.out(format!("refused: {refusal}"));
    }
}

pub fn print_applied(console: &Console, applied: &[MonitoringChange]) {
    if applied.is_empty() {
        return;
    }
    let created = applied.iter().filter(|c| c.action == Action::Create).count();
    let updated = applied.iter().filter(|c| c.action == Action::Update).count();
    let deleted = applied.iter().filter(|c| c.action == Action::Delete).count();
    console.out(format!("Monitoring: {created} created, {updated} updated, {deleted} deleted."));
}

/// `status`: one row per alarm that is not OK, and a count of those that are.
pub fn print_alarm_states(console: &Console, alarms: &[AlarmState]) {
    if alarms.is_empty() {
        console.out("alarms: none (run `forgectl deploy` with a tier that declares `alerts:`)");
        return;
    }
    let mut table = console.table(&["ALARM", "STATE"]);
    for alarm in alarms {
        table.add_row(vec![alarm.name.clone(), alarm.state.clone()]);
    }
    console.out(table);
    let firing = alarms.iter().filter(|alarm| alarm.state == "ALARM").count();
    console.out(format!("alarms: {} in total, {firing} firing", alarms.len()));
}
