use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cost::retention::{self, RetentionSizing, SAFE_DISK_SHARE};
use crate::cost::Workload;
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
    /// Retention against the brokers' disks, by the workload model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionSizing>,
    pub issues: Vec<Issue>,
}

/// A tier whose retained data would fill more than the safe share of its
/// brokers' disks is invalid: a burst or a slow consumer then fills a disk
/// and stops a broker, which loses more than the retention protects.
fn size_retention(display: &str, profile: &Profile) -> (Option<RetentionSizing>, Vec<Issue>) {
    let workload = match Workload::builtin() {
        Ok(workload) => workload,
        Err(err) => {
            let issue = Issue {
                file: display.to_string(),
                line: None,
                key: "retention.ms".into(),
                message: format!("cannot size retention: {err}"),
                hint: "report this: the workload model is built into forgectl".into(),
            };
            return (None, vec![issue]);
        }
    };
    let sizing = retention::size(profile, &workload);
    if sizing.fits() {
        return (Some(sizing), Vec::new());
    }
    let hours = sizing.tolerated_outage_hours.map(retention::human_hours).unwrap_or_else(|| "the retention".into());
    let issue = Issue {
        file: display.to_string(),
        line: None,
        key: "kafka.ebs_volume_gib".into(),
        message: format!(
            "{hours} of retention holds {:.0} GiB per broker (workload model v{}), {:.0}% of the {} GiB volume; the safe share is {:.0}%",
            sizing.gib_per_broker,
            sizing.workload_version,
            sizing.disk_share * 100.0,
            sizing.ebs_volume_gib,
            SAFE_DISK_SHARE * 100.0
        ),
        hint: format!(
            "raise kafka.ebs_volume_gib to at least {:.0}, add brokers, or shorten retention.ms",
            (sizing.gib_per_broker / SAFE_DISK_SHARE).ceil()
        ),
    };
    (Some(sizing), vec![issue])
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
                Ok(profile) => {
                    let (sizing, issues) = size_retention(&display, &profile);
                    FileValidation {
                        file: display,
                        valid: issues.is_empty(),
                        tier: Some(profile.tier),
                        dau: Some(profile.dau),
                        retention: sizing,
                        issues,
                    }
                }
                Err(err) => FileValidation {
                    file: display.clone(),
                    valid: false,
                    tier: None,
                    dau: None,
                    retention: None,
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
