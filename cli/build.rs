//! Records what `forgectl version` reports: the commit the binary was built
//! from and when. A release pipeline sets FORGECTL_GIT_COMMIT (its checkout
//! may have no .git); SOURCE_DATE_EPOCH makes the date reproducible.

use std::path::Path;
use std::process::Command;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn main() {
    println!("cargo:rerun-if-env-changed=FORGECTL_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());

    let commit = std::env::var("FORGECTL_GIT_COMMIT")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .or_else(|| git(&manifest_dir, &["rev-parse", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    // A new commit changes HEAD (or the branch it points at): rebuild then.
    if let Some(head) = git(&manifest_dir, &["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={}", Path::new(&manifest_dir).join(head).display());
    }
    if let Some(branch) = git(&manifest_dir, &["symbolic-ref", "-q", "HEAD"]) {
        if let Some(reference) = git(&manifest_dir, &["rev-parse", "--git-path", &branch]) {
            println!("cargo:rerun-if-changed={}", Path::new(&manifest_dir).join(reference).display());
        }
    }

    let built = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|epoch| epoch.trim().parse::<i64>().ok())
        .and_then(|epoch| OffsetDateTime::from_unix_timestamp(epoch).ok())
        .unwrap_or_else(OffsetDateTime::now_utc);
    let built = built.replace_nanosecond(0).unwrap_or(built);
    let built = built.format(&Rfc3339).unwrap_or_else(|_| "unknown".into());

    println!("cargo:rustc-env=FORGECTL_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=FORGECTL_BUILD_DATE={built}");
    println!("cargo:rustc-env=FORGECTL_BUILD_TARGET={}", std::env::var("TARGET").unwrap_or_default());
}

fn git(dir: &str, args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).current_dir(dir).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}
