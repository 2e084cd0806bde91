//! Timing a measurement twice: by the wall clock, and by the CPU time the whole process (every
//! thread) spent. On a machine shared with other work the wall clock also counts the time the
//! benchmark waited for a core; the CPU time counts only what the benchmark itself did, in user
//! space and in the kernel, which is what the library under test can change.

use std::io;
use std::time::{Duration, Instant};

/// What one measurement took.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub wall: Duration,
    pub cpu: Duration,
}

pub struct Stopwatch {
    wall: Instant,
    cpu: Duration,
}

impl Stopwatch {
    pub fn start() -> io::Result<Stopwatch> {
        Ok(Stopwatch {
            cpu: process_cpu_time()?,
            wall: Instant::now(),
        })
    }

    pub fn stop(self) -> io::Result<Timing> {
        let wall = self.wall.elapsed();
        Ok(Timing {
            wall,
            cpu: process_cpu_time()?.saturating_sub(self.cpu),
        })
    }
}

/// User plus system time of all threads of this process so far (`CLOCK_PROCESS_CPUTIME_ID`).
fn process_cpu_time() -> io::Result<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for clock_gettime to fill in.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}
