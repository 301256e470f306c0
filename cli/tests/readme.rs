//! README.md's ladder table is generated from profiles/; this keeps the two
//! in sync. Regenerate with `FORGECTL_UPDATE_README=1 cargo test -p forgectl --test readme`.

use std::path::Path;

use forgectl::profile::{load_all, ProfileSource, ResolveOptions};
use forgectl::views::profiles::ladder_markdown;

const START: &str = "<!-- profiles-table:start (generated from profiles/; see cli/tests/readme.rs) -->";
const END: &str = "<!-- profiles-table:end -->";

#[test]
fn readme_ladder_table_matches_profiles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = ProfileSource::Directory(root.join("profiles"));
    let profiles = load_all(&source, ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"));
    let table = ladder_markdown(&profiles);

    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_else(|err| panic!("README.md: {err}"));
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md lacks the profiles-table markers");
    };
    let current = readme[start + START.len()..end].trim();
    if current == table {
        return;
    }
    if std::env::var_os("FORGECTL_UPDATE_README").is_some() {
        let updated = format!("{}{START}\n{table}\n{END}{}", &readme[..start], &readme[end + END.len()..]);
        std::fs::write(&readme_path, updated).unwrap_or_else(|err| panic!("write README.md: {err}"));
        return;
    }
    panic!(
        "README.md's ladder table is stale; run FORGECTL_UPDATE_README=1 cargo test -p forgectl --test readme\n\nexpected:\n{table}"
    );
}
