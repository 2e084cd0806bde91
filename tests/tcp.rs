//! Tests of `minimio::net::TcpListener` and `minimio::net::TcpStream`.

mod util;

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use minimio::net::{TcpListener, TcpStream};
use minimio::{Events, Interest, Poll, Token};

use util::{
    accept_one, any_local_address, any_local_ipv6_address, assert_would_block, expect_events,
    expect_no_events, ipv6_loopback_available, new_poll, poll_once, read_exact_polled,
    read_until_would_block, wait_for_event, Expect, DEADLINE,
};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// A minimio stream connected to a blocking std peer (the std side accepted it).
fn stream_with_std_peer() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (peer, _) = listener.accept().unwrap();
    // A stuck peer read fails the test instead of hanging it (Miri cannot set socket timeouts).
    if !cfg!(miri) {
        peer.set_read_timeout(Some(DEADLINE)).unwrap();
    }
    (stream, peer)
}

/// Waits until at least `len` bytes can be peeked from `stream`, without consuming any.
fn wait_peekable(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    stream: &TcpStream,
    len: usize,
) {
    let mut buf = vec![0u8; len];
    let deadline = Instant::now() + DEADLINE;
    loop {
        match stream.peek(&mut buf) {
            Ok(n) if n >= len => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("peek failed: {e}"),
        }
        assert!(
            Instant::now() < deadline,
            "{len} bytes never became peekable"
        );
        expect_events(poll, events, &[Expect::readable(token)]);
    }
}

fn accept_until_would_block(bind_addr: SocketAddr) {
    let (mut poll, mut events) = new_poll(128);
    let mut listener = TcpListener::bind(bind_addr).unwrap();
    let local = listener.local_addr().unwrap();
    assert_eq!(local.ip(), bind_addr.ip());
    assert_ne!(local.port(), 0, "port 0 must be replaced by a real port");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    assert_would_block(listener.accept());
    expect_no_events(&mut poll, &mut events, &[LISTENER]);

    let clients: Vec<std::net::TcpStream> = (0..3)
        .map(|_| std::net::TcpStream::connect(local).unwrap())
        .collect();
    let mut accepted = Vec::new();
    while accepted.len() < clients.len() {
        expect_events(&mut poll, &mut events, &[Expect::readable(LISTENER)]);
        loop {
            match listener.accept() {
                Ok(conn) => accepted.push(conn),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept failed: {e}"),
            }
        }
        assert!(
            accepted.len() <= clients.len(),
            "accepted more connections than were made"
        );
    }
    assert_would_block(listener.accept());

    for client in &clients {
        let client_addr = client.local_addr().unwrap();
        assert_eq!(client.peer_addr().unwrap(), local);
        let (stream, from) = accepted
            .iter()
            .find(|(_, from)| *from == client_addr)
            .unwrap_or_else(|| panic!("client {client_addr} not among accepted {accepted:?}"));
        assert_eq!(*from, client_addr);
        assert_eq!(stream.peer_addr().unwrap(), client_addr);
        assert_eq!(stream.local_addr().unwrap(), local);
    }
}

/// An IPv4 listener reports readable, accepts every pending connection then WouldBlock, and addresses agree.
#[test]
fn listener_v4_accepts_every_pending_connection() {
    accept_until_would_block(any_local_address());
}

/// An IPv6 listener reports readable, accepts every pending connection then WouldBlock, and addresses agree.
#[test]
fn listener_v6_accepts_every_pending_connection() {
    if ipv6_loopback_available(std::net::TcpListener::bind) {
        accept_until_would_block(any_local_ipv6_address());
    }
}

fn connect_and_exchange(bind_addr: SocketAddr) {
    let (mut poll, mut events) = new_poll(128);
    let mut listener = TcpListener::bind(bind_addr).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut client = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect {
            error: Some(false),
            ..Expect::writable(CLIENT)
        }],
    );
    assert_eq!(client.peer_addr().unwrap(), addr);
    assert!(client.take_error().unwrap().is_none());

    let (mut server, from) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    assert_eq!(from, client.local_addr().unwrap());
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    assert_eq!(server.local_addr().unwrap(), addr);
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();

    assert_eq!(client.write(b"ping").unwrap(), 4);
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, SERVER, &mut server, 4),
        b"ping"
    );
    assert_eq!(server.write(b"pong!").unwrap(), 5);
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, CLIENT, &mut client, 5),
        b"pong!"
    );
}

/// Connecting over IPv4 reports writable once connected; then peer_addr is the listener and data flows.
#[test]
fn connect_v4_reports_writable_then_exchanges_data() {
    connect_and_exchange(any_local_address());
}

/// Connecting over IPv6 reports writable once connected; then peer_addr is the listener and data flows.
#[test]
fn connect_v6_reports_writable_then_exchanges_data() {
    if ipv6_loopback_available(std::net::TcpListener::bind) {
        connect_and_exchange(any_local_ipv6_address());
    }
}

/// Connecting to a port nobody listens on reports an error/closed event and a ConnectionRefused error.
#[test]
fn connect_refused_is_reported() {
    let addr = {
        let listener = TcpListener::bind(any_local_address()).unwrap();
        listener.local_addr().unwrap()
    };
    let mut stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        Err(e) => {
            assert_eq!(
                e.kind(),
                io::ErrorKind::ConnectionRefused,
                "connect failed: {e}"
            );
            return;
        }
    };
    let (mut poll, mut events) = new_poll(128);
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    wait_for_event(&mut poll, &mut events, CLIENT, "error or closed", |e| {
        e.error || e.write_closed || e.read_closed
    });
    let err = stream
        .peer_addr()
        .expect_err("a refused stream has no peer");
    assert_eq!(err.kind(), io::ErrorKind::NotConnected, "peer_addr: {err}");
    let err = stream
        .take_error()
        .unwrap()
        .expect("take_error must report the refusal");
    assert_eq!(
        err.kind(),
        io::ErrorKind::ConnectionRefused,
        "take_error: {err}"
    );
    #[cfg(unix)]
    assert!(
        stream.take_error().unwrap().is_none(),
        "take_error must clear the error"
    );
}

/// Readiness is edge-triggered: unread data left behind raises no new event; newly arriving data does.
#[test]
fn partial_read_gives_no_new_event_until_new_data() {
    let (mut poll, mut events) = new_poll(128);
    let (mut stream, mut peer) = stream_with_std_peer();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();

    let data: Vec<u8> = (0..100u8).collect();
    peer.write_all(&data).unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(CLIENT)]);
    wait_peekable(&mut poll, &mut events, CLIENT, &stream, data.len());
    // Absorb any event for data that arrived in pieces; everything is in the buffer now.
    poll_once(&mut poll, &mut events, Duration::ZERO);

    let mut first = [0u8; 10];
    assert_eq!(stream.read(&mut first).unwrap(), 10);
    assert_eq!(first, data[..10]);
    expect_no_events(&mut poll, &mut events, &[CLIENT]);

    let rest = read_until_would_block(&mut stream).unwrap();
    assert_eq!(rest, data[10..]);
    expect_no_events(&mut poll, &mut events, &[CLIENT]);

    peer.write_all(b"more").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(CLIENT)]);
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, CLIENT, &mut stream, 4),
        b"more"
    );
}

/// Registering a stream that already holds unread data reports it readable.
#[test]
fn registering_with_pending_data_reports_readable() {
    let (mut poll, mut events) = new_poll(128);
    let (mut stream, mut peer) = stream_with_std_peer();
    peer.write_all(b"early").unwrap();
    // Wait (without any Poll) until the bytes are in the stream's buffer.
    let mut buf = [0u8; 5];
    util::retry_would_block(|| match stream.peek(&mut buf)? {
        5 => Ok(()),
        _ => Err(io::ErrorKind::WouldBlock.into()),
    });
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(CLIENT)]);
    assert_eq!(read_until_would_block(&mut stream).unwrap(), b"early");
}

/// After the peer writes then shuts down its write side, read_closed is reported and all bytes are read before EOF.
#[test]
fn half_close_reports_read_closed_and_keeps_buffered_bytes() {
    let (mut poll, mut events) = new_poll(128);
    let (mut stream, peer) = stream_with_std_peer();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();

    let payload: Vec<u8> = (0..32 * 1024).map(|i| (i % 241) as u8).collect();
    let to_send = payload.clone();
    let writer = std::thread::spawn(move || {
        let mut peer = peer;
        peer.write_all(&to_send).unwrap();
        peer.shutdown(Shutdown::Write).unwrap();
        peer
    });

    #[cfg(not(windows))]
    let mut received = {
        expect_events(&mut poll, &mut events, &[Expect::read_closed(CLIENT)]);
        Vec::new()
    };
    #[cfg(windows)]
    let mut received = read_until_read_closed(&mut poll, &mut events, &mut stream);
    let mut peer = writer.join().unwrap();

    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!(
                "read after read_closed failed ({} bytes in): {e}",
                received.len()
            ),
        }
    }
    assert_eq!(received.len(), payload.len());
    assert!(received == payload, "received bytes differ from those sent");
    assert_eq!(
        stream.read(&mut buf).unwrap(),
        0,
        "end of stream must persist"
    );

    // Only the peer's direction is closed: ours still carries data.
    stream.write_all(b"still open").unwrap();
    let mut back = [0u8; 10];
    peer.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"still open");
}

/// Reads on every event for CLIENT until one reports read_closed, and returns the bytes read.
/// Windows reports a peer's FIN (AFD_POLL_DISCONNECT) as soon as it arrives, bytes buffered or
/// not; Wine's AFD reports it only once the buffered bytes have been read (it detects the FIN
/// with a zero-byte peek). Reading as events come satisfies both and still needs the event.
#[cfg(windows)]
fn read_until_read_closed(poll: &mut Poll, events: &mut Events, stream: &mut TcpStream) -> Vec<u8> {
    let deadline = Instant::now() + DEADLINE;
    let mut received = Vec::new();
    loop {
        let now = Instant::now();
        assert!(
            now < deadline,
            "no read_closed event; {} bytes read",
            received.len()
        );
        poll.poll(events, Some(deadline - now)).unwrap();
        let mut closed = false;
        for event in events.iter().filter(|event| event.token() == CLIENT) {
            closed |= event.is_read_closed();
            received.extend(read_until_would_block(stream).unwrap());
        }
        if closed {
            return received;
        }
    }
}

/// One MiB written by a client is echoed back byte for byte by a server, both driven by one Poll on one thread.
#[test]
#[cfg_attr(miri, ignore = "a mebibyte through Miri's interpreter takes minutes")]
fn echo_one_mebibyte_through_one_poll() {
    const LEN: usize = 1 << 20;
    let payload: Vec<u8> = (0..LEN).map(|i| (i * 7 % 253) as u8).collect();

    let (mut poll, mut events) = new_poll(128);
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();

    let mut server: Option<TcpStream> = None;
    let mut connected = false;
    let mut sent = 0;
    let mut pending_echo: Vec<u8> = Vec::new();
    let mut echoed = 0;
    let mut received: Vec<u8> = Vec::with_capacity(LEN);
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + DEADLINE;

    while received.len() < LEN {
        let now = Instant::now();
        assert!(
            now < deadline,
            "echo stalled: sent {sent}, echoed {echoed}, received {}",
            received.len()
        );
        poll.poll(&mut events, Some(deadline - now)).unwrap();
        for event in events.iter() {
            match event.token() {
                LISTENER => loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            assert!(server.is_none(), "only one connection was made");
                            poll.registry()
                                .register(
                                    &mut stream,
                                    SERVER,
                                    Interest::READABLE | Interest::WRITABLE,
                                )
                                .unwrap();
                            server = Some(stream);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("accept failed: {e}"),
                    }
                },
                CLIENT if !connected && event.is_writable() => {
                    assert!(client.take_error().unwrap().is_none());
                    connected = client.peer_addr().is_ok();
                }
                _ => {}
            }
        }

        // Make every bit of progress possible: edge-triggered readiness requires each operation
        // to run until it would block before waiting again.
        loop {
            let mut progressed = false;
            while connected && sent < LEN {
                // Vary the write sizes to exercise partial writes.
                let chunk = (1 + sent % 70_001).min(LEN - sent);
                match client.write(&payload[sent..sent + chunk]) {
                    Ok(n) => {
                        sent += n;
                        progressed = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("client write failed: {e}"),
                }
            }
            if let Some(server) = server.as_mut() {
                loop {
                    match server.read(&mut buf) {
                        Ok(0) => panic!("server saw end of stream early"),
                        Ok(n) => {
                            pending_echo.extend_from_slice(&buf[..n]);
                            progressed = true;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("server read failed: {e}"),
                    }
                }
                while !pending_echo.is_empty() {
                    match server.write(&pending_echo) {
                        Ok(n) => {
                            pending_echo.drain(..n);
                            echoed += n;
                            progressed = true;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("server write failed: {e}"),
                    }
                }
            }
            loop {
                match client.read(&mut buf) {
                    Ok(0) => panic!("client saw end of stream early"),
                    Ok(n) => {
                        received.extend_from_slice(&buf[..n]);
                        progressed = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("client read failed: {e}"),
                }
            }
            if !progressed {
                break;
            }
        }
    }

    assert_eq!(received.len(), LEN);
    if let Some(at) = received.iter().zip(&payload).position(|(a, b)| a != b) {
        panic!("echoed data differs from sent data at byte {at}");
    }
}

/// 256 connections are accepted and each exchanges its own message, all through one Poll.
#[test]
fn many_connections_through_one_poll() {
    const N: usize = 256;
    const SERVER_BASE: usize = 10_000;

    struct Client {
        stream: TcpStream,
        message: Vec<u8>,
        connected: bool,
        written: usize,
        received: Vec<u8>,
    }
    struct Server {
        stream: TcpStream,
        received: Vec<u8>,
        written: usize,
    }

    let (mut poll, mut events) = new_poll(128);
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut clients: Vec<Client> = (0..N)
        .map(|i| {
            let mut stream = TcpStream::connect(addr).unwrap();
            poll.registry()
                .register(
                    &mut stream,
                    Token(1 + i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .unwrap();
            Client {
                stream,
                message: format!("hello from client {i:03}\n").into_bytes(),
                connected: false,
                written: 0,
                received: Vec::new(),
            }
        })
        .collect();
    let message_len = clients[0].message.len();
    let mut servers: Vec<Server> = Vec::new();
    let mut done = 0;
    let deadline = Instant::now() + DEADLINE;

    fn write_rest(stream: &mut TcpStream, out: &[u8], written: &mut usize) {
        while *written < out.len() {
            match stream.write(&out[*written..]) {
                Ok(n) => *written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("write failed: {e}"),
            }
        }
    }
    fn read_available(stream: &mut TcpStream, input: &mut Vec<u8>) {
        let mut buf = [0u8; 256];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => panic!("unexpected end of stream"),
                Ok(n) => input.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }
    /// Reads what the client sent and, once its whole message is in, echoes it back.
    fn serve(server: &mut Server, message_len: usize) {
        read_available(&mut server.stream, &mut server.received);
        if server.received.len() >= message_len {
            let reply = &server.received[..message_len];
            write_rest(&mut server.stream, reply, &mut server.written);
        }
    }

    while done < N {
        let now = Instant::now();
        assert!(
            now < deadline,
            "only {done} of {N} exchanges finished, {} accepted",
            servers.len()
        );
        poll.poll(&mut events, Some(deadline - now)).unwrap();
        for event in events.iter() {
            let token = event.token();
            if token == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let token = Token(SERVER_BASE + servers.len());
                            poll.registry()
                                .register(
                                    &mut stream,
                                    token,
                                    Interest::READABLE | Interest::WRITABLE,
                                )
                                .unwrap();
                            let mut server = Server {
                                stream,
                                received: Vec::new(),
                                written: 0,
                            };
                            // Data may already be waiting: try right away, as with any new socket.
                            serve(&mut server, message_len);
                            servers.push(server);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("accept failed: {e}"),
                    }
                }
                assert!(servers.len() <= N, "more connections accepted than made");
            } else if token.0 >= SERVER_BASE {
                serve(&mut servers[token.0 - SERVER_BASE], message_len);
            } else {
                let client = &mut clients[token.0 - 1];
                if !client.connected {
                    assert!(client.stream.take_error().unwrap().is_none());
                    match client.stream.peer_addr() {
                        Ok(peer) => {
                            assert_eq!(peer, addr);
                            client.connected = true;
                        }
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
                        Err(e) => panic!("peer_addr failed: {e}"),
                    }
                }
                let was_done = client.received.len() >= message_len;
                write_rest(&mut client.stream, &client.message, &mut client.written);
                read_available(&mut client.stream, &mut client.received);
                if !was_done && client.received.len() >= message_len {
                    assert_eq!(
                        client.received, client.message,
                        "client got someone else's echo"
                    );
                    done += 1;
                }
            }
        }
    }
    assert_eq!(servers.len(), N);
    for server in &servers {
        assert_eq!(
            server.received.len(),
            message_len,
            "server received a wrong amount"
        );
    }
}

/// set_nodelay/nodelay and set_ttl/ttl round-trip on streams and listeners, and take_error is None when healthy.
#[test]
fn socket_options_round_trip() {
    let (stream, _peer) = stream_with_std_peer();
    stream.set_nodelay(true).unwrap();
    assert!(stream.nodelay().unwrap());
    stream.set_nodelay(false).unwrap();
    assert!(!stream.nodelay().unwrap());
    stream.set_ttl(42).unwrap();
    assert_eq!(stream.ttl().unwrap(), 42);
    stream.set_ttl(100).unwrap();
    assert_eq!(stream.ttl().unwrap(), 100);
    assert!(stream.take_error().unwrap().is_none());

    let listener = TcpListener::bind(any_local_address()).unwrap();
    listener.set_ttl(77).unwrap();
    assert_eq!(listener.ttl().unwrap(), 77);
    assert!(listener.take_error().unwrap().is_none());
}

/// peek returns buffered data without consuming it; the next read returns the same bytes.
#[test]
fn peek_does_not_consume() {
    let (mut poll, mut events) = new_poll(128);
    let (mut stream, mut peer) = stream_with_std_peer();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();
    assert_would_block(stream.peek(&mut [0u8; 8]));

    peer.write_all(b"hello").unwrap();
    wait_peekable(&mut poll, &mut events, CLIENT, &stream, 5);
    let mut buf = [0u8; 16];
    assert_eq!(stream.peek(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(stream.peek(&mut buf[..3]).unwrap(), 3);
    assert_eq!(&buf[..3], b"hel");
    assert_eq!(read_until_would_block(&mut stream).unwrap(), b"hello");
    assert_would_block(stream.peek(&mut buf));
}

/// A shared `&TcpStream` implements Read and Write.
#[test]
fn shared_reference_reads_and_writes() {
    let (mut poll, mut events) = new_poll(128);
    let (mut stream, mut peer) = stream_with_std_peer();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();

    let mut writer = &stream;
    assert_eq!(writer.write(b"via ref").unwrap(), 7);
    writer.flush().unwrap();
    let mut got = [0u8; 7];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"via ref");

    peer.write_all(b"answer").unwrap();
    let mut reader = &stream;
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, CLIENT, &mut reader, 6),
        b"answer"
    );
}

/// write_vectored sends all slices in order and read_vectored scatters into all buffers in order.
#[test]
fn vectored_io() {
    let (mut poll, mut events) = new_poll(128);
    let (mut stream, mut peer) = stream_with_std_peer();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();

    let slices = [
        IoSlice::new(b"abc"),
        IoSlice::new(b""),
        IoSlice::new(b"defgh"),
    ];
    assert_eq!(stream.write_vectored(&slices).unwrap(), 8);
    let mut got = [0u8; 8];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"abcdefgh");

    peer.write_all(b"0123456789").unwrap();
    wait_peekable(&mut poll, &mut events, CLIENT, &stream, 10);
    let (mut a, mut b) = ([0u8; 4], [0u8; 16]);
    let n = stream
        .read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
        .unwrap();
    assert_eq!(n, 10);
    assert_eq!(&a, b"0123");
    assert_eq!(&b[..6], b"456789");
    assert_would_block(stream.read(&mut a));
}

/// A std listener and a std stream made non-blocking by the caller work after from_std.
#[test]
fn from_std_listener_and_stream() {
    let (mut poll, mut events) = new_poll(128);
    let std_listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let mut listener = TcpListener::from_std(std_listener);
    assert_eq!(listener.local_addr().unwrap(), addr);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut peer = std::net::TcpStream::connect(addr).unwrap();
    let (mut accepted, from) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    assert_eq!(from, peer.local_addr().unwrap());

    let std_stream = std::net::TcpStream::connect(addr).unwrap();
    std_stream.set_nonblocking(true).unwrap();
    let mut stream = TcpStream::from_std(std_stream);
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut accepted, SERVER, Interest::READABLE)
        .unwrap();

    peer.write_all(b"to accepted").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, SERVER, &mut accepted, 11),
        b"to accepted"
    );

    let (mut second, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    second.write_all(b"to from_std").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, CLIENT, &mut stream, 11),
        b"to from_std"
    );
}

/// A stream and a listener converted into their std types are the same sockets.
#[test]
fn into_std_keeps_the_socket() {
    let (stream, mut peer) = stream_with_std_peer();
    let local = stream.local_addr().unwrap();
    let mut std_stream = std::net::TcpStream::from(stream);
    assert_eq!(std_stream.local_addr().unwrap(), local);
    assert_eq!(std_stream.peer_addr().unwrap(), peer.local_addr().unwrap());
    std_stream.set_nonblocking(false).unwrap();
    std_stream.set_read_timeout(Some(DEADLINE)).unwrap();
    peer.write_all(b"std").unwrap();
    let mut got = [0u8; 3];
    std_stream.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"std");

    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    let std_listener = std::net::TcpListener::from(listener);
    assert_eq!(std_listener.local_addr().unwrap(), addr);
    std_listener.set_nonblocking(false).unwrap();
    let client = std::net::TcpStream::connect(addr).unwrap();
    let (_, from) = std_listener.accept().unwrap();
    assert_eq!(from, client.local_addr().unwrap());
}

/// Registers `stream` and `listener`, both rebuilt from a descriptor, and checks that `stream` still
/// reads `message` from `peer` and that `listener`, bound to `addr`, still accepts.
#[cfg(unix)]
fn assert_rebuilt_sockets_work(
    mut stream: TcpStream,
    peer: &mut std::net::TcpStream,
    message: &[u8],
    mut listener: TcpListener,
    addr: SocketAddr,
) {
    let (mut poll, mut events) = new_poll(128);
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();
    peer.write_all(message).unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, CLIENT, &mut stream, message.len()),
        message
    );

    assert_eq!(listener.local_addr().unwrap(), addr);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let client = std::net::TcpStream::connect(addr).unwrap();
    let (_, from) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    assert_eq!(from, client.local_addr().unwrap());
}

/// A stream and a listener survive a round trip through OwnedFd and still work with a Poll.
#[cfg(unix)]
#[test]
fn owned_fd_round_trip() {
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};

    let (stream, mut peer) = stream_with_std_peer();
    let raw = stream.as_raw_fd();
    assert_eq!(stream.as_fd().as_raw_fd(), raw);
    let fd = OwnedFd::from(stream);
    assert_eq!(fd.as_raw_fd(), raw);
    let stream = TcpStream::from(fd);
    assert_eq!(stream.as_raw_fd(), raw);

    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = TcpListener::from(OwnedFd::from(listener));
    assert_rebuilt_sockets_work(stream, &mut peer, b"fd", listener, addr);
}

/// into_raw_fd gives up the descriptor unchanged and from_raw_fd takes it back into a working socket.
#[cfg(unix)]
#[test]
fn raw_fd_round_trip() {
    use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};

    let (stream, mut peer) = stream_with_std_peer();
    let raw = stream.as_raw_fd();
    assert_eq!(stream.into_raw_fd(), raw);
    // SAFETY: `raw` was just released by `into_raw_fd` and is owned by nothing else.
    let stream = unsafe { TcpStream::from_raw_fd(raw) };

    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    let raw = listener.as_raw_fd();
    assert_eq!(listener.into_raw_fd(), raw);
    // SAFETY: as above.
    let listener = unsafe { TcpListener::from_raw_fd(raw) };
    assert_rebuilt_sockets_work(stream, &mut peer, b"raw", listener, addr);
}

/// shutdown(Both) reports read_closed and write_closed on the stream and read_closed on its peer.
#[test]
fn shutdown_both_reports_closed_on_both_ends() {
    let (mut poll, mut events) = new_poll(128);
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let (mut server, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::writable(CLIENT), Expect::writable(SERVER)],
    );

    client.shutdown(Shutdown::Both).unwrap();
    #[cfg(not(windows))]
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect {
                write_closed: Some(true),
                ..Expect::read_closed(CLIENT)
            },
            Expect::read_closed(SERVER),
        ],
    );
    // AFD has no event for a socket's own shutdown: only the peer hears of it. The reads and
    // writes below still show that the client's both directions are closed.
    #[cfg(windows)]
    expect_events(&mut poll, &mut events, &[Expect::read_closed(SERVER)]);
    assert_eq!(client.read(&mut [0u8; 8]).unwrap(), 0);
    assert!(
        client.write(b"x").is_err(),
        "writing after shutdown(Both) must fail"
    );
    assert_eq!(server.read(&mut [0u8; 8]).unwrap(), 0);
}

/// Accepting when nothing is pending, and reading an accepted stream with no data, give WouldBlock.
#[test]
fn accepted_stream_is_non_blocking() {
    let (mut poll, mut events) = new_poll(128);
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut accepted, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    assert_would_block(accepted.read(&mut [0u8; 8]));
    assert_would_block(listener.accept());
}

/// Listeners, connected streams and accepted streams are created non-blocking and close-on-exec.
#[cfg(target_os = "linux")]
#[test]
fn sockets_are_non_blocking_and_close_on_exec() {
    use std::os::fd::AsRawFd;

    use util::unix::assert_non_blocking_and_close_on_exec as check;

    let (mut poll, mut events) = new_poll(128);
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    check("bound listener", listener.as_raw_fd());
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    check("connected stream", stream.as_raw_fd());
    let (accepted, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    check("accepted stream", accepted.as_raw_fd());
}

/// try_io hands back the closure's value and errors unchanged, and readiness still works after a WouldBlock.
#[test]
fn try_io_passes_results_through() {
    let (mut poll, mut events) = new_poll(128);
    let (mut stream, mut peer) = stream_with_std_peer();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();

    assert_eq!(stream.try_io(|| Ok(42)).unwrap(), 42);
    let err = stream
        .try_io(|| Err::<(), _>(io::Error::other("custom failure")))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert_eq!(err.to_string(), "custom failure");

    let mut buf = [0u8; 16];
    assert_would_block(stream.try_io(|| (&stream).read(&mut buf)));

    peer.write_all(b"via try_io").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(CLIENT)]);
    let mut got = Vec::new();
    let deadline = Instant::now() + DEADLINE;
    while got.len() < 10 {
        match stream.try_io(|| (&stream).read(&mut buf)) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline);
                expect_events(&mut poll, &mut events, &[Expect::readable(CLIENT)]);
            }
            Err(e) => panic!("read through try_io failed: {e}"),
        }
    }
    assert_eq!(got, b"via try_io");
}
