//! `forgectl cost` as a bill, and the one-line monthly change `plan` and
//! `deploy --dry-run` add. JSON is the estimate's serde form.

use crate::console::Console;
use crate::cost::{CostDelta, CostEstimate, PriceOrigin};
use crate::ops::cost::CostChange;

pub fn print_estimate(console: &Console, estimate: &CostEstimate) {
    let origin = match estimate.prices {
        PriceOrigin::Table => "price table",
        PriceOrigin::Live => "AWS Price List API",
    };
    console.out(format!(
        "tier {} ({} DAU{}) · {} · {:?} instances · {origin} dated {}",
        estimate.tier,
        estimate.dau,
        if estimate.india { ", India" } else { "" },
        estimate.region,
        estimate.instance_size,
        estimate.price_date
    ));
    let mut table = console.table(&["CATEGORY", "ITEM", "QUANTITY", "UNIT PRICE", "MONTHLY MIN", "MONTHLY MAX"]);
    for line in &estimate.lines {
        let quantity = if line.quantity_min == line.quantity_max {
            format!("{} {}", amount(line.quantity_min), line.unit)
        } else {
            format!("{}–{} {}", amount(line.quantity_min), amount(line.quantity_max), line.unit)
        };
        table.add_row(vec![
            line.category.as_str().to_string(),
            match &line.note {
                Some(note) => format!("{}\n({note})", line.item),
                None => line.item.clone(),
            },
            quantity,
            line.unit_price.to_string(),
            money(line.monthly_min),
            money(line.monthly_max),
        ]);
    }
    console.out(table);
    console.out(format!(
        "Monthly total: {} at the ladder's minimum, {} at its maximum ({}, {} hours a month).",
        money(estimate.monthly_min),
        money(estimate.monthly_max),
        estimate.currency,
        estimate.hours_per_month
    ));
    console.out(format!(
        "Traffic (workload v{}): {:.1} uploads/s average, {:.1} at peak; {:.1} GB a month into Kafka.",
        estimate.traffic.workload_version,
        estimate.traffic.uploads_per_second_average,
        estimate.traffic.uploads_per_second_peak,
        estimate.traffic.gb_per_month
    ));
    console.out(format!("Not counted: {}.", estimate.not_counted.join("; ")));
    console.out(format!("Prices: {}", estimate.price_source.join(", ")));
}

pub fn change_line(change: &CostChange) -> String {
    match change {
        CostChange::Priced(delta) => delta_line(delta),
        CostChange::Unpriced { reason } => format!("Monthly cost: not priced ({reason})."),
    }
}

/// "Monthly cost: tier 50k $a–$b → tier 100k $c–$d (+$x–+$y)".
pub fn delta_line(delta: &CostDelta) -> String {
    if delta.from_tier == delta.to_tier {
        return format!(
            "Monthly cost: tier {} {}–{} ({}, prices of {}), unchanged.",
            delta.to_tier,
            money(delta.after_min),
            money(delta.after_max),
            delta.region,
            delta.price_date
        );
    }
    format!(
        "Monthly cost: tier {} {}–{} → tier {} {}–{} ({}–{} a month; {}, prices of {}).",
        delta.from_tier,
        money(delta.before_min),
        money(delta.before_max),
        delta.to_tier,
        money(delta.after_min),
        money(delta.after_max),
        signed(delta.change_min),
        signed(delta.change_max),
        delta.region,
        delta.price_date
    )
}

fn money(value: f64) -> String {
    format!("${value:.2}")
}

fn signed(value: f64) -> String {
    if value < 0.0 {
        format!("-${:.2}", -value)
    } else {
        format!("+${value:.2}")
    }
}

fn amount(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}
