//! Where profile files come from: a directory on disk, or the copies built
//! into the binary so that an installed `forgectl` works outside the repo.

use std::path::{Component, Path, PathBuf};

use super::error::ProfileError;

/// The repo's profiles, embedded at build time. A unit test checks this list
/// against the directory so a new tier file cannot be forgotten here.
const BUILTIN_FILES: &[(&str, &str)] = &[
    ("_base.yaml", include_str!("../../../profiles/_base.yaml")),
    ("25k.yaml", include_str!("../../../profiles/25k.yaml")),
    ("50k.yaml", include_str!("../../../profiles/50k.yaml")),
    ("75k.yaml", include_str!("../../../profiles/75k.yaml")),
    ("100k.yaml", include_str!("../../../profiles/100k.yaml")),
    ("200k.yaml", include_str!("../../../profiles/200k.yaml")),
];

const BUILTIN_PREFIX: &str = "builtin:profiles/";

pub const DEFAULT_PROFILES_DIR: &str = "profiles";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSource {
    Directory(PathBuf),
    Builtin,
}

/// A file within a source, as the loader addresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFile {
    pub path: PathBuf,
}

impl ProfileSource {
    /// An explicit directory must exist. Without one, `./profiles` is used
    /// when present (working in the repo), else the built-in copies.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, ProfileError> {
        match explicit {
            Some(dir) if dir.is_dir() => Ok(Self::Directory(dir.to_path_buf())),
            Some(dir) => Err(ProfileError::MissingDirectory { path: dir.to_path_buf() }),
            None if Path::new(DEFAULT_PROFILES_DIR).is_dir() => {
                Ok(Self::Directory(PathBuf::from(DEFAULT_PROFILES_DIR)))
            }
            None => Ok(Self::Builtin),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Directory(dir) => format!("directory {}", dir.display()),
            Self::Builtin => "the profiles built into forgectl".to_string(),
        }
    }

    pub fn tier_file(&self, tier: &str) -> ProfileFile {
        let name = format!("{tier}.yaml");
        match self {
            Self::Directory(dir) => ProfileFile { path: dir.join(name) },
            Self::Builtin => ProfileFile { path: PathBuf::from(name) },
        }
    }

    pub fn exists(&self, file: &ProfileFile) -> bool {
        match self {
            Self::Directory(_) => file.path.is_file(),
            Self::Builtin => builtin_text(&file.path).is_some(),
        }
    }

    /// Tier files: `*.yaml` not starting with `_` (those are shared layers).
    pub fn tier_files(&self) -> Result<Vec<ProfileFile>, ProfileError> {
        let mut names: Vec<PathBuf> = match self {
            Self::Directory(dir) => {
                let entries = std::fs::read_dir(dir)
                    .map_err(|source| ProfileError::Read { path: dir.display().to_string(), source })?;
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| is_tier_file_name(path))
                    .collect()
            }
            Self::Builtin => BUILTIN_FILES
                .iter()
                .map(|(name, _)| PathBuf::from(name))
                .filter(|path| is_tier_file_name(path))
                .collect(),
        };
        names.sort();
        Ok(names.into_iter().map(|path| ProfileFile { path }).collect())
    }

    pub fn read(&self, file: &ProfileFile) -> Result<String, ProfileError> {
        match self {
            Self::Directory(_) => std::fs::read_to_string(&file.path)
                .map_err(|source| ProfileError::Read { path: file.path.display().to_string(), source }),
            Self::Builtin => builtin_text(&file.path).map(str::to_string).ok_or_else(|| ProfileError::Read {
                path: self.display(file),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such built-in profile"),
            }),
        }
    }

    /// Resolves `extends: target` relative to the file that names it.
    pub fn relative(&self, from: &ProfileFile, target: &str) -> ProfileFile {
        let parent = from.path.parent().unwrap_or_else(|| Path::new(""));
        ProfileFile { path: normalize(&parent.join(target)) }
    }

    pub fn display(&self, file: &ProfileFile) -> String {
        match self {
            Self::Directory(_) => file.path.display().to_string(),
            Self::Builtin => format!("{BUILTIN_PREFIX}{}", file.path.display()),
        }
    }
}

impl ProfileFile {
    pub fn stem(&self) -> String {
        self.path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

fn is_tier_file_name(path: &Path) -> bool {
    let is_yaml = path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml");
    let is_layer = path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('_'));
    is_yaml && !is_layer
}

fn builtin_text(path: &Path) -> Option<&'static str> {
    let wanted = path.to_string_lossy();
    BUILTIN_FILES.iter().find(|(name, _)| *name == wanted).map(|(_, text)| *text)
}

/// Lexical `..` folding, so that cycle detection compares equal paths.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() && !out.ends_with("..") => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_matches_profiles_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .filter(|name| name.ends_with(".yaml"))
                    .collect()
            })
            .unwrap_or_default();
        on_disk.sort();
        let mut built_in: Vec<String> = BUILTIN_FILES.iter().map(|(name, _)| name.to_string()).collect();
        built_in.sort();
        assert_eq!(on_disk, built_in, "update BUILTIN_FILES in cli/src/profile/source.rs");
    }

    #[test]
    fn normalize_folds_parent_components() {
        assert_eq!(normalize(Path::new("a/b/../c.yaml")), PathBuf::from("a/c.yaml"));
        assert_eq!(normalize(Path::new("./_base.yaml")), PathBuf::from("_base.yaml"));
        assert_eq!(normalize(Path::new("../x.yaml")), PathBuf::from("../x.yaml"));
    }
}
