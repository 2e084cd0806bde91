//! Helpers shared by the integration tests.
//!
//! Tests never sleep to synchronise: they poll in a loop until what they expect has been seen or a
//! generous deadline has passed, so a loaded machine makes them slower, not flaky.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use minimio::event::Event;
use minimio::net::{TcpListener, TcpStream, UdpSocket};
use minimio::{Events, Interest, Poll, Registry, Token};

#[cfg(unix)]
pub mod unix;

/// How long a test waits for something that must happen.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// How long a test waits to be reasonably sure something does *not* happen.
pub const QUIET: Duration = Duration::from_millis(150);

/// Whether `MINIMIO_SOAK` asks for the long versions of the stress and fault tests.
pub fn soak() -> bool {
    std::env::var_os("MINIMIO_SOAK").is_some_and(|v| v != "0")
}

/// A new `Poll` and an `Events` buffer of `capacity`.
pub fn new_poll(capacity: usize) -> (Poll, Events) {
    (
        Poll::new().expect("Poll::new"),
        Events::with_capacity(capacity),
    )
}

/// Panics unless `result` is a `WouldBlock` error.
pub fn assert_would_block<T: std::fmt::Debug>(result: io::Result<T>) {
    match result {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

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

/// Polls for [`QUIET`] and counts every event that arrives in `counts`, by token.
pub fn count_events_while_quiet(
    poll: &mut Poll,
    events: &mut Events,
    counts: &mut HashMap<Token, usize>,
) {
    let deadline = Instant::now() + QUIET;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        poll.poll(events, Some(deadline - now))
            .expect("poll failed");
        for event in events.iter() {
            *counts.entry(event.token()).or_default() += 1;
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

/// Polls until an event for `token` satisfies `pred`, and returns that event.
pub fn wait_for_event(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    what: &str,
    pred: impl Fn(&Seen) -> bool,
) -> Seen {
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let now = Instant::now();
        assert!(
            now < deadline,
            "timed out waiting for {what} on {token:?}; saw {seen:?}"
        );
        for event in poll_once(poll, events, deadline - now) {
            if event.token == token && pred(&event) {
                return event;
            }
            seen.push(event);
        }
    }
}

/// Calls `op` until it stops returning `WouldBlock`, waiting for a readable event on `token` after
/// each `WouldBlock` (never before), and panics with `never` if [`DEADLINE`] passes first.
pub fn retry_when_readable<T>(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    what: &str,
    never: &str,
    mut op: impl FnMut() -> io::Result<T>,
) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match op() {
            Ok(value) => return value,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "{never}");
                expect_events(poll, events, &[Expect::readable(token)]);
            }
            Err(e) => panic!("{what} failed: {e}"),
        }
    }
}

/// A listener [`accept_one`] can take a connection from.
pub trait Listener {
    type Stream;
    type Addr;
    fn accept(&self) -> io::Result<(Self::Stream, Self::Addr)>;
}

impl Listener for TcpListener {
    type Stream = TcpStream;
    type Addr = SocketAddr;
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self)
    }
}

/// Accepts from `listener`, registered readable with `token`, until one connection is returned.
pub fn accept_one<L: Listener>(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    listener: &L,
) -> (L::Stream, L::Addr) {
    retry_when_readable(
        poll,
        events,
        token,
        "accept",
        "no connection to accept",
        || listener.accept(),
    )
}

/// A datagram socket [`recv_from_polled`] can receive from.
pub trait Datagram {
    type Addr;
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)>;
}

impl Datagram for UdpSocket {
    type Addr = SocketAddr;
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        UdpSocket::recv_from(self, buf)
    }
}

/// Receives one datagram with `recv_from` from `socket`, registered readable with `token`.
pub fn recv_from_polled<D: Datagram>(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    socket: &D,
) -> (Vec<u8>, D::Addr) {
    let mut buf = [0u8; 2048];
    let (n, from) = retry_when_readable(
        poll,
        events,
        token,
        "recv_from",
        "no datagram arrived",
        || socket.recv_from(&mut buf),
    );
    (buf[..n].to_vec(), from)
}

/// Reads from a registered `reader` until `len` bytes have arrived and it would block, waiting for
/// readable events with `token` in between. Every wait comes after a read that returned
/// `WouldBlock`, and end of stream is accepted only once all `len` bytes are in.
pub fn read_exact_polled(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    reader: &mut impl Read,
    len: usize,
) -> Vec<u8> {
    let mut out = Vec::new();
    let deadline = Instant::now() + DEADLINE;
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) if out.len() >= len => break,
            Ok(0) => panic!(
                "unexpected end of stream after {} of {len} bytes",
                out.len()
            ),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if out.len() >= len {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "only {} of {len} bytes arrived",
                    out.len()
                );
                expect_events(poll, events, &[Expect::readable(token)]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read failed: {e}"),
        }
    }
    assert_eq!(out.len(), len, "more bytes than expected arrived");
    out
}

/// Reads until end of stream, failing if the reader would block first.
pub fn read_to_end_now(reader: &mut impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read failed after {} bytes: {e}", out.len()),
        }
    }
}

/// A new socket, registered readable with `token`, that `sender` has sent `payload` to.
pub fn readable_socket(
    registry: &Registry,
    token: Token,
    sender: &std::net::UdpSocket,
    payload: &[u8],
) -> UdpSocket {
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    registry
        .register(&mut socket, token, Interest::READABLE)
        .unwrap();
    sender
        .send_to(payload, socket.local_addr().unwrap())
        .unwrap();
    socket
}

/// A connected pair: a non-blocking minimio stream and its blocking std peer.
pub fn tcp_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.set_nonblocking(true).unwrap();
    (TcpStream::from_std(client), server)
}

/// Whether this machine lets std `bind` the IPv6 loopback address at all.
pub fn ipv6_loopback_available<T>(bind: impl FnOnce(SocketAddr) -> io::Result<T>) -> bool {
    match bind(any_local_ipv6_address()) {
        Ok(_) => true,
        Err(e) => {
            eprintln!("skipping IPv6 part: cannot bind [::1]: {e}");
            false
        }
    }
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
