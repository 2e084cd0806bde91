//! What only the Windows backend has to get right: AFD handles shared by groups of sockets,
//! poll requests cancelled and re-issued while in flight, memory the kernel still writes when a
//! source or the whole `Poll` goes away, and wakers posting completion packets.

#![cfg(windows)]

mod util;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::windows::io::{AsRawSocket, AsSocket, FromRawSocket, IntoRawSocket, OwnedSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use minimio::net::{TcpListener, TcpStream, UdpSocket};
use minimio::{Events, Interest, Poll, Token, Waker};
use util::{
    any_local_address, expect_events, expect_no_events, new_poll, poll_once,
    read_until_would_block, Expect, DEADLINE,
};

/// A minimio stream connected to a std peer.
fn stream_with_std_peer() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (peer, _) = listener.accept().unwrap();
    (stream, peer)
}

/// Polls until every token in `tokens` has been reported readable; panics after [`DEADLINE`].
fn expect_readable_tokens(poll: &mut Poll, events: &mut Events, tokens: &[Token]) {
    let expected: Vec<Expect> = tokens
        .iter()
        .map(|&token| Expect::readable(token))
        .collect();
    expect_events(poll, events, &expected);
}

/// Many more sockets than one AFD handle takes (32) are all polled, keep working when some of
/// them leave, and newcomers fill the freed places.
#[test]
fn afd_group_overflow_past_32_sockets() {
    const COUNT: usize = 100;
    let (mut poll, mut events) = new_poll(256);
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut sockets: Vec<UdpSocket> = (0..COUNT)
        .map(|_| UdpSocket::bind(any_local_address()).unwrap())
        .collect();
    for (i, socket) in sockets.iter_mut().enumerate() {
        poll.registry()
            .register(socket, Token(i), Interest::READABLE)
            .unwrap();
    }
    let addrs: Vec<SocketAddr> = sockets.iter().map(|s| s.local_addr().unwrap()).collect();

    for addr in &addrs {
        sender.send_to(b"x", addr).unwrap();
    }
    let all: Vec<Token> = (0..COUNT).map(Token).collect();
    expect_readable_tokens(&mut poll, &mut events, &all);
    for socket in &sockets {
        assert_eq!(util::retry_would_block(|| socket.recv(&mut [0u8; 4])), 1);
        let mut buf = [0u8; 4];
        assert_eq!(
            socket.recv(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    }

    // The first 40 leave (spanning two whole groups and part of a third).
    for socket in sockets.iter_mut().take(40) {
        poll.registry().deregister(socket).unwrap();
    }
    for addr in &addrs {
        sender.send_to(b"y", addr).unwrap();
    }
    let staying: Vec<Token> = (40..COUNT).map(Token).collect();
    expect_readable_tokens(&mut poll, &mut events, &staying);
    let gone: Vec<Token> = (0..40).map(Token).collect();
    expect_no_events(&mut poll, &mut events, &gone);

    // Newcomers take their places.
    let mut newcomers: Vec<UdpSocket> = (0..40)
        .map(|_| UdpSocket::bind(any_local_address()).unwrap())
        .collect();
    for (i, socket) in newcomers.iter_mut().enumerate() {
        poll.registry()
            .register(socket, Token(1000 + i), Interest::READABLE)
            .unwrap();
        sender.send_to(b"z", socket.local_addr().unwrap()).unwrap();
    }
    let new_tokens: Vec<Token> = (1000..1040).map(Token).collect();
    expect_readable_tokens(&mut poll, &mut events, &new_tokens);
}

/// Changing a socket's interest while its poll request is in flight cancels that request and
/// issues the new one: the new interest and token are what is reported, never the old ones.
#[test]
fn interest_change_while_a_poll_is_pending() {
    let (mut poll, mut events) = new_poll(256);
    let (mut stream, mut peer) = stream_with_std_peer();
    poll.registry()
        .register(&mut stream, Token(1), Interest::READABLE)
        .unwrap();
    // Issues the request (nothing to read, so it stays pending).
    assert!(poll_once(&mut poll, &mut events, Duration::ZERO).is_empty());

    poll.registry()
        .reregister(&mut stream, Token(2), Interest::WRITABLE)
        .unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::writable(Token(2))]);
    assert!(
        seen.iter().all(|s| s.token == Token(2)),
        "old token reported: {seen:?}"
    );

    // Back to reading, with a new token again: data that arrives is reported under it.
    poll.registry()
        .reregister(&mut stream, Token(3), Interest::READABLE)
        .unwrap();
    peer.write_all(b"after the change").unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(3))]);
    assert!(
        seen.iter().all(|s| s.token == Token(3)),
        "old token reported: {seen:?}"
    );
    assert_eq!(
        read_until_would_block(&mut stream).unwrap(),
        b"after the change"
    );
}

/// A reregistration from another thread while the owner is blocked in `poll` is seen by that
/// blocked call: the registering thread issues the new request itself.
#[test]
fn reregister_from_another_thread_during_a_blocked_poll() {
    let (mut poll, mut events) = new_poll(256);
    let (mut stream, _peer) = stream_with_std_peer();
    poll.registry()
        .register(&mut stream, Token(1), Interest::READABLE)
        .unwrap();
    assert!(poll_once(&mut poll, &mut events, Duration::ZERO).is_empty());

    let registry = poll.registry().try_clone().unwrap();
    let changer = thread::spawn(move || {
        // Whether the poll below has started blocking or not, the change must reach it.
        registry
            .reregister(&mut stream, Token(2), Interest::WRITABLE)
            .unwrap();
        stream
    });
    expect_events(&mut poll, &mut events, &[Expect::writable(Token(2))]);
    drop(changer.join().unwrap());
}

/// Dropping or deregistering a source whose request is in flight: nothing is reported for it
/// afterwards, and the memory the kernel writes stays valid until the cancellation completes
/// (a use after free here would corrupt or crash the process).
#[test]
fn drop_and_deregister_a_source_with_a_poll_pending() {
    let (mut poll, mut events) = new_poll(256);
    let (mut dropped, mut dropped_peer) = stream_with_std_peer();
    let (mut deregistered, mut deregistered_peer) = stream_with_std_peer();
    let (mut survivor, mut survivor_peer) = stream_with_std_peer();
    for (stream, token) in [
        (&mut dropped, Token(1)),
        (&mut deregistered, Token(2)),
        (&mut survivor, Token(3)),
    ] {
        poll.registry()
            .register(stream, token, Interest::READABLE)
            .unwrap();
    }
    assert!(poll_once(&mut poll, &mut events, Duration::ZERO).is_empty());

    drop(dropped);
    poll.registry().deregister(&mut deregistered).unwrap();
    // Data arriving now must not resurrect either; the peer of the dropped one may see a reset.
    let _ = dropped_peer.write_all(b"to nobody");
    deregistered_peer.write_all(b"ignored").unwrap();
    survivor_peer.write_all(b"hello").unwrap();

    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(3))]);
    assert!(
        seen.iter().all(|s| s.token == Token(3)),
        "a dropped or deregistered source was reported: {seen:?}"
    );
    expect_no_events(&mut poll, &mut events, &[Token(1), Token(2)]);
    assert_eq!(read_until_would_block(&mut survivor).unwrap(), b"hello");

    // The deregistered stream can be registered again and reports what is waiting.
    poll.registry()
        .register(&mut deregistered, Token(4), Interest::READABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(Token(4))]);
    assert_eq!(
        read_until_would_block(&mut deregistered).unwrap(),
        b"ignored"
    );
}

/// Dropping a `Poll` whose sockets have requests in flight cancels them; the sockets survive,
/// can be registered with a new `Poll`, and work there.
#[test]
fn drop_a_poll_with_polls_pending() {
    let (mut stream, mut peer) = stream_with_std_peer();
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    {
        let (mut poll, mut events) = new_poll(256);
        poll.registry()
            .register(&mut stream, Token(1), Interest::READABLE)
            .unwrap();
        poll.registry()
            .register(&mut listener, Token(2), Interest::READABLE)
            .unwrap();
        let waker = Waker::new(poll.registry(), Token(3)).unwrap();
        waker.wake().unwrap();
        // Issues both requests; the wake packet may stay queued too.
        let seen = poll_once(&mut poll, &mut events, Duration::ZERO);
        assert!(seen.iter().all(|s| s.token == Token(3)), "{seen:?}");
        waker.wake().unwrap();
        drop(poll);
        // A waker outliving its Poll: waking succeeds and nobody is told.
        waker.wake().unwrap();
    }

    let (mut poll, mut events) = new_poll(256);
    poll.registry()
        .register(&mut stream, Token(10), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut listener, Token(11), Interest::READABLE)
        .unwrap();
    peer.write_all(b"still here").unwrap();
    let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::readable(Token(10)), Expect::readable(Token(11))],
    );
    assert_eq!(read_until_would_block(&mut stream).unwrap(), b"still here");
    assert!(listener.accept().is_ok());
}

/// 8 threads wake one `Poll` as fast as they can. Every `poll` returns with the waker's event
/// (none is lost, and nothing else appears), the last wake of each thread is seen, and the
/// port holds at most one wake packet per waker however many wakes came in.
#[test]
fn waker_storm_from_eight_threads() {
    const THREADS: usize = 8;
    const WAKES: usize = 2000;
    const WAKE: Token = Token(7);
    let (mut poll, mut events) = new_poll(256);
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).unwrap());
    let finished = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let waker = Arc::clone(&waker);
            let finished = Arc::clone(&finished);
            thread::spawn(move || {
                for _ in 0..WAKES {
                    waker.wake().unwrap();
                }
                finished.fetch_add(1, Ordering::SeqCst);
                waker.wake().unwrap();
            })
        })
        .collect();

    let mut polls = 0;
    loop {
        let seen = poll_once(&mut poll, &mut events, DEADLINE);
        polls += 1;
        assert!(!seen.is_empty(), "a wake was lost after {polls} polls");
        assert!(
            seen.iter().all(|s| s.token == WAKE && s.readable),
            "{seen:?}"
        );
        assert_eq!(
            seen.len(),
            1,
            "one waker queues one packet at a time: {seen:?}"
        );
        // A thread not finished yet still owes a wake that comes after this poll returned,
        // so the next poll must return too.
        if finished.load(Ordering::SeqCst) == THREADS {
            break;
        }
    }
    for thread in threads {
        thread.join().unwrap();
    }
    // Every wake has been consumed: nothing is left over.
    assert!(poll_once(&mut poll, &mut events, Duration::ZERO).len() <= 1);
    expect_no_events(&mut poll, &mut events, &[]);
}

/// The Windows socket conversions: a stream, a listener and a UDP socket survive a round trip
/// through `OwnedSocket` and raw sockets, and still work with a `Poll`.
#[test]
fn socket_round_trips() {
    let (mut poll, mut events) = new_poll(256);

    let listener = TcpListener::bind(any_local_address()).unwrap();
    let raw = listener.as_raw_socket();
    let owned: OwnedSocket = listener.into();
    assert_eq!(owned.as_raw_socket(), raw);
    let mut listener = TcpListener::from(owned);
    assert_eq!(listener.as_socket().as_raw_socket(), raw);

    let (stream, mut peer) = stream_with_std_peer();
    let raw = stream.as_raw_socket();
    assert_eq!(stream.into_raw_socket(), raw);
    // SAFETY: `raw` was just given up by `into_raw_socket` and nothing else owns it.
    let mut stream = unsafe { TcpStream::from_raw_socket(raw) };

    let socket = UdpSocket::bind(any_local_address()).unwrap();
    let raw = socket.as_raw_socket();
    // SAFETY: as above.
    let mut socket = unsafe { UdpSocket::from_raw_socket(socket.into_raw_socket()) };
    assert_eq!(socket.as_raw_socket(), raw);

    poll.registry()
        .register(&mut listener, Token(1), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut stream, Token(2), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut socket, Token(3), Interest::READABLE)
        .unwrap();
    let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    peer.write_all(b"round trip").unwrap();
    std::net::UdpSocket::bind(any_local_address())
        .unwrap()
        .send_to(b"d", socket.local_addr().unwrap())
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::readable(Token(1)),
            Expect::readable(Token(2)),
            Expect::readable(Token(3)),
        ],
    );
    let mut buf = [0u8; 16];
    let n = stream.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"round trip");
}

/// A closed socket whose handle value is reused by a new one: only the new registration's
/// token is reported.
#[test]
fn reused_socket_handle_reports_only_new_token() {
    let (mut poll, mut events) = new_poll(256);
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut old = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut old, Token(1), Interest::READABLE)
        .unwrap();
    sender.send_to(b"old", old.local_addr().unwrap()).unwrap();
    drop(old);

    let mut new = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut new, Token(2), Interest::READABLE)
        .unwrap();
    sender.send_to(b"new", new.local_addr().unwrap()).unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(2))]);
    assert!(seen.iter().all(|s| s.token == Token(2)), "{seen:?}");
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
}
