use std::time::Duration;

use clap::Args;

use super::plan::target_options;
use crate::cli::GlobalArgs;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::provision::{self as ops, ProvisionOptions, DEFAULT_TIMEOUT};
use crate::views;

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// Tier to provision (default: the environment's `tier`).
    #[arg(long)]
    pub tier: Option<String>,
    /// Apply without asking (required when there is no terminal, as in CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show the plan and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Give up waiting after this long (e.g. 90m, 1h30m, 45s); re-running resumes.
    #[arg(long, value_parser = parse_duration, default_value = "90m", value_name = "DURATION")]
    pub timeout: Duration,
    /// Do not run `topics sync` for the tier at the end.
    #[arg(long)]
    pub skip_topics: bool,
}

pub async fn run(args: ProvisionArgs, global: &GlobalArgs, console: &Console) -> Result<Exit, CliError> {
    if let Some(environment) = super::local_provider::local_environment(global)? {
        return super::local_provider::provision(args, environment, global, console).await;
    }
    debug_assert_eq!(parse_duration("90m"), Ok(DEFAULT_TIMEOUT));
    let options = ProvisionOptions {
        target: target_options(global, args.tier)?,
        assume_yes: args.yes,
        dry_run: args.dry_run,
        timeout: args.timeout,
        skip_topics: args.skip_topics,
    };
    if let Some(report) = ops::provision(&options, console).await? {
        console.emit(&report, |console| views::cluster::print_provision(console, &report))?;
    }
    Ok(Exit::Success)
}

/// `90m`, `1h30m`, `45s`, `2h`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(format!("`{text}`: unknown unit `{c}`; use h, m or s (e.g. 90m)")),
        };
        let value: u64 = number.parse().map_err(|_| format!("`{text}`: expected a number before `{c}`"))?;
        total = total.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(format!("`{text}` is not a duration; use e.g. 90m, 1h30m or 45s"));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("0m").is_err());
    }
}
