//! `forgectl images init`: the ECR repositories and what changed on each.

use crate::console::Console;
use crate::ops::images::RepositoryResult;

pub fn print_init(console: &Console, results: &[RepositoryResult]) {
    let mut table = console.table(&["REPOSITORY", "URI", "CHANGE"]);
    for repo in results {
        // The change's JSON name (`created`, `unchanged`…) is also its table text.
        let change = serde_json::to_value(repo.change)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        table.add_row(vec![repo.name.clone(), repo.uri.clone(), change]);
    }
    console.out(table);
}
