//! Helpers shared by the integration tests.
//!
//! Tests never sleep to synchronise: they poll in a loop until what they expect has been seen or a
//! generous deadline has passed, so a loaded machine makes them slower, not flaky.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use minimio::event::Event;
use minimio::{Events, Poll, Token};

/// How long a test waits for something that must happen.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// How long a test waits to be reasonably sure something does *not* happen.
pub const QUIET: Duration = Duration::from_millis(150);

/// Readiness a test expects for one token. `None` fields are not checked.
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    pub token: Token,
    pub readable: Option<bool>,
    pub writable: Option<bool>,
    pub read_closed: Option<bool>,
    pub write_closed: Option<bool>,
    pub error: Option<bool>,
}

impl Default for Expect {
    fn default() -> Expect {
        Expect {
            token: Token(0),
            readable: None,
            writable: None,
            read_closed: None,
            write_closed: None,
            error: None,
        }
    }
}

impl Expect {
    pub fn readable(token: Token) -> Expect {
        Expect {
            token,
            readable: Some(true),
            ..Expect::default()
        }
    }

    pub fn writable(token: Token) -> Expect {
        Expect {
            token,
            writable: Some(true),
            ..Expect::default()
        }
    }

    pub fn read_closed(token: Token) -> Expect {
        Expect {
            token,
            read_closed: Some(true),
            ..Expect::default()
        }
    }

    pub fn error(token: Token) -> Expect {
        Expect {
            token,
            error: Some(true),
            ..Expect::default()
        }
    }

    /// Any event at all for `token`.
    pub fn any(token: Token) -> Expect {
        Expect {
            token,
            ..Expect::default()
        }
    }

    fn matches(&self, event: &Event) -> bool {
        fn ok(want: Option<bool>, got: bool) -> bool {
            want.is_none_or(|w| w == got)
        }
        event.token() == self.token
            && ok(self.readable, event.is_readable())
            && ok(self.writable, event.is_writable())
            && ok(self.read_closed, event.is_read_closed())
            && ok(self.write_closed, event.is_write_closed())
            && ok(self.error, event.is_error())
    }
}

/// Polls until every expectation has been matched by some event, or panics after [`DEADLINE`].
/// Returns every event seen on the way, as (token, readable, writable, read_closed, error).
pub fn expect_events(poll: &mut Poll, events: &mut Events, expected: &[Expect]) -> Vec<Seen> {
    let mut pending: Vec<Expect> = expected.to_vec();
    let mut seen = Vec::new();
    let deadline = Instant::now() + DEADLINE;
    while !pending.is_empty() {
        let now = Instant::now();
        assert!(
            now < deadline,
            "timed out waiting for {pending:?}; saw {seen:?}"
        );
        poll.poll(events, Some(deadline - now))
            .expect("poll failed");
        for event in events.iter() {
            seen.push(Seen::from(event));
            pending.retain(|e| !e.matches(event));
        }
    }
    seen
}

/// Polls for [`QUIET`] and panics if any event arrives for one of `tokens` (all tokens if empty).
pub fn expect_no_events(poll: &mut Poll, events: &mut Events, tokens: &[Token]) {
    let deadline = Instant::now() + QUIET;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        poll.poll(events, Some(deadline - now))
            .expect("poll failed");
        for event in events.iter() {
            if tokens.is_empty() || tokens.contains(&event.token()) {
                panic!("unexpected event: {event:?}");
            }
        }
    }
}

/// A copy of the interesting parts of an event, kept after the `Events` buffer is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub token: Token,
    pub readable: bool,
    pub writable: bool,
    pub read_closed: bool,
    pub write_closed: bool,
    pub error: bool,
}

impl From<&Event> for Seen {
    fn from(event: &Event) -> Seen {
        Seen {
            token: event.token(),
            readable: event.is_readable(),
            writable: event.is_writable(),
            read_closed: event.is_read_closed(),
            write_closed: event.is_write_closed(),
            error: event.is_error(),
        }
    }
}

/// Polls once with `timeout` and returns what was seen.
pub fn poll_once(poll: &mut Poll, events: &mut Events, timeout: Duration) -> Vec<Seen> {
    poll.poll(events, Some(timeout)).expect("poll failed");
    events.iter().map(Seen::from).collect()
}

/// Calls `f` until it stops returning `WouldBlock`, for at most [`DEADLINE`].
/// For the few places where a test must wait on something no `Poll` reports.
pub fn retry_would_block<T>(mut f: impl FnMut() -> std::io::Result<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match f() {
            Ok(value) => return value,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::yield_now()
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

/// Reads until `WouldBlock` (or end of stream) and returns the bytes read.
pub fn read_until_would_block(reader: &mut impl std::io::Read) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(out),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// An IPv4 loopback address with port 0, for binding.
pub fn any_local_address() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// An IPv6 loopback address with port 0, for binding.
pub fn any_local_ipv6_address() -> SocketAddr {
    "[::1]:0".parse().unwrap()
}

/// A path in the temporary directory that no other test (or test process) uses.
pub fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("minimio-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Number of open file descriptors of this process.
#[cfg(target_os = "linux")]
pub fn open_fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// Asserts that a value is `Send + Sync` at compile time.
pub fn assert_send_sync<T: Send + Sync>() {}

/// Raises the soft `RLIMIT_NOFILE` (and the hard one, if allowed) to `wanted` and returns the
/// limit now in force, which may be lower than `wanted`.
///
/// `rlim_t` is 64 bits on some targets and 32 on others, hence the casts.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
pub fn raise_fd_limit(wanted: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    let wanted = wanted as libc::rlim_t;
    if limit.rlim_cur >= wanted {
        return limit.rlim_cur as u64;
    }
    if limit.rlim_max < wanted {
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: wanted,
        };
        // SAFETY: `raised` is a valid rlimit; failing (no privilege) changes nothing.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return wanted as u64;
        }
    }
    limit.rlim_cur = wanted.min(limit.rlim_max);
    // SAFETY: `limit` is a valid rlimit with the soft limit at most the hard one.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    limit.rlim_cur as u64
}

#[cfg(not(unix))]
pub fn raise_fd_limit(wanted: u64) -> u64 {
    wanted
}
