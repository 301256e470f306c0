//! The local environment's producer API key: generated once per
//! environment into its state directory (mode 0600), handed to the producers
//! through their environment, never their command line.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::state::StateDir;
use super::LocalError;

/// The name the producers report uploads with this key under.
pub const KEY_NAME: &str = "local";

/// 32 random bytes, hex: far above the producer's 16-character minimum.
const KEY_BYTES: usize = 32;

/// The environment's key, created on first use.
pub fn ensure(state: &StateDir) -> Result<String, LocalError> {
    let path = state.api_key_file();
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_string()),
        Ok(_) => {}
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(LocalError::Io { action: "read", path, source }),
    }
    let key =
        generate().map_err(|source| LocalError::Io { action: "generate a key for", path: path.clone(), source })?;
    write_private(&path, &key)?;
    Ok(key)
}

/// The environment's key if deploy has created one; never creates it.
pub fn read(state: &StateDir) -> Result<Option<String>, LocalError> {
    let path = state.api_key_file();
    match std::fs::read_to_string(&path) {
        Ok(key) => Ok(Some(key.trim().to_string()).filter(|key| !key.is_empty())),
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LocalError::Io { action: "read", path, source }),
    }
}

/// `PRODUCER_API_KEYS` for the producers.
pub fn producer_keys_var(key: &str) -> String {
    format!("{KEY_NAME}:{key}")
}

fn generate() -> std::io::Result<String> {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Readable by the owner only, from the moment it exists.
fn write_private(path: &Path, key: &str) -> Result<(), LocalError> {
    let io = |source| LocalError::Io { action: "write", path: path.to_path_buf(), source };
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(io)?;
    file.write_all(key.as_bytes()).map_err(io)?;
    file.write_all(b"\n").map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_key_is_created_private_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path(), "unit");
        state.ensure().unwrap();
        let first = ensure(&state).unwrap();
        assert_eq!(first.len(), KEY_BYTES * 2);
        let mode = std::fs::metadata(state.api_key_file()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(ensure(&state).unwrap(), first);
        assert_eq!(producer_keys_var("k"), "local:k");
    }
}
