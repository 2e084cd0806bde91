//! Tests of misuse: double registration, unknown sources, sources moved between polls, extreme
//! tokens and timeouts. Each must give a clear error (or work), never a panic or a hang.

mod util;

use std::io::ErrorKind;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use minimio::net::{TcpStream, UdpSocket};
use minimio::{Events, Interest, Poll, Token, Waker};

use util::{any_local_address, expect_events, expect_no_events, Expect, DEADLINE};

/// A connected pair: a non-blocking minimio stream and its blocking std peer.
fn tcp_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.set_nonblocking(true).unwrap();
    (TcpStream::from_std(client), server)
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

    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    sender.send_to(b"x", socket.local_addr().unwrap()).unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(1))]);
    assert!(seen.iter().all(|s| s.token == Token(1)), "{seen:?}");
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
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    sender.send_to(b"x", socket.local_addr().unwrap()).unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::readable(Token(usize::MAX))],
    );
    assert!(
        seen.iter().all(|s| s.token == Token(usize::MAX)),
        "{seen:?}"
    );

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
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    sender.send_to(b"x", socket.local_addr().unwrap()).unwrap();
    let seen = expect_events(&mut poll_b, &mut events, &[Expect::readable(Token(2))]);
    assert!(seen.iter().all(|s| s.token == Token(2)), "{seen:?}");
    poll_b.registry().deregister(&mut socket).unwrap();
}
