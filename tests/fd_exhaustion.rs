//! Running out of file descriptors. A test binary of its own, because it lowers
//! `RLIMIT_NOFILE`, which is shared by every thread of the process.
#![cfg(unix)]

mod util;

use std::io::{self, Read, Write};
use std::time::Duration;

use minimio::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use minimio::unix::pipe;
use minimio::{Events, Interest, Poll, Token, Waker};

use util::{any_local_address, expect_events, read_until_would_block, Expect, DEADLINE};

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const OLD: Token = Token(2);
const RECOVERED: Token = Token(3);
const LATER: Token = Token(4);

fn rlimit() -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    limit
}

fn set_rlimit(limit: &libc::rlimit) {
    // SAFETY: `limit` is a valid rlimit whose soft limit does not exceed the hard one.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, limit) }, 0);
}

/// The highest fd number open in this process (looking below the current limit).
#[allow(clippy::unnecessary_cast)]
fn highest_fd() -> u64 {
    let below = (rlimit().rlim_cur as u64).min(1 << 16) as i32;
    (0..below)
        // SAFETY: F_GETFD only asks about the number; an unused one gives EBADF.
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1)
        .max()
        .unwrap() as u64
}

fn assert_emfile<T: std::fmt::Debug>(what: &str, result: io::Result<T>) {
    match result {
        Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {}
        other => panic!("{what} with no fd left: expected EMFILE, got {other:?}"),
    }
}

/// Reads exactly `n` bytes from a registered stream, polling for readiness.
fn read_polled(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    stream: &mut TcpStream,
    n: usize,
) -> Vec<u8> {
    let mut got = read_until_would_block(stream).unwrap();
    while got.len() < n {
        expect_events(poll, events, &[Expect::readable(token)]);
        got.extend(read_until_would_block(stream).unwrap());
    }
    got
}

/// Out of fds, every creation fails with EMFILE, leaking nothing; the loop serves on and recovers.
#[test]
fn fd_exhaustion_gives_emfile_and_the_loop_recovers() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let waker = Waker::new(poll.registry(), WAKER).unwrap();

    // A connection already being served, and one that will wait in the backlog.
    let mut old_peer = std::net::TcpStream::connect(addr).unwrap();
    let mut old = util::retry_would_block(|| listener.accept()).0;
    poll.registry()
        .register(&mut old, OLD, Interest::READABLE)
        .unwrap();
    let mut waiting_peer = std::net::TcpStream::connect(addr).unwrap();
    waiting_peer.set_read_timeout(Some(DEADLINE)).unwrap();
    old_peer.set_read_timeout(Some(DEADLINE)).unwrap();

    // Lower the limit to just above the fds in use, then take every number left.
    let original = rlimit();
    let mut lowered = original;
    lowered.rlim_cur = (highest_fd() + 8) as libc::rlim_t;
    set_rlimit(&lowered);
    let mut ballast = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => ballast.push(file),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
            Err(e) => panic!("opening /dev/null: {e}"),
        }
    }

    // The waiting connection is announced, but cannot be accepted.
    expect_events(&mut poll, &mut events, &[Expect::readable(LISTENER)]);
    assert_emfile("accept", listener.accept());
    assert_emfile("TcpStream::connect", TcpStream::connect(addr));
    assert_emfile("TcpListener::bind", TcpListener::bind(any_local_address()));
    assert_emfile("UdpSocket::bind", UdpSocket::bind(any_local_address()));
    assert_emfile("UnixStream::pair", UnixStream::pair());
    assert_emfile("pipe::new", pipe::new());
    assert_emfile("Poll::new", Poll::new());
    // A backend whose wakers share an fd the queue already has needs no new one.
    let waker_needs_fd = match Waker::new(poll.registry(), Token(9)) {
        Err(e) => {
            assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "Waker::new: {e}");
            true
        }
        Ok(second) => {
            second.wake().unwrap();
            expect_events(&mut poll, &mut events, &[Expect::readable(Token(9))]);
            false
        }
    };
    assert!(
        poll.registry().try_clone().is_ok(),
        "a registry clone needs no fd"
    );
    // With one number free, what needs two fails without keeping the one it got.
    ballast.pop();
    assert_emfile("UnixStream::pair", UnixStream::pair());
    assert_emfile("pipe::new", pipe::new());
    ballast.push(std::fs::File::open("/dev/null").expect("a failed call leaked an fd"));
    assert_emfile("File::open", std::fs::File::open("/dev/null"));

    // The loop keeps running: polls, wakes and the connection it already has all work.
    for _ in 0..3 {
        poll.poll(&mut events, Some(Duration::from_millis(1)))
            .unwrap();
    }
    waker.wake().unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(WAKER)]);
    old_peer.write_all(b"ping").unwrap();
    assert_eq!(
        read_polled(&mut poll, &mut events, OLD, &mut old, 4),
        b"ping"
    );
    old.write_all(b"pong").unwrap();
    let mut reply = [0u8; 4];
    old_peer.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"pong");

    // Free some fds. The listener's readiness was already reported (edge-triggered), so the
    // program retries the accept itself: the connection that waited is there.
    ballast.truncate(ballast.len().saturating_sub(4));
    let (mut recovered, _) = listener.accept().expect("accept after fds were freed");
    // And accepts until `WouldBlock`, as after any event, so the next connection is announced.
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    poll.registry()
        .register(&mut recovered, RECOVERED, Interest::READABLE)
        .unwrap();
    waiting_peer.write_all(b"late").unwrap();
    assert_eq!(
        read_polled(&mut poll, &mut events, RECOVERED, &mut recovered, 4),
        b"late"
    );
    recovered.write_all(b"served").unwrap();
    let mut reply = [0u8; 6];
    waiting_peer.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"served");

    // A connection made after recovery is announced and accepted as usual.
    drop(ballast);
    set_rlimit(&original);
    let _later_peer = std::net::TcpStream::connect(addr).unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(LISTENER)]);
    let (mut later, _) = util::retry_would_block(|| listener.accept());
    poll.registry()
        .register(&mut later, LATER, Interest::WRITABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::writable(LATER)]);
    println!(
        "fd exhaustion: {} kinds of creation failed with EMFILE at a limit of {}, no fd leaked; \
         the loop served on, and the waiting connection was accepted after recovery",
        if waker_needs_fd { 8 } else { 7 },
        lowered.rlim_cur
    );
}
