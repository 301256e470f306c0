//! serde_norway reports a position by appending "at line L column C" to its
//! message; forgectl prints `file:line:column: message` instead, like a
//! compiler, for profiles and forgectl.yaml alike.

/// A YAML error's 1-based line and column, and its message without the
/// appended position.
pub fn split(error: &serde_norway::Error) -> (usize, usize, String) {
    let (line, column) = error.location().map(|loc| (loc.line(), loc.column())).unwrap_or((1, 1));
    let full = error.to_string();
    let message = match full.find(" at line ") {
        Some(cut) => full[..cut].to_string(),
        None => full,
    };
    (line, column, message)
}

#[cfg(test)]
mod tests {
    #[test]
    fn position_moves_out_of_the_message() {
        let error =
            serde_norway::from_str::<u32>("\n\"text\"").err().unwrap_or_else(|| panic!("a string is not a u32"));
        let (line, column, message) = super::split(&error);
        assert_eq!((line, column), (2, 1));
        assert!(!message.contains("at line"), "{message}");
    }
}
