//! Reads a tier file and the layers it extends, merges them, resolves and
//! validates the result.

use super::error::{Issue, ProfileError};
use super::locate::{KeyLines, Locator};
use super::merge::Overlay;
use super::model::Profile;
use super::resolve::{apply_india, resolve};
use super::schema::ProfileLayer;
use super::source::{ProfileFile, ProfileSource};
use super::validate::validate;

/// Deeper chains are almost certainly a mistake (or a cycle we missed).
const MAX_EXTENDS_DEPTH: usize = 8;

/// How a profile should be resolved.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveOptions {
    /// Apply the India switch (drop the topics runbook 001 says India does not need).
    pub india: bool,
}

pub fn load_tier(source: &ProfileSource, tier: &str, options: ResolveOptions) -> Result<Profile, ProfileError> {
    let file = source.tier_file(tier);
    if !is_plain_tier_name(tier) || !source.exists(&file) {
        let available = source.tier_files()?.iter().map(ProfileFile::stem).collect::<Vec<_>>().join(", ");
        return Err(ProfileError::UnknownTier {
            tier: tier.to_string(),
            source_description: source.describe(),
            available,
        });
    }
    load_file(source, &file, options)
}

/// Every tier in the source, smallest DAU first.
pub fn load_all(source: &ProfileSource, options: ResolveOptions) -> Result<Vec<Profile>, ProfileError> {
    let files = source.tier_files()?;
    if files.is_empty() {
        return Err(ProfileError::NoTiers { source_description: source.describe() });
    }
    let mut profiles = files.iter().map(|file| load_file(source, file, options)).collect::<Result<Vec<_>, _>>()?;
    profiles.sort_by_key(|profile| profile.dau);
    Ok(profiles)
}

pub fn load_file(source: &ProfileSource, file: &ProfileFile, options: ResolveOptions) -> Result<Profile, ProfileError> {
    let chain = read_chain(source, file)?;
    let locator =
        Locator::new(chain.iter().map(|layer| (layer.display.clone(), KeyLines::index(&layer.text))).collect());
    let merged = chain.into_iter().rev().map(|layer| layer.parsed).fold(ProfileLayer::default(), Overlay::overlay);

    let display = source.display(file);
    let invalid = |issues: Vec<Issue>| ProfileError::Invalid { file: display.clone(), issues };
    let profile = resolve(&file.stem(), &display, merged, &locator).map_err(invalid)?;
    let issues = validate(&profile, &locator);
    if !issues.is_empty() {
        return Err(invalid(issues));
    }
    Ok(if options.india { apply_india(profile) } else { profile })
}

struct LoadedLayer {
    display: String,
    text: String,
    parsed: ProfileLayer,
}

/// The file first, then each layer it extends.
fn read_chain(source: &ProfileSource, file: &ProfileFile) -> Result<Vec<LoadedLayer>, ProfileError> {
    let mut chain: Vec<LoadedLayer> = Vec::new();
    let mut seen: Vec<ProfileFile> = Vec::new();
    let mut next = Some(file.clone());
    while let Some(current) = next.take() {
        let display = source.display(&current);
        let text = source.read(&current)?;
        let parsed = parse_layer(&display, &text)?;
        seen.push(current.clone());
        if let Some(target) = &parsed.extends {
            let target_file = source.relative(&current, target);
            let reason = if seen.contains(&target_file) {
                Some("this creates a cycle of extends".to_string())
            } else if seen.len() >= MAX_EXTENDS_DEPTH {
                Some(format!("more than {MAX_EXTENDS_DEPTH} levels of extends"))
            } else if !source.exists(&target_file) {
                Some(format!("{} does not exist", source.display(&target_file)))
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(ProfileError::Extends { path: display, target: target.clone(), reason });
            }
            next = Some(target_file);
        }
        chain.push(LoadedLayer { display, text, parsed });
    }
    Ok(chain)
}

fn parse_layer(display: &str, text: &str) -> Result<ProfileLayer, ProfileError> {
    // An empty or comment-only file is an empty layer, not a syntax error.
    if text.lines().all(|line| line.trim().is_empty() || line.trim_start().starts_with('#')) {
        return Ok(ProfileLayer::default());
    }
    serde_norway::from_str(text).map_err(|err| {
        let (line, column, message) = crate::yaml_position::split(&err);
        ProfileError::Parse { path: display.to_string(), line, column, message }
    })
}

/// Tier names address files, so they must not smuggle in path components.
fn is_plain_tier_name(tier: &str) -> bool {
    !tier.is_empty()
        && !tier.starts_with('_')
        && tier.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
