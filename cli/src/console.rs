//! The one place forgectl writes to the terminal. Results go to stdout (a
//! table or JSON); status, warnings, errors and progress go to stderr, so
//! `--output json` stays machine-readable. Without a TTY (or with CI=true)
//! progress becomes timestamped plain lines.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::progress::{Line, Waiting};

/// How often plain (non-TTY) progress repeats an unchanged state. Long
/// enough not to flood CI logs during a 60-minute MSK create, short enough
/// to show the job is alive.
const PLAIN_PROGRESS_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
}

/// When to colour the output: `auto` colours a terminal unless `NO_COLOR`
/// is set; the flag, given explicitly, wins over `NO_COLOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream, given whether it is a terminal and the
    /// value of `NO_COLOR` (any non-empty value turns `auto` off).
    pub fn colours(self, is_terminal: bool, no_color: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && no_color.is_none_or(str::is_empty),
        }
    }
}

const ERROR_STYLE: anstyle::Style = anstyle::AnsiColor::Red.on_default().bold();
const WARNING_STYLE: anstyle::Style = anstyle::AnsiColor::Yellow.on_default().bold();
const HINT_STYLE: anstyle::Style = anstyle::AnsiColor::Cyan.on_default();

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("cannot write output: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot encode output as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{action} needs confirmation, and there is no terminal to ask on")]
    ConfirmationRequired { action: String },
    #[error("{action} cancelled; nothing was changed")]
    Declined { action: String },
}

impl ConsoleError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ConsoleError::ConfirmationRequired { .. } => {
                Some("pass --yes to apply without a prompt (as in a CI pipeline)".into())
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Console {
    format: OutputFormat,
    stdout_is_tty: bool,
    /// Prompts and progress bars need a human on stdin and stderr, and no CI.
    interactive: bool,
    /// Colour tables on stdout, and the `error:`/`warning:`/`hint:` words on stderr.
    stdout_colour: bool,
    stderr_colour: bool,
}

impl Console {
    pub fn new(format: OutputFormat) -> Self {
        Self::with_colour(format, ColorChoice::Auto)
    }

    pub fn with_colour(format: OutputFormat, colour: ColorChoice) -> Self {
        let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
        let interactive = !ci && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let no_color = std::env::var("NO_COLOR").ok();
        let stdout_is_tty = std::io::stdout().is_terminal();
        Self {
            format,
            stdout_is_tty,
            interactive,
            stdout_colour: colour.colours(stdout_is_tty, no_color.as_deref()),
            stderr_colour: colour.colours(std::io::stderr().is_terminal(), no_color.as_deref()),
        }
    }

    /// `word` in `style` when stderr is coloured.
    fn styled(&self, style: anstyle::Style, word: &str) -> String {
        if self.stderr_colour {
            format!("{style}{word}{style:#}")
        } else {
            word.to_string()
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// Whether stdout is a terminal (a live view may redraw it in place).
    pub fn stdout_is_tty(&self) -> bool {
        self.stdout_is_tty
    }

    /// Prints `value` as JSON, or lets `human` print tables and text.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce(&Console)) -> Result<(), ConsoleError> {
        match self.format {
            OutputFormat::Json => self.json(value),
            OutputFormat::Table => {
                human(self);
                Ok(())
            }
        }
    }

    pub fn json<T: Serialize>(&self, value: &T) -> Result<(), ConsoleError> {
        let text = serde_json::to_string_pretty(value)?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{text}")?;
        Ok(())
    }

    /// A table styled for where stdout goes: box drawing on a terminal,
    /// fitted to its width (cells wrap between words, not inside them),
    /// bold headers when colour is on; plain ASCII, unwrapped, in logs and
    /// pipes.
    pub fn table(&self, header: &[&str]) -> Table {
        let mut table = Table::new();
        table
            .load_style(if self.stdout_is_tty { presets::UTF8_FULL_CONDENSED } else { presets::ASCII_FULL_CONDENSED })
            .set_content_arrangement(if self.stdout_is_tty {
                ContentArrangement::Dynamic
            } else {
                ContentArrangement::Disabled
            });
        if self.stdout_colour {
            // comfy-table styles only what it thinks is a terminal; the
            // choice was made here already (`--color always` into a pipe).
            table.enforce_styling();
            table.set_header(header.iter().map(|title| Cell::new(title).add_attribute(Attribute::Bold)));
        } else {
            table.force_no_tty();
            table.set_header(header.iter().copied());
        }
        table
    }

    /// A plan's action word, coloured by what it does to the resource when
    /// colour is on: green creates, yellow changes, red deletes or replaces.
    pub fn action_cell(&self, action: &str) -> Cell {
        let cell = Cell::new(action);
        if !self.stdout_colour {
            return cell;
        }
        let verb = action.split([' ', '(']).next().unwrap_or(action);
        match verb {
            "create" | "add" => cell.fg(Color::Green),
            "update" | "change" | "scale" | "rolling-update" | "alter" | "increase" => cell.fg(Color::Yellow),
            "delete" | "replace" | "remove" | "recreate" | "refused" | "refused:" => {
                cell.fg(Color::Red).add_attribute(Attribute::Bold)
            }
            _ => cell,
        }
    }

    /// Result text on stdout (tables, summaries).
    pub fn out(&self, text: impl std::fmt::Display) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`forgectl … | head`) is not an error worth reporting.
        let _ = writeln!(stdout, "{text}");
    }

    /// A status line on stderr, timestamped when it may end up in a log.
    pub fn info(&self, text: impl std::fmt::Display) {
        self.stderr_line(&text.to_string());
    }

    pub fn warn(&self, text: impl std::fmt::Display) {
        self.stderr_line(&format!("{} {text}", self.styled(WARNING_STYLE, "warning:")));
    }

    /// Prints an error with its cause chain and a hint, the way every
    /// failing command ends.
    pub fn error(&self, error: &(dyn std::error::Error + 'static), hint: Option<&str>) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{} {error}", self.styled(ERROR_STYLE, "error:"));
        let mut cause = error.source();
        while let Some(inner) = cause {
            let _ = writeln!(stderr, "  caused by: {inner}");
            cause = inner.source();
        }
        if let Some(hint) = hint {
            let _ = writeln!(stderr, "  {} {hint}", self.styled(HINT_STYLE, "hint:"));
        }
    }

    /// Asks before a change. `assume_yes` (`--yes`) skips the question;
    /// without a terminal and without `--yes` nothing is changed.
    pub fn confirm(&self, action: &str, assume_yes: bool) -> Result<(), ConsoleError> {
        if assume_yes {
            return Ok(());
        }
        if !self.interactive {
            return Err(ConsoleError::ConfirmationRequired { action: action.to_string() });
        }
        {
            let mut stderr = std::io::stderr().lock();
            write!(stderr, "{action}? Only 'yes' is accepted: ")?;
            stderr.flush()?;
        }
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() == "yes" {
            Ok(())
        } else {
            Err(ConsoleError::Declined { action: action.to_string() })
        }
    }

    /// Asks for a value on the terminal; an empty answer takes `default`.
    /// Only for interactive runs (callers check [`Console::is_interactive`]).
    pub fn ask(&self, question: &str, default: &str) -> Result<String, ConsoleError> {
        {
            let mut stderr = std::io::stderr().lock();
            write!(stderr, "{question} [{default}]: ")?;
            stderr.flush()?;
        }
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        let answer = answer.trim();
        Ok(if answer.is_empty() { default.to_string() } else { answer.to_string() })
    }

    /// Progress for a long wait: a spinner on a terminal, plain lines elsewhere.
    pub fn spinner(&self, label: &str) -> Spinner {
        let bar = self.interactive.then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} [{elapsed_precise}] {msg}") {
                bar.set_style(style);
            }
            bar.set_prefix(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Spinner {
            bar,
            label: label.to_string(),
            started: Instant::now(),
            last_plain: None,
            last_message: String::new(),
            console: self.clone(),
        }
    }

    fn stderr_line(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        if self.interactive {
            let _ = writeln!(stderr, "{text}");
        } else {
            let _ = writeln!(stderr, "{} {text}", timestamp());
        }
    }
}

pub struct Spinner {
    bar: Option<ProgressBar>,
    label: String,
    started: Instant,
    last_plain: Option<Instant>,
    last_message: String,
    console: Console,
}

impl Spinner {
    pub fn update(&mut self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
            return;
        }
        let changed = message != self.last_message;
        let due = self.last_plain.is_none_or(|at| at.elapsed() >= PLAIN_PROGRESS_INTERVAL);
        if changed || due {
            self.console.info(format!(
                "{}: {message} (elapsed {})",
                self.label,
                format_elapsed(self.started.elapsed())
            ));
            self.last_plain = Some(Instant::now());
            self.last_message = message.to_string();
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn finish(self, message: &str) {
        let elapsed = format_elapsed(self.started.elapsed());
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.console.info(format!("{}: {message} (after {elapsed})", self.label));
    }
}

impl crate::progress::Progress for Console {
    fn line(&self, weight: Line, text: String) {
        match weight {
            Line::Info => self.info(text),
            Line::Warning => self.warn(text),
        }
    }

    fn wait(&self, label: &str) -> Box<dyn Waiting> {
        Box::new(self.spinner(label))
    }

    fn share(&self) -> Arc<dyn crate::progress::Progress> {
        Arc::new(self.clone())
    }

    fn can_ask(&self) -> bool {
        self.interactive
    }

    fn approve(&self, action: &str) -> Result<(), ConsoleError> {
        self.confirm(action, false)
    }
}

impl Waiting for Spinner {
    fn update(&mut self, state: &str) {
        Spinner::update(self, state);
    }

    fn elapsed(&self) -> Duration {
        Spinner::elapsed(self)
    }

    fn finish(self: Box<Self>, outcome: &str) {
        Spinner::finish(*self, outcome);
    }
}

pub fn format_elapsed(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    if seconds >= 60 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{}.{}s", seconds, elapsed.subsec_millis() / 100)
    }
}

fn timestamp() -> String {
    OffsetDateTime::now_utc().replace_nanosecond(0).ok().and_then(|now| now.format(&Rfc3339).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_is_short_and_readable() {
        assert_eq!(format_elapsed(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_elapsed(Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn colour_follows_the_flag_then_no_color_then_the_terminal() {
        assert!(ColorChoice::Auto.colours(true, None));
        assert!(ColorChoice::Auto.colours(true, Some("")), "an empty NO_COLOR is unset");
        assert!(!ColorChoice::Auto.colours(true, Some("1")));
        assert!(!ColorChoice::Auto.colours(false, None));
        assert!(ColorChoice::Always.colours(false, Some("1")));
        assert!(!ColorChoice::Never.colours(true, None));
    }
}
