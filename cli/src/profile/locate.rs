//! Finds the line a dotted key path sits on in a YAML file, so that a rule
//! broken by merged values can still point at the file and line to edit.
//! serde_norway keeps no positions for values that deserialised fine, hence a
//! second, event-level pass with yaml-rust2.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Dotted key path (`topics.sms_batched.partitions`) to 1-based line.
#[derive(Debug, Default, Clone)]
pub struct KeyLines {
    lines: HashMap<String, usize>,
}

impl KeyLines {
    /// Indexes every mapping key in `text`. A file that does not parse yields
    /// an empty index: the parse error is reported elsewhere, with its own line.
    pub fn index(text: &str) -> Self {
        let mut collector = Collector::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut collector, false).is_err() {
            return Self::default();
        }
        Self { lines: collector.lines }
    }

    pub fn line_of(&self, path: &str) -> Option<usize> {
        self.lines.get(path).copied()
    }
}

enum Frame {
    /// Inside a mapping; `pending_key` is the key whose value comes next.
    Mapping {
        pending_key: Option<String>,
    },
    Sequence {
        next_index: usize,
    },
}

#[derive(Default)]
struct Collector {
    stack: Vec<Frame>,
    /// Path segments of the containers we are inside.
    path: Vec<String>,
    lines: HashMap<String, usize>,
}

impl Collector {
    /// Called when a value (scalar or container) starts at the current
    /// position; returns the path segment it is stored under, if any.
    fn enter_value(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            Some(Frame::Mapping { pending_key }) => pending_key.take(),
            Some(Frame::Sequence { next_index }) => {
                let segment = next_index.to_string();
                *next_index += 1;
                Some(segment)
            }
            None => None,
        }
    }

    fn key_expected(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Mapping { pending_key: None }))
    }

    fn full_path(&self, last: &str) -> String {
        let mut parts: Vec<&str> = self.path.iter().map(String::as_str).collect();
        parts.push(last);
        parts.join(".")
    }
}

impl MarkedEventReceiver for Collector {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(value, ..) if self.key_expected() => {
                self.lines.entry(self.full_path(&value)).or_insert(mark.line());
                if let Some(Frame::Mapping { pending_key }) = self.stack.last_mut() {
                    *pending_key = Some(value);
                }
            }
            Event::Scalar(..) | Event::Alias(..) => {
                self.enter_value();
            }
            Event::MappingStart(..) => {
                if let Some(segment) = self.enter_value() {
                    self.path.push(segment);
                }
                self.stack.push(Frame::Mapping { pending_key: None });
            }
            Event::SequenceStart(..) => {
                if let Some(segment) = self.enter_value() {
                    self.path.push(segment);
                }
                self.stack.push(Frame::Sequence { next_index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                // The document root has no segment; every nested container does.
                if !self.stack.is_empty() {
                    self.path.pop();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
extends: _base.yaml
kafka:
  brokers: 3
topics:
  sms_batched: {partitions: 4}
  events_log:
    partitions: 2
roles:
  producer: {min: 1, max: 3}
india:
  excluded_topics: [a, b]
";

    #[test]
    fn finds_nested_block_and_flow_keys() {
        let lines = KeyLines::index(SAMPLE);
        assert_eq!(lines.line_of("extends"), Some(1));
        assert_eq!(lines.line_of("kafka.brokers"), Some(3));
        assert_eq!(lines.line_of("topics.sms_batched"), Some(5));
        assert_eq!(lines.line_of("topics.sms_batched.partitions"), Some(5));
        assert_eq!(lines.line_of("topics.events_log.partitions"), Some(7));
        assert_eq!(lines.line_of("roles.producer.max"), Some(9));
        assert_eq!(lines.line_of("india.excluded_topics"), Some(11));
        assert_eq!(lines.line_of("topics.missing"), None);
    }

    #[test]
    fn unparsable_text_gives_empty_index() {
        let lines = KeyLines::index("a: [unclosed");
        assert_eq!(lines.line_of("a"), None);
    }
}

/// The layers of one profile, upper first, for pointing issues at the file
/// that actually sets a key.
#[derive(Debug, Default)]
pub struct Locator {
    layers: Vec<(String, KeyLines)>,
}

impl Locator {
    pub fn new(layers: Vec<(String, KeyLines)>) -> Self {
        Self { layers }
    }

    /// The file and line that set `key`: the uppermost layer that has it,
    /// else the closest parent key that exists, else the upper file.
    pub fn locate(&self, key: &str) -> (String, Option<usize>) {
        let mut candidate = key;
        loop {
            for (file, lines) in &self.layers {
                if let Some(line) = lines.line_of(candidate) {
                    return (file.clone(), Some(line));
                }
            }
            match candidate.rsplit_once('.') {
                Some((parent, _)) => candidate = parent,
                None => break,
            }
        }
        let top = self.layers.first().map(|(file, _)| file.clone()).unwrap_or_default();
        (top, None)
    }

    pub fn issue(&self, key: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> super::Issue {
        let key = key.into();
        let (file, line) = self.locate(&key);
        super::Issue { file, line, key, message: message.into(), hint: hint.into() }
    }
}
