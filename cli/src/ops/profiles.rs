use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::profile::{self, Issue, Profile, ProfileError, ProfileFile, ProfileSource, ResolveOptions};

#[derive(Debug, Clone)]
pub struct ProfilesOptions {
    pub source: ProfileSource,
    pub resolve: ResolveOptions,
}

pub fn list(options: &ProfilesOptions) -> Result<Vec<Profile>, ProfileError> {
    profile::load_all(&options.source, options.resolve)
}

pub fn show(options: &ProfilesOptions, tier: &str) -> Result<Profile, ProfileError> {
    profile::load_tier(&options.source, tier, options.resolve)
}

#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    pub valid: bool,
    pub files: Vec<FileValidation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileValidation {
    pub file: String,
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dau: Option<u64>,
    pub issues: Vec<Issue>,
}

/// Validates every tier of the source, or just `files`. Invalid files are
/// reported, not raised: the report lists them all.
pub fn validate(options: &ProfilesOptions, files: &[PathBuf]) -> Result<ValidationReport, ProfileError> {
    let targets: Vec<(ProfileSource, ProfileFile)> = if files.is_empty() {
        let tiers = options.source.tier_files()?;
        if tiers.is_empty() {
            return Err(ProfileError::NoTiers { source_description: options.source.describe() });
        }
        tiers.into_iter().map(|file| (options.source.clone(), file)).collect()
    } else {
        files
            .iter()
            .map(|path| {
                let dir = path.parent().unwrap_or_else(|| Path::new(".")).to_path_buf();
                (ProfileSource::Directory(dir), ProfileFile { path: path.clone() })
            })
            .collect()
    };

    let results: Vec<FileValidation> = targets
        .iter()
        .map(|(source, file)| {
            let display = source.display(file);
            match profile::load_file(source, file, options.resolve) {
                Ok(profile) => FileValidation {
                    file: display,
                    valid: true,
                    tier: Some(profile.tier),
                    dau: Some(profile.dau),
                    issues: Vec::new(),
                },
                Err(err) => FileValidation {
                    file: display.clone(),
                    valid: false,
                    tier: None,
                    dau: None,
                    issues: issues_of(&display, err),
                },
            }
        })
        .collect();
    Ok(ValidationReport { valid: results.iter().all(|result| result.valid), files: results })
}

/// Every failure as issues, so one report shape covers syntax errors too.
fn issues_of(display: &str, err: ProfileError) -> Vec<Issue> {
    let hint = err.hint().unwrap_or_default();
    match err {
        ProfileError::Invalid { issues, .. } => issues,
        ProfileError::Parse { path, line, message, .. } => {
            vec![Issue { file: path, line: Some(line), key: String::new(), message, hint }]
        }
        other => {
            vec![Issue { file: display.to_string(), line: None, key: String::new(), message: other.to_string(), hint }]
        }
    }
}
