//! Tests of misuse: double registration, unknown sources, sources moved between polls, extreme
//! tokens and timeouts. Each must give a clear error (or work), never a panic or a hang.

mod util;

use std::io::ErrorKind;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use minimio::net::UdpSocket;
use minimio::{Events, Interest, Poll, Token, Waker};

use util::{any_local_address, expect_events, expect_no_events, tcp_pair, Expect, DEADLINE};

/// Sends `socket` a datagram and checks that `poll` reports it readable with `token` and no other.
fn assert_reported_only_as(poll: &mut Poll, events: &mut Events, socket: &UdpSocket, token: Token) {
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    sender.send_to(b"x", socket.local_addr().unwrap()).unwrap();
    let seen = expect_events(poll, events, &[Expect::readable(token)]);
    assert!(seen.iter().all(|s| s.token == token), "{seen:?}");
}

/// Registering one socket twice fails with `AlreadyExists`; the first registration still works.
#[test]
fn register_twice_is_already_exists() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap();
    let err = poll
        .registry()
        .register(&mut socket, Token(2), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");

    assert_reported_only_as(&mut poll, &mut events, &socket, Token(1));
}

/// Reregistering a socket that was never registered fails with `NotFound`.
#[test]
fn reregister_unregistered_is_not_found() {
    let poll = Poll::new().unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    let err = poll
        .registry()
        .reregister(&mut socket, Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let (mut stream, _peer) = tcp_pair();
    let err = poll
        .registry()
        .reregister(&mut stream, Token(1), Interest::WRITABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

/// Deregistering a socket that was never registered fails with `NotFound`.
#[test]
fn deregister_unregistered_is_not_found() {
    let poll = Poll::new().unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    let err = poll.registry().deregister(&mut socket).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let (mut stream, _peer) = tcp_pair();
    let err = poll.registry().deregister(&mut stream).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

/// Deregistering twice: the second call fails with `NotFound`.
#[test]
fn deregister_twice_is_not_found() {
    let poll = Poll::new().unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut socket).unwrap();
    let err = poll.registry().deregister(&mut socket).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

/// `SourceFd` misuse gives the kernel's answers: `AlreadyExists` and `NotFound`.
#[cfg(unix)]
#[test]
fn source_fd_misuse_errors() {
    use minimio::unix::SourceFd;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    let poll = Poll::new().unwrap();
    let (ours, _theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let fd = ours.as_raw_fd();

    let err = poll
        .registry()
        .reregister(&mut SourceFd(&fd), Token(1), Interest::READABLE);
    assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound);
    let err = poll.registry().deregister(&mut SourceFd(&fd));
    assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound);

    poll.registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .unwrap();
    let err = poll
        .registry()
        .register(&mut SourceFd(&fd), Token(2), Interest::READABLE);
    assert_eq!(err.unwrap_err().kind(), ErrorKind::AlreadyExists);

    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
    let err = poll.registry().deregister(&mut SourceFd(&fd));
    assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound);
}

/// A socket registered in one poll cannot be registered in another: `AlreadyExists`.
#[test]
fn register_in_second_poll_is_already_exists() {
    let mut poll_a = Poll::new().unwrap();
    let mut poll_b = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut stream, mut peer) = tcp_pair();
    poll_a
        .registry()
        .register(&mut stream, Token(1), Interest::READABLE)
        .unwrap();
    let err = poll_b
        .registry()
        .register(&mut stream, Token(2), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");

    std::io::Write::write_all(&mut peer, b"x").unwrap();
    expect_events(&mut poll_a, &mut events, &[Expect::readable(Token(1))]);
    expect_no_events(&mut poll_b, &mut events, &[]);
}

/// Deregistering from the wrong poll is `NotFound` and leaves the real registration working.
#[test]
fn deregister_from_wrong_poll_is_not_found() {
    let mut poll_a = Poll::new().unwrap();
    let poll_b = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    poll_a
        .registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap();
    let err = poll_b.registry().deregister(&mut socket).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    sender.send_to(b"x", socket.local_addr().unwrap()).unwrap();
    expect_events(&mut poll_a, &mut events, &[Expect::readable(Token(1))]);
}

/// `Token(usize::MAX)` is an ordinary token: a source registered with it is reported with it.
#[test]
fn max_token_is_an_ordinary_token() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut socket, Token(usize::MAX), Interest::READABLE)
        .unwrap();
    assert_reported_only_as(&mut poll, &mut events, &socket, Token(usize::MAX));

    // Also as a waker token.
    let mut poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), Token(usize::MAX)).unwrap();
    waker.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::readable(Token(usize::MAX))],
    );
}

/// A `u64::MAX / 2` second timeout does not overflow: poll blocks, then returns Ok when woken.
#[test]
fn huge_timeout_is_woken() {
    const WAKER: Token = Token(3);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let remote = Arc::clone(&waker);
    let (tx, rx) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        // Give the poller time to block; correctness does not depend on it.
        thread::sleep(Duration::from_millis(50));
        remote.wake().unwrap();
        let deadline = Instant::now() + DEADLINE;
        while rx.recv_timeout(Duration::from_millis(500)).is_err() && Instant::now() < deadline {
            remote.wake().unwrap();
        }
    });
    let result = poll.poll(&mut events, Some(Duration::from_secs(u64::MAX / 2)));
    tx.send(()).unwrap();
    handle.join().unwrap();
    result.unwrap();
    let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
    assert_eq!(tokens, vec![WAKER]);
}

// ---------------------------------------------------------------------------------------------
// minimio-specific choices. These document decisions where minimio deliberately differs from
// what other implementations of this API may do.
// ---------------------------------------------------------------------------------------------

/// A source left registered in a dropped poll (and registry) can be registered in a new poll.
#[test]
fn source_from_dropped_poll_can_be_registered_again() {
    let poll_a = Poll::new().unwrap();
    let clone = poll_a.registry().try_clone().unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    clone
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap();
    drop(clone);
    drop(poll_a);

    let mut poll_b = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll_b
        .registry()
        .register(&mut socket, Token(2), Interest::READABLE)
        .unwrap();
    assert_reported_only_as(&mut poll_b, &mut events, &socket, Token(2));
    poll_b.registry().deregister(&mut socket).unwrap();
}

/// Reregistering with a poll the socket is not registered with is `NotFound`, harmlessly.
#[test]
fn reregister_with_wrong_poll_is_not_found() {
    let mut poll_a = Poll::new().unwrap();
    let poll_b = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    poll_a
        .registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap();
    let err = poll_b
        .registry()
        .reregister(&mut socket, Token(2), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    assert_reported_only_as(&mut poll_a, &mut events, &socket, Token(1));
}

/// A registry clone outliving its `Poll` keeps working, silently, and keeps its sources.
#[test]
fn registry_outliving_its_poll_keeps_working_silently() {
    let poll = Poll::new().unwrap();
    let orphan = poll.registry().try_clone().unwrap();
    drop(poll);

    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    orphan
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap();
    orphan
        .reregister(
            &mut socket,
            Token(2),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let waker = Waker::new(&orphan, Token(3)).unwrap();
    waker.wake().unwrap();

    let mut other = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let err = other
        .registry()
        .register(&mut socket, Token(4), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");

    orphan.deregister(&mut socket).unwrap();
    other
        .registry()
        .register(&mut socket, Token(4), Interest::READABLE)
        .unwrap();
    other.registry().deregister(&mut socket).unwrap();

    // Once the last clone is gone, the socket may move even without deregistering.
    orphan
        .register(&mut socket, Token(5), Interest::READABLE)
        .unwrap();
    drop(orphan);
    other
        .registry()
        .register(&mut socket, Token(6), Interest::READABLE)
        .unwrap();
    assert_reported_only_as(&mut other, &mut events, &socket, Token(6));
}

/// A `Waker` whose `Poll` (and every registry clone) is gone still wakes with `Ok`.
#[test]
fn waker_outliving_its_poll_wakes_ok() {
    let poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), Token(1)).unwrap();
    drop(poll);
    for _ in 0..3 {
        waker.wake().expect("wake after the Poll was dropped");
    }
}

/// Two wakers on one poll both work, each with its own token.
#[test]
fn two_wakers_on_one_poll_both_report() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let first = Waker::new(poll.registry(), Token(1)).unwrap();
    let second = Waker::new(poll.registry(), Token(2)).unwrap();
    first.wake().unwrap();
    second.wake().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::readable(Token(1)), Expect::readable(Token(2))],
    );
}

/// Two sources registered with one token are both reported, under that token.
#[test]
fn shared_token_reports_both_sources() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut a = UdpSocket::bind(any_local_address()).unwrap();
    let mut b = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut a, Token(7), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, Token(7), Interest::READABLE)
        .unwrap();
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    sender.send_to(b"a", a.local_addr().unwrap()).unwrap();
    sender.send_to(b"b", b.local_addr().unwrap()).unwrap();
    let deadline = Instant::now() + DEADLINE;
    let mut reported = 0;
    while reported < 2 {
        assert!(Instant::now() < deadline, "only {reported} of 2 reported");
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        for event in events.iter() {
            assert_eq!(event.token(), Token(7));
            reported += 1;
        }
    }
}

/// A `SourceFd` of a closed fd: register is `EBADF`, reregister and deregister `EBADF` or `NotFound`.
#[cfg(unix)]
#[test]
fn source_fd_of_closed_fd_is_ebadf() {
    use minimio::unix::SourceFd;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    let poll = Poll::new().unwrap();
    // A number that is surely closed: put a duplicate far above every fd in use, then close
    // it. New fds take the lowest free number, so nothing else gets this one meanwhile.
    let socket = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    let high = limit.rlim_cur.min(4096) as i32 - 1;
    // SAFETY: dup2 onto a number we then own; nothing else in this process uses it.
    let dup = unsafe { libc::dup2(socket.as_raw_fd(), high) };
    assert_eq!(dup, high, "dup2: {}", std::io::Error::last_os_error());
    // SAFETY: `high` is open and owned by nobody else; closing it through OwnedFd.
    drop(unsafe { OwnedFd::from_raw_fd(high) });

    let err = poll
        .registry()
        .register(&mut SourceFd(&high), Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF), "register: {err}");
    // Never registered either: a backend may say so first.
    let check = |what: &str, result: std::io::Result<()>| {
        let err = result.expect_err(what);
        assert!(
            err.raw_os_error() == Some(libc::EBADF) || err.kind() == ErrorKind::NotFound,
            "{what}: {err}"
        );
    };
    check(
        "reregister",
        poll.registry()
            .reregister(&mut SourceFd(&high), Token(1), Interest::READABLE),
    );
    check(
        "deregister",
        poll.registry().deregister(&mut SourceFd(&high)),
    );
}

/// A regular file is refused with `PermissionDenied`, or (where files can be watched) readable.
#[cfg(unix)]
#[test]
fn source_fd_of_regular_file_is_refused_or_readable() {
    use minimio::unix::SourceFd;
    use std::os::fd::AsRawFd;

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let path = util::temp_path("regular-file");
    std::fs::write(&path, b"bytes to read").unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let fd = file.as_raw_fd();
    let result = poll
        .registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE);
    match result {
        Err(err) => assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}"),
        Ok(()) => {
            expect_events(&mut poll, &mut events, &[Expect::readable(Token(1))]);
            poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
        }
    }
    drop(file);
    std::fs::remove_file(&path).unwrap();
}

/// A queue cannot watch itself: registering a `Poll`'s own fd in it is an error, not a hang.
#[cfg(unix)]
#[test]
fn registering_a_poll_in_itself_is_refused() {
    use minimio::unix::SourceFd;
    use std::os::fd::AsRawFd;

    let poll = Poll::new().unwrap();
    let fd = poll.as_raw_fd();
    let err = poll
        .registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

/// `Events::with_capacity` of an overflowing size panics like `Vec::with_capacity` does.
#[test]
#[should_panic(expected = "capacity overflow")]
fn events_capacity_overflow_panics_like_vec() {
    let _ = Events::with_capacity(usize::MAX);
}

/// The size the crate docs give for a `TcpListener` (its socket and its registration record),
/// so the documented difference from mio stays true.
#[cfg(all(
    target_os = "linux",
    target_pointer_width = "64",
    not(minimio_force_poll)
))]
#[test]
fn tcp_listener_is_the_documented_size() {
    assert_eq!(std::mem::size_of::<minimio::net::TcpListener>(), 16);
    assert_eq!(std::mem::size_of::<std::net::TcpListener>(), 4);
}
