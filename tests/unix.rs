//! Tests of `minimio::net::{UnixListener, UnixStream, UnixDatagram}`.

// Miri emulates no Unix-domain socket calls beyond read and write on a socketpair.
#![cfg(all(unix, not(miri)))]

mod util;

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::path::PathBuf;

use minimio::net::{UnixDatagram, UnixListener, UnixStream};
use minimio::{Interest, Token};

use util::{
    accept_one, assert_would_block, expect_events, expect_no_events, new_poll, read_exact_polled,
    read_to_end_now, recv_from_polled, temp_path, Expect, DEADLINE,
};

const LISTENER: Token = Token(0);
const A: Token = Token(1);
const B: Token = Token(2);

/// Removes a socket file when dropped, so failed tests leave nothing behind either.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn socket_path(name: &str) -> (PathBuf, RemoveOnDrop) {
    let path = temp_path(name);
    (path.clone(), RemoveOnDrop(path))
}

/// A path listener accepts a connecting stream, both sides get events, data flows both ways, and addresses agree.
#[test]
fn listener_accepts_and_streams_exchange_data() {
    let (mut poll, mut events) = new_poll(64);
    let (path, _cleanup) = socket_path("listener");
    let mut listener = UnixListener::bind(&path).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    assert_would_block(listener.accept());

    let mut client = UnixStream::connect(&path).unwrap();
    poll.registry()
        .register(&mut client, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::readable(LISTENER), Expect::writable(A)],
    );

    let (mut server, from) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    assert_would_block(listener.accept());
    assert!(
        from.is_unnamed(),
        "an unbound client has an unnamed address: {from:?}"
    );
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert!(client.local_addr().unwrap().is_unnamed());
    assert_eq!(
        server.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert!(server.peer_addr().unwrap().is_unnamed());
    poll.registry()
        .register(&mut server, B, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::writable(B)]);

    client.write_all(b"hello server").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, B, &mut server, 12),
        b"hello server"
    );
    server.write_all(b"hello client").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, A, &mut client, 12),
        b"hello client"
    );
    assert!(client.take_error().unwrap().is_none());
    assert!(server.take_error().unwrap().is_none());
    assert!(listener.take_error().unwrap().is_none());
}

/// Both ends of UnixStream::pair are writable at once and carry data in both directions with events.
#[test]
fn stream_pair_exchanges_data() {
    let (mut poll, mut events) = new_poll(64);
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(b.peer_addr().unwrap().is_unnamed());
    poll.registry()
        .register(&mut a, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::writable(A), Expect::writable(B)],
    );
    assert_would_block(a.read(&mut [0u8; 8]));

    (&a).write_all(b"a to b").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, B, &mut b, 6),
        b"a to b"
    );
    (&b).write_all(b"b to a!").unwrap();
    let mut reader = &a;
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, A, &mut reader, 7),
        b"b to a!"
    );
}

/// Readiness of a stream is edge-triggered: after reading until WouldBlock no event follows until new data.
#[test]
fn stream_readiness_is_edge_triggered() {
    let (mut poll, mut events) = new_poll(64);
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();

    b.write_all(b"first").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, A, &mut a, 5),
        b"first"
    );
    assert_would_block(a.read(&mut [0u8; 8]));
    expect_no_events(&mut poll, &mut events, &[A]);

    b.write_all(b"second").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(A)]);
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, A, &mut a, 6),
        b"second"
    );
}

/// After shutdown(Write) on one end of a pair, the other end sees read_closed and still reads every byte.
#[test]
fn half_close_keeps_buffered_bytes() {
    let (mut poll, mut events) = new_poll(64);
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    let payload: Vec<u8> = (0..20_000).map(|i| (i % 239) as u8).collect();
    a.write_all(&payload).unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    expect_events(&mut poll, &mut events, &[Expect::read_closed(B)]);
    let received = read_to_end_now(&mut b);
    assert_eq!(received.len(), payload.len());
    assert!(received == payload, "received bytes differ from those sent");
    assert!(
        a.write(b"x").is_err(),
        "writing after shutdown(Write) must fail"
    );

    // The other direction is still open.
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    b.write_all(b"reply").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, A, &mut a, 5),
        b"reply"
    );
}

/// Dropping one end of a stream gives read_closed on the other, whose reads then return end of stream.
#[test]
fn dropping_peer_gives_read_closed() {
    let (mut poll, mut events) = new_poll(64);
    let (mut a, b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    drop(b);
    expect_events(&mut poll, &mut events, &[Expect::read_closed(A)]);
    assert_eq!(a.read(&mut [0u8; 8]).unwrap(), 0);
    let err = a
        .write(b"x")
        .expect_err("writing to a closed peer must fail");
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");

    // The same for a stream that came from a listener.
    let (path, _cleanup) = socket_path("drop-peer");
    let mut listener = UnixListener::bind(&path).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let client = UnixStream::connect(&path).unwrap();
    let (mut server, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    poll.registry()
        .register(&mut server, B, Interest::READABLE)
        .unwrap();
    drop(client);
    expect_events(&mut poll, &mut events, &[Expect::read_closed(B)]);
    assert_eq!(server.read(&mut [0u8; 8]).unwrap(), 0);
}

/// An accepted stream is non-blocking: reading with no data gives WouldBlock.
#[test]
fn accepted_stream_is_non_blocking() {
    let (mut poll, mut events) = new_poll(64);
    let (path, _cleanup) = socket_path("nonblocking");
    let mut listener = UnixListener::bind(&path).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _client = UnixStream::connect(&path).unwrap();
    let (mut server, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    assert_would_block(server.read(&mut [0u8; 8]));
}

/// Every kind of Unix socket minimio creates is non-blocking and close-on-exec.
#[cfg(target_os = "linux")]
#[test]
fn sockets_are_non_blocking_and_close_on_exec() {
    use util::unix::assert_non_blocking_and_close_on_exec;

    let (mut poll, mut events) = new_poll(64);
    let (path, _cleanup) = socket_path("flags");
    let mut listener = UnixListener::bind(&path).unwrap();
    assert_non_blocking_and_close_on_exec("listener", listener.as_raw_fd());
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let client = UnixStream::connect(&path).unwrap();
    assert_non_blocking_and_close_on_exec("connected stream", client.as_raw_fd());
    let (server, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    assert_non_blocking_and_close_on_exec("accepted stream", server.as_raw_fd());
    let (a, b) = UnixStream::pair().unwrap();
    assert_non_blocking_and_close_on_exec("stream pair", a.as_raw_fd());
    assert_non_blocking_and_close_on_exec("stream pair", b.as_raw_fd());

    let (dgram_path, _cleanup2) = socket_path("flags-dgram");
    let bound = UnixDatagram::bind(&dgram_path).unwrap();
    assert_non_blocking_and_close_on_exec("bound datagram", bound.as_raw_fd());
    let unbound = UnixDatagram::unbound().unwrap();
    assert_non_blocking_and_close_on_exec("unbound datagram", unbound.as_raw_fd());
    let (c, d) = UnixDatagram::pair().unwrap();
    assert_non_blocking_and_close_on_exec("datagram pair", c.as_raw_fd());
    assert_non_blocking_and_close_on_exec("datagram pair", d.as_raw_fd());
}

/// Bound datagram sockets exchange datagrams with send_to/recv_from and see each other's paths.
#[test]
fn datagram_bind_send_to_recv_from() {
    let (mut poll, mut events) = new_poll(64);
    let (path_a, _cleanup_a) = socket_path("dgram-a");
    let (path_b, _cleanup_b) = socket_path("dgram-b");
    let mut a = UnixDatagram::bind(&path_a).unwrap();
    let mut b = UnixDatagram::bind(&path_b).unwrap();
    assert_eq!(
        a.local_addr().unwrap().as_pathname(),
        Some(path_a.as_path())
    );
    assert_eq!(
        b.local_addr().unwrap().as_pathname(),
        Some(path_b.as_path())
    );
    let err = a
        .peer_addr()
        .expect_err("an unconnected datagram socket has no peer");
    assert_eq!(err.kind(), io::ErrorKind::NotConnected, "{err}");
    poll.registry()
        .register(&mut a, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::writable(A), Expect::writable(B)],
    );
    assert_would_block(b.recv_from(&mut [0u8; 8]));

    assert_eq!(a.send_to(b"to b", &path_b).unwrap(), 4);
    let (data, from) = recv_from_polled(&mut poll, &mut events, B, &b);
    assert_eq!(data, b"to b");
    assert_eq!(from.as_pathname(), Some(path_a.as_path()));

    assert_eq!(
        b.send_to(b"back to a", from.as_pathname().unwrap())
            .unwrap(),
        9
    );
    let (data, from) = recv_from_polled(&mut poll, &mut events, A, &a);
    assert_eq!(data, b"back to a");
    assert_eq!(from.as_pathname(), Some(path_b.as_path()));
    assert!(a.take_error().unwrap().is_none());
}

/// An unbound datagram socket can send to a bound one, which sees an unnamed sender; after connect it uses send.
#[test]
fn datagram_unbound_and_connect() {
    let (mut poll, mut events) = new_poll(64);
    let (path, _cleanup) = socket_path("dgram-target");
    let mut target = UnixDatagram::bind(&path).unwrap();
    poll.registry()
        .register(&mut target, B, Interest::READABLE)
        .unwrap();

    let unbound = UnixDatagram::unbound().unwrap();
    assert!(unbound.local_addr().unwrap().is_unnamed());
    unbound.send_to(b"anonymous", &path).unwrap();
    let (data, from) = recv_from_polled(&mut poll, &mut events, B, &target);
    assert_eq!(data, b"anonymous");
    assert!(from.is_unnamed());

    unbound.connect(&path).unwrap();
    assert_eq!(
        unbound.peer_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert_eq!(unbound.send(b"connected").unwrap(), 9);
    let (data, _) = recv_from_polled(&mut poll, &mut events, B, &target);
    assert_eq!(data, b"connected");
}

/// UnixDatagram::pair carries datagrams both ways with send/recv, keeping datagram boundaries.
#[test]
fn datagram_pair_send_recv() {
    let (mut poll, mut events) = new_poll(64);
    let (mut a, mut b) = UnixDatagram::pair().unwrap();
    assert!(a.peer_addr().unwrap().is_unnamed());
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    a.send(b"one").unwrap();
    a.send(b"two!").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(B)]);
    let mut buf = [0u8; 16];
    assert_eq!(b.recv(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"one");
    // Both datagrams were queued before the first was read.
    assert_eq!(b.recv(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"two!");
    assert_would_block(b.recv(&mut buf));
    expect_no_events(&mut poll, &mut events, &[B]);

    b.send(b"reply").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(A)]);
    assert_eq!(a.recv(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"reply");
}

/// Abstract-namespace addresses work for listeners, streams and datagram sockets and are reported back.
#[cfg(target_os = "linux")]
#[test]
fn abstract_namespace_addresses() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;

    let (mut poll, mut events) = new_poll(64);
    let unique = temp_path("abstract");
    let name = unique.file_name().unwrap().to_string_lossy().into_owned();

    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let mut listener = UnixListener::bind_addr(&addr).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(name.as_bytes())
    );
    assert!(listener.local_addr().unwrap().as_pathname().is_none());
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut client = UnixStream::connect_addr(&addr).unwrap();
    poll.registry()
        .register(&mut client, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let (mut server, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    expect_events(&mut poll, &mut events, &[Expect::writable(A)]);
    assert_eq!(
        client.peer_addr().unwrap().as_abstract_name(),
        Some(name.as_bytes())
    );
    poll.registry()
        .register(&mut server, B, Interest::READABLE)
        .unwrap();
    client.write_all(b"abstract").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, B, &mut server, 8),
        b"abstract"
    );

    let dgram_name = format!("{name}-dgram");
    let dgram_addr = SocketAddr::from_abstract_name(dgram_name.as_bytes()).unwrap();
    let mut dgram = UnixDatagram::bind_addr(&dgram_addr).unwrap();
    assert_eq!(
        dgram.local_addr().unwrap().as_abstract_name(),
        Some(dgram_name.as_bytes())
    );
    poll.registry()
        .register(&mut dgram, Token(3), Interest::READABLE)
        .unwrap();
    let sender = std::os::unix::net::UnixDatagram::unbound().unwrap();
    sender
        .send_to_addr(b"abstract datagram", &dgram_addr)
        .unwrap();
    let (data, _) = recv_from_polled(&mut poll, &mut events, Token(3), &dgram);
    assert_eq!(data, b"abstract datagram");
}

/// std Unix sockets made non-blocking by the caller work after from_std.
#[test]
fn from_std_sockets() {
    let (mut poll, mut events) = new_poll(64);
    let (path, _cleanup) = socket_path("from-std");
    let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let mut listener = UnixListener::from_std(std_listener);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let std_stream = std::os::unix::net::UnixStream::connect(&path).unwrap();
    std_stream.set_nonblocking(true).unwrap();
    let mut stream = UnixStream::from_std(std_stream);
    poll.registry()
        .register(&mut stream, A, Interest::READABLE)
        .unwrap();
    let (mut server, _) = accept_one(&mut poll, &mut events, LISTENER, &listener);
    server.write_all(b"from_std").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, A, &mut stream, 8),
        b"from_std"
    );

    let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    std_a.set_nonblocking(true).unwrap();
    let mut dgram = UnixDatagram::from_std(std_a);
    poll.registry()
        .register(&mut dgram, B, Interest::READABLE)
        .unwrap();
    std_b.send(b"datagram").unwrap();
    let (data, _) = recv_from_polled(&mut poll, &mut events, B, &dgram);
    assert_eq!(data, b"datagram");
}

/// Unix sockets converted into their std types are the same sockets.
#[test]
fn into_std_keeps_the_sockets() {
    let (path, _cleanup) = socket_path("into-std");
    let listener = UnixListener::bind(&path).unwrap();
    let std_listener = std::os::unix::net::UnixListener::from(listener);
    assert_eq!(
        std_listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );

    let (a, mut b) = UnixStream::pair().unwrap();
    let mut std_a = std::os::unix::net::UnixStream::from(a);
    std_a.set_nonblocking(false).unwrap();
    std_a.set_read_timeout(Some(DEADLINE)).unwrap();
    b.write_all(b"to std").unwrap();
    let mut got = [0u8; 6];
    std_a.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"to std");

    let (c, d) = UnixDatagram::pair().unwrap();
    let std_c = std::os::unix::net::UnixDatagram::from(c);
    std_c.set_nonblocking(false).unwrap();
    std_c.set_read_timeout(Some(DEADLINE)).unwrap();
    d.send(b"dgram").unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(std_c.recv(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"dgram");
}

/// Unix sockets survive round trips through OwnedFd and raw descriptors and still work with a Poll.
#[test]
fn fd_round_trips() {
    let (mut poll, mut events) = new_poll(64);

    let (a, mut b) = UnixStream::pair().unwrap();
    let raw = a.as_raw_fd();
    assert_eq!(a.as_fd().as_raw_fd(), raw);
    let fd = OwnedFd::from(a);
    assert_eq!(fd.as_raw_fd(), raw);
    let a = UnixStream::from(fd);
    assert_eq!(a.into_raw_fd(), raw);
    // SAFETY: `raw` was just released by `into_raw_fd` and is owned by nothing else.
    let mut a = unsafe { UnixStream::from_raw_fd(raw) };
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    b.write_all(b"stream").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, A, &mut a, 6),
        b"stream"
    );

    let (path, _cleanup) = socket_path("fd-listener");
    let listener = UnixListener::bind(&path).unwrap();
    let raw = listener.as_raw_fd();
    let listener = UnixListener::from(OwnedFd::from(listener));
    assert_eq!(listener.into_raw_fd(), raw);
    // SAFETY: as above.
    let mut listener = unsafe { UnixListener::from_raw_fd(raw) };
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _client = UnixStream::connect(&path).unwrap();
    accept_one(&mut poll, &mut events, LISTENER, &listener);

    let (c, d) = UnixDatagram::pair().unwrap();
    let raw = c.as_raw_fd();
    let c = UnixDatagram::from(OwnedFd::from(c));
    assert_eq!(c.as_fd().as_raw_fd(), raw);
    assert_eq!(c.into_raw_fd(), raw);
    // SAFETY: as above.
    let mut c = unsafe { UnixDatagram::from_raw_fd(raw) };
    poll.registry()
        .register(&mut c, B, Interest::READABLE)
        .unwrap();
    d.send(b"datagram").unwrap();
    let (data, _) = recv_from_polled(&mut poll, &mut events, B, &c);
    assert_eq!(data, b"datagram");
}

/// try_io on streams and datagram sockets hands back values and errors unchanged.
#[test]
fn try_io_passes_results_through() {
    let (mut poll, mut events) = new_poll(64);
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    assert_eq!(a.try_io(|| Ok(5)).unwrap(), 5);
    let err = a
        .try_io(|| Err::<(), _>(io::Error::other("custom failure")))
        .unwrap_err();
    assert_eq!(err.to_string(), "custom failure");
    let mut buf = [0u8; 8];
    assert_would_block(a.try_io(|| (&a).read(&mut buf)));
    b.write_all(b"try").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(A)]);
    assert_eq!(a.try_io(|| (&a).read(&mut buf)).unwrap(), 3);
    assert_eq!(&buf[..3], b"try");

    let (mut c, d) = UnixDatagram::pair().unwrap();
    poll.registry()
        .register(&mut c, B, Interest::READABLE)
        .unwrap();
    assert_would_block(c.try_io(|| c.recv(&mut buf)));
    d.send(b"dgram").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(B)]);
    assert_eq!(c.try_io(|| c.recv(&mut buf)).unwrap(), 5);
    assert_eq!(c.try_io(|| Ok("passed")).unwrap(), "passed");
}
