//! `forgectl version` and `forgectl man` for people.

use crate::console::Console;
use crate::ops::build_info::BuildInfo;
use crate::ops::shell_integration::ManPage;

pub fn print(console: &Console, info: &BuildInfo) {
    console.out(format!(
        "forgectl {} (commit {}, built {}, {})",
        info.version, info.git_commit, info.build_date, info.target
    ));
}

pub fn print_man_pages(console: &Console, pages: &[ManPage]) {
    let mut table = console.table(&["COMMAND", "MAN PAGE"]);
    for page in pages {
        table.add_row(vec![page.command.clone(), page.path.display().to_string()]);
    }
    console.out(table);
}
