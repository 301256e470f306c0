//! Where the consumer stores a topic's records in `sync_db`. Shared so that
//! `forgectl status` counts rows in the same tables the consumer writes.

/// PostgreSQL's identifier length limit.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// Table for a topic's records: the topic name made a safe identifier.
pub fn table_name(topic: &str) -> String {
    let mut name: String =
        topic.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 't');
    }
    name.truncate(MAX_IDENTIFIER_BYTES);
    name
}

#[cfg(test)]
mod tests {
    use super::table_name;

    #[test]
    fn topic_names_become_safe_identifiers() {
        assert_eq!(table_name("sms_batched"), "sms_batched");
        assert_eq!(table_name("run-1.Events"), "run_1_events");
        assert_eq!(table_name("9lives"), "t9lives");
        assert_eq!(table_name(&"x".repeat(100)).len(), 63);
    }
}
