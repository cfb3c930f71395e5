//! Child-process plumbing shared by [`crate::moto`] and [`crate::emulator`].

use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// Makes `cmd` start in its own process group (so the whole group can be killed) and die
/// with SIGKILL when the thread that spawned it exits (so a killed test leaves nothing).
pub(crate) fn isolate(cmd: &mut tokio::process::Command) {
    cmd.process_group(0);
    // SAFETY: only async-signal-safe calls (prctl, getppid, kill) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let parent = libc::getppid();
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl.
            if libc::getppid() != parent {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
            Ok(())
        });
    }
}

/// SIGKILLs the process group led by `pid` (see [`isolate`]) and the process itself.
pub(crate) fn kill_group(pid: u32) {
    let pid = pid as libc::pid_t;
    if pid <= 0 {
        return;
    }
    // SAFETY: plain kill(2) calls.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
    }
}

/// Kills `child`'s process group and reaps it (blocking, bounded), so no zombie is left.
pub(crate) fn kill_and_reap(child: &mut tokio::process::Child) -> Option<ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        if let Some(pid) = child.id() {
            kill_group(pid);
        }
        return Some(status);
    }
    if let Some(pid) = child.id() {
        kill_group(pid);
    }
    let _ = child.start_kill();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => return None,
        }
    }
    None
}
