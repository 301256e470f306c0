//! Durations on the command line: humantime's grammar (`90m`, `1h 30m`,
//! `45s`), and a bare number as seconds, as the flags have always taken.

use std::time::Duration;

/// `90m`, `1h30m`, `45s`, `2h`; a bare number is seconds. Zero is refused:
/// a wait of nothing would give up before the first look.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => humantime::parse_duration(text)
            .map_err(|err| format!("`{text}` is not a duration ({err}); use e.g. 90m, 1h30m or 45s"))?,
    };
    if duration.is_zero() {
        return Err(format!("`{text}` is no time at all; use e.g. 90m, 1h30m or 45s"));
    }
    Ok(duration)
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
        assert!(parse_duration("0").is_err());
    }
}
