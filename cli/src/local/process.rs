//! Starting and stopping the processes the local provider owns. A process
//! is only ever signalled after checking, through /proc, that the PID still
//! runs the executable we started: PIDs are recycled.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::LocalError;

/// How long a service gets to drain and exit after SIGTERM before SIGKILL.
/// The consumer finishes and commits its in-flight batch; the producer
/// flushes its Kafka queue (bounded by its delivery timeout of 15 s).
pub const GRACEFUL_STOP: Duration = Duration::from_secs(30);

/// Starts `executable` detached from forgectl (its own process group, so a
/// Ctrl-C at the terminal does not reach it), with `env` added to the
/// environment and output appended to `log`.
pub fn spawn(executable: &Path, args: &[&str], env: &[(String, String)], log: &Path) -> Result<i32, LocalError> {
    let what = executable.display().to_string();
    let open_log = || {
        OpenOptions::new().create(true).append(true).open(log).map_err(|source| LocalError::Io {
            action: "open",
            path: log.to_path_buf(),
            source,
        })
    };
    let child = Command::new(executable)
        .args(args)
        .envs(env.iter().map(|(key, value)| (key.as_str(), value.as_str())))
        .stdin(Stdio::null())
        .stdout(open_log()?)
        .stderr(open_log()?)
        .process_group(0)
        .spawn()
        .map_err(|source| LocalError::Spawn { what, source })?;
    i32::try_from(child.id()).map_err(|_| LocalError::Signal { pid: -1, reason: "PID out of range".into() })
}

/// True when `pid` is alive and runs `executable`.
pub fn is_running(pid: i32, executable: &Path) -> bool {
    if pid <= 0 {
        return false;
    }
    let Ok(actual) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    // A zombie keeps its exe link until reaped; it is not running.
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false);
    // An executable replaced on disk since the process started (a rebuilt
    // or upgraded forgectl) shows as "<path> (deleted)"; it is still ours.
    let started_from =
        actual.to_str().and_then(|path| path.strip_suffix(" (deleted)")).map(PathBuf::from).unwrap_or(actual);
    let same = std::fs::canonicalize(executable).is_ok_and(|expected| expected == started_from);
    same && !zombie
}

/// SIGTERM, wait up to `grace`, then SIGKILL. Returns once the process is gone.
pub async fn stop(pid: i32, executable: &Path, grace: Duration) -> Result<(), LocalError> {
    if !is_running(pid, executable) {
        return Ok(());
    }
    signal(pid, Signal::SIGTERM)?;
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !is_running(pid, executable) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if is_running(pid, executable) {
        signal(pid, Signal::SIGKILL)?;
    }
    Ok(())
}

fn signal(pid: i32, signal: Signal) -> Result<(), LocalError> {
    match kill(Pid::from_raw(pid), signal) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
        Err(errno) => Err(LocalError::Signal { pid, reason: errno.desc().to_string() }),
    }
}

/// A free loopback port. The kernel picks it; the short window before the
/// service binds it is acceptable on a development machine.
pub fn free_port() -> Result<u16, LocalError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|source| LocalError::Listen { address: "127.0.0.1:0".into(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `destroy` must still stop a balancer whose forgectl binary was
    /// rebuilt or upgraded while it ran.
    #[test]
    fn a_process_whose_executable_was_replaced_is_still_recognised() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let copy = dir.path().join("sleeper");
        std::fs::copy("/bin/sleep", &copy).unwrap_or_else(|err| panic!("{err}"));
        let mut child = std::process::Command::new(&copy).arg("30").spawn().unwrap_or_else(|err| panic!("{err}"));
        let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
        assert!(is_running(pid, &copy));
        // Replace the file the way a build does: remove it, write a new one.
        std::fs::remove_file(&copy).unwrap_or_else(|err| panic!("{err}"));
        std::fs::copy("/bin/sleep", &copy).unwrap_or_else(|err| panic!("{err}"));
        assert!(is_running(pid, &copy), "replaced on disk, still the same program path");
        assert!(!is_running(pid, Path::new("/bin/true")), "another program is not ours");
        let _ = child.kill();
        let _ = child.wait();
        assert!(!is_running(pid, &copy));
    }
}
