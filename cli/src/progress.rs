//! What an operation may say, and ask, while it runs. Operations never print: they
//! report progress through this trait and return data. The terminal
//! implementation is `Console`; tests use `Silent`. Keeping the seam this
//! small is what lets an operation (and the backends it builds) run under a
//! command, a test, or another operation without knowing which.

use std::fmt::Display;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::console::ConsoleError;

/// A status line's weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Info,
    Warning,
}

pub trait Progress: Send + Sync {
    /// One status line (never a result: results are returned).
    fn line(&self, weight: Line, text: String);
    /// A long wait shown live until it is finished.
    fn wait(&self, label: &str) -> Box<dyn Waiting>;
    /// An owned handle, for backends that outlive the call that built them.
    fn share(&self) -> Arc<dyn Progress>;
    /// Whether someone is there to approve a change (a terminal, not CI).
    fn can_ask(&self) -> bool;
    /// Asks before a change; an error when declined or when nobody can answer.
    fn approve(&self, action: &str) -> Result<(), ConsoleError>;
}

impl dyn Progress + '_ {
    pub fn info(&self, text: impl Display) {
        self.line(Line::Info, text.to_string());
    }

    pub fn warn(&self, text: impl Display) {
        self.line(Line::Warning, text.to_string());
    }
}

/// One long wait in progress.
pub trait Waiting: Send {
    fn update(&mut self, state: &str);
    fn elapsed(&self) -> Duration;
    fn finish(self: Box<Self>, outcome: &str);
}

/// Says nothing: for tests and for operations run inside another one whose
/// own progress already covers them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn line(&self, _weight: Line, _text: String) {}

    fn wait(&self, _label: &str) -> Box<dyn Waiting> {
        Box::new(SilentWait { started: Instant::now() })
    }

    fn share(&self) -> Arc<dyn Progress> {
        Arc::new(Silent)
    }

    fn can_ask(&self) -> bool {
        false
    }

    fn approve(&self, action: &str) -> Result<(), ConsoleError> {
        Err(ConsoleError::ConfirmationRequired { action: action.to_string() })
    }
}

struct SilentWait {
    started: Instant,
}

impl Waiting for SilentWait {
    fn update(&mut self, _state: &str) {}

    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn finish(self: Box<Self>, _outcome: &str) {}
}
