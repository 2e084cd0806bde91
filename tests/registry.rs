//! Tests of `Registry`: register, reregister and deregister on each kind of source, cloning, and
//! registration while another thread is blocked in `poll`.

mod util;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use minimio::net::UdpSocket;
use minimio::{Events, Interest, Poll, Token, Waker};

use util::{
    any_local_address, expect_events, expect_no_events, read_until_would_block, tcp_pair, Expect,
    Seen, DEADLINE,
};

/// Receives every datagram waiting on `socket` and returns how many there were.
fn drain_udp(socket: &UdpSocket) -> usize {
    let mut buf = [0u8; 64];
    let mut n = 0;
    loop {
        match socket.recv_from(&mut buf) {
            Ok(_) => n += 1,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return n,
            Err(e) => panic!("recv_from failed: {e}"),
        }
    }
}

fn assert_only_token(seen: &[Seen], token: Token) {
    for s in seen {
        assert_eq!(
            s.token, token,
            "event with a stale or foreign token: {seen:?}"
        );
    }
}

/// A `TcpStream` registers, reregisters (new token and interest only) and deregisters.
#[test]
fn tcp_stream_register_reregister_deregister() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut stream, mut peer) = tcp_pair();

    poll.registry()
        .register(&mut stream, Token(1), Interest::READABLE)
        .unwrap();
    peer.write_all(b"one").unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(1))]);
    assert_only_token(&seen, Token(1));
    assert_eq!(read_until_would_block(&mut stream).unwrap(), b"one");

    poll.registry()
        .reregister(
            &mut stream,
            Token(2),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    // The stream is writable, and the new interest reports it under the new token.
    let mut seen = expect_events(&mut poll, &mut events, &[Expect::writable(Token(2))]);
    peer.write_all(b"two").unwrap();
    seen.extend(expect_events(
        &mut poll,
        &mut events,
        &[Expect::readable(Token(2))],
    ));
    assert_only_token(&seen, Token(2));
    assert_eq!(read_until_would_block(&mut stream).unwrap(), b"two");

    poll.registry().deregister(&mut stream).unwrap();
    peer.write_all(b"three").unwrap();
    expect_no_events(&mut poll, &mut events, &[]);
    // The data did arrive; it just was not reported.
    let mut buf = [0u8; 5];
    util::retry_would_block(|| stream.read(&mut buf[..]));
}

/// A `UdpSocket` reregistered to another interest reports only that interest, new token only.
#[test]
fn udp_socket_register_reregister_deregister() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    let addr = socket.local_addr().unwrap();

    poll.registry()
        .register(&mut socket, Token(1), Interest::READABLE)
        .unwrap();
    sender.send_to(b"a", addr).unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(1))]);
    assert_only_token(&seen, Token(1));
    assert_eq!(drain_udp(&socket), 1);

    // Writable only: a UDP socket is always writable, and an arriving datagram is not reported.
    poll.registry()
        .reregister(&mut socket, Token(2), Interest::WRITABLE)
        .unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::writable(Token(2))]);
    assert_only_token(&seen, Token(2));
    sender.send_to(b"b", addr).unwrap();
    let deadline = Instant::now() + util::QUIET;
    while Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .unwrap();
        for event in events.iter() {
            assert_eq!(event.token(), Token(2), "{event:?}");
            assert!(
                !event.is_readable(),
                "readable reported without read interest: {event:?}"
            );
        }
    }

    // Back to readable under a third token: the datagram already waiting is reported.
    poll.registry()
        .reregister(&mut socket, Token(3), Interest::READABLE)
        .unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(3))]);
    assert_only_token(&seen, Token(3));
    assert_eq!(drain_udp(&socket), 1);

    poll.registry().deregister(&mut socket).unwrap();
    sender.send_to(b"c", addr).unwrap();
    expect_no_events(&mut poll, &mut events, &[]);
    assert_eq!(
        util::retry_would_block(|| socket.recv_from(&mut [0u8; 8])).0,
        1
    );
}

/// A raw file descriptor wrapped in `SourceFd` can be registered, reregistered and deregistered.
#[cfg(unix)]
#[test]
fn source_fd_register_reregister_deregister() {
    use minimio::unix::SourceFd;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut ours, mut theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let fd = ours.as_raw_fd();

    poll.registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .unwrap();
    theirs.write_all(b"one").unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(1))]);
    assert_only_token(&seen, Token(1));
    assert_eq!(read_until_would_block(&mut ours).unwrap(), b"one");

    poll.registry()
        .reregister(
            &mut SourceFd(&fd),
            Token(2),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let mut seen = expect_events(&mut poll, &mut events, &[Expect::writable(Token(2))]);
    theirs.write_all(b"two").unwrap();
    seen.extend(expect_events(
        &mut poll,
        &mut events,
        &[Expect::readable(Token(2))],
    ));
    assert_only_token(&seen, Token(2));
    assert_eq!(read_until_would_block(&mut ours).unwrap(), b"two");

    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
    theirs.write_all(b"three").unwrap();
    expect_no_events(&mut poll, &mut events, &[]);
    assert_eq!(read_until_would_block(&mut ours).unwrap(), b"three");
}

/// A `try_clone`d registry registers sources whose events the original `Poll` reports.
#[test]
fn cloned_registry_registers_into_same_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let clone = poll.registry().try_clone().unwrap();
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();

    clone
        .register(&mut socket, Token(7), Interest::READABLE)
        .unwrap();
    sender.send_to(b"a", socket.local_addr().unwrap()).unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(7))]);
    assert_only_token(&seen, Token(7));
    drain_udp(&socket);

    // Reregistering and deregistering through the original registry also works.
    poll.registry()
        .reregister(&mut socket, Token(8), Interest::READABLE)
        .unwrap();
    sender.send_to(b"b", socket.local_addr().unwrap()).unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(8))]);
    assert_only_token(&seen, Token(8));
    drain_udp(&socket);
    clone.deregister(&mut socket).unwrap();
    sender.send_to(b"c", socket.local_addr().unwrap()).unwrap();
    expect_no_events(&mut poll, &mut events, &[]);
}

/// A ready source registered by another thread wakes a `poll(None)` already blocked.
#[test]
fn registration_while_blocked_in_poll_is_seen() {
    const SOCKET: Token = Token(5);
    const FALLBACK: Token = Token(99);

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let registry = poll.registry().try_clone().unwrap();
    // Only used if the blocked poll never returns, so that the test fails instead of hanging.
    let fallback = Waker::new(poll.registry(), FALLBACK).unwrap();

    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    // Already readable before it is registered.
    sender.send_to(b"x", socket.local_addr().unwrap()).unwrap();

    let (done_tx, done_rx) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        // Give the poller time to block; the test is valid either way.
        thread::sleep(Duration::from_millis(100));
        registry
            .register(&mut socket, SOCKET, Interest::READABLE)
            .unwrap();
        if done_rx.recv_timeout(DEADLINE).is_err() {
            fallback.wake().unwrap();
        }
        socket
    });

    poll.poll(&mut events, None).unwrap();
    let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
    done_tx.send(()).unwrap();
    let _socket = handle.join().unwrap();
    assert_eq!(
        tokens,
        vec![SOCKET],
        "blocked poll did not see the new registration"
    );
}

/// When a closed ready socket's fd number is reused, only the new registration's token shows.
#[cfg(unix)]
#[test]
fn reused_fd_reports_only_new_token() {
    use std::os::unix::io::AsRawFd;

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();

    // Other tests open descriptors concurrently and may take the freed number; retry until the
    // new socket really has the old number.
    let mut attempts = 0;
    let (new_socket, seen) = loop {
        attempts += 1;
        assert!(attempts <= 100, "never got the same descriptor number back");
        let mut old = UdpSocket::bind(any_local_address()).unwrap();
        poll.registry()
            .register(&mut old, Token(1), Interest::READABLE)
            .unwrap();
        // Make it ready, and do not poll before closing it.
        sender.send_to(b"old", old.local_addr().unwrap()).unwrap();
        let old_fd = old.as_raw_fd();
        drop(old);

        let mut new = UdpSocket::bind(any_local_address()).unwrap();
        if new.as_raw_fd() != old_fd {
            continue;
        }
        poll.registry()
            .register(&mut new, Token(2), Interest::READABLE)
            .unwrap();
        sender.send_to(b"new", new.local_addr().unwrap()).unwrap();
        let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(2))]);
        break (new, seen);
    };
    assert_only_token(&seen, Token(2));
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
    let mut buf = [0u8; 8];
    let (n, _) = new_socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"new");
}
