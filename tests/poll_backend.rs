//! The poll(2) backend's own rules, where they differ from a kernel that triggers on edges:
//! an interest that was reported comes back only after `WouldBlock` from minimio's own I/O, or
//! after re-registering. Run with `RUSTFLAGS="--cfg minimio_force_poll" cargo test`.

#![cfg(minimio_force_poll)]

mod util;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net as std_unix;

use minimio::net::UnixStream;
use minimio::unix::SourceFd;
use minimio::{Interest, Token};

use util::{expect_events, expect_no_events, new_poll, read_until_would_block, Expect};

const SOURCE: Token = Token(1);

/// minimio cannot see I/O on a raw fd, so only `reregister` brings its interest back.
#[test]
fn a_source_fd_is_rearmed_by_reregistering_only() {
    let (mut poll, mut events) = new_poll(16);
    let (mut ours, mut peer) = std_unix::UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let fd = ours.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), SOURCE, Interest::READABLE)
        .unwrap();

    peer.write_all(b"one").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(SOURCE)]);
    assert_eq!(read_until_would_block(&mut ours).unwrap(), b"one");

    peer.write_all(b"two").unwrap();
    expect_no_events(&mut poll, &mut events, &[SOURCE]);

    poll.registry()
        .reregister(&mut SourceFd(&fd), SOURCE, Interest::READABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(SOURCE)]);
    assert_eq!(read_until_would_block(&mut ours).unwrap(), b"two");
}

/// A read that stops short of `WouldBlock` leaves the interest disarmed, even when more data
/// arrives; the read that ends in `WouldBlock` re-arms it.
#[test]
fn own_sources_are_rearmed_by_would_block() {
    let (mut poll, mut events) = new_poll(16);
    let (mut ours, mut peer) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut ours, SOURCE, Interest::READABLE)
        .unwrap();

    peer.write_all(b"abcdef").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(SOURCE)]);
    let mut first = [0u8; 3];
    ours.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"abc");

    peer.write_all(b"gh").unwrap();
    expect_no_events(&mut poll, &mut events, &[SOURCE]);

    // A socket pair delivers each write into the peer's buffer before `write` returns.
    assert_eq!(read_until_would_block(&mut ours).unwrap(), b"defgh");

    peer.write_all(b"i").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(SOURCE)]);
}
