//! CPU time of the local provider's processes, read from procfs: what
//! `forgectl capacity` divides throughput by.

use super::ProveError;

/// CPU seconds (user + system) a process has used since it started.
#[cfg(target_os = "linux")]
pub fn cpu_seconds(pid: i32) -> Result<f64, ProveError> {
    let failed = |reason: String| ProveError::Stopped {
        reached: format!("local instance process {pid}"),
        stopped_at: "reading its CPU time from /proc".into(),
        reason,
        hint: Some("the instance may have exited; check `forgectl status` and redeploy".into()),
    };
    let stat =
        procfs::process::Process::new(pid).and_then(|process| process.stat()).map_err(|err| failed(err.to_string()))?;
    let ticks = procfs::ticks_per_second();
    if ticks == 0 {
        return Err(failed("the kernel reports 0 clock ticks per second".into()));
    }
    Ok((stat.utime + stat.stime) as f64 / ticks as f64)
}

#[cfg(not(target_os = "linux"))]
pub fn cpu_seconds(pid: i32) -> Result<f64, ProveError> {
    Err(ProveError::Invalid {
        message: format!("cannot read the CPU time of process {pid}: capacity measurement needs Linux's /proc"),
        hint: "run `forgectl capacity` on Linux, where the local provider runs".into(),
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_used_some_cpu() {
        let spin = std::time::Instant::now();
        let mut sum = 0u64;
        while spin.elapsed() < std::time::Duration::from_millis(50) {
            sum = sum.wrapping_add(1);
        }
        let pid = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
        let used = cpu_seconds(pid).unwrap_or_else(|err| panic!("{err}"));
        assert!(used > 0.0, "{used} after {sum} spins");
        assert!(cpu_seconds(i32::MAX).is_err());
    }
}
