//! Ping-pong: 64-byte messages bounce over loopback TCP pairs whose both ends sit on one loop.
//! Also the active load of the idle-scaling scenario.

use std::io::{self, Read, Write};
use std::net;

use crate::event_loop::{EventLoop, Want};
use crate::sockets::connected_pair;
use crate::stopwatch::{Stopwatch, Timing};

pub const MESSAGE_LEN: usize = 64;
const MESSAGE: [u8; MESSAGE_LEN] = [0x5a; MESSAGE_LEN];

/// Connects `pairs` pairs and registers both ends for reading: the connecting end of pair `i`
/// gets token `2 i` and is at index `2 i`, the accepted end `2 i + 1`.
pub fn connect_pairs<L: EventLoop>(
    event_loop: &mut L,
    listener: &net::TcpListener,
    pairs: usize,
) -> io::Result<Vec<L::Stream>> {
    let mut ends = Vec::with_capacity(2 * pairs);
    for _ in 0..pairs {
        let (client, server) = connected_pair(listener)?;
        for end in [client, server] {
            let mut end = L::stream(end);
            event_loop.register(&mut end, ends.len(), Want::Read)?;
            ends.push(end);
        }
    }
    Ok(ends)
}

/// Sends one message per pair and keeps every pair busy (the accepted end echoes, the connecting
/// end counts a round trip and sends again) until `round_trips` have completed in total.
pub fn exchange<L: EventLoop>(
    event_loop: &mut L,
    ends: &mut [L::Stream],
    round_trips: u64,
) -> io::Result<Timing> {
    let mut partial = vec![0usize; ends.len()];
    let mut buf = [0u8; 4096];
    let mut completed = 0u64;
    let mut failure = None;
    let stopwatch = Stopwatch::start()?;
    for client in ends.iter_mut().step_by(2) {
        send(client)?;
    }
    while completed < round_trips {
        event_loop.poll(None, |ready| {
            let Some(end) = ends.get_mut(ready.token) else {
                return;
            };
            if !ready.readable || failure.is_some() {
                return;
            }
            let messages = match drain(end, &mut buf, &mut partial[ready.token]) {
                Ok(messages) => messages,
                Err(err) => return failure = Some(err),
            };
            for _ in 0..messages {
                if ready.token % 2 == 0 {
                    completed += 1;
                }
                if let Err(err) = send(end) {
                    return failure = Some(err);
                }
            }
        })?;
        if let Some(err) = failure.take() {
            return Err(err);
        }
    }
    stopwatch.stop()
}

/// Reads until `WouldBlock` (edge-triggered readiness requires it) and returns how many whole
/// messages arrived, carrying a split message over in `partial`.
fn drain(end: &mut impl Read, buf: &mut [u8], partial: &mut usize) -> io::Result<usize> {
    let mut bytes = *partial;
    loop {
        match end.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => bytes += n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
            Err(err) => return Err(err),
        }
    }
    *partial = bytes % MESSAGE_LEN;
    Ok(bytes / MESSAGE_LEN)
}

/// One message per pair is in flight at a time, so the socket buffer always has room for it.
fn send(end: &mut impl Write) -> io::Result<()> {
    match end.write(&MESSAGE)? {
        MESSAGE_LEN => Ok(()),
        _ => Err(io::Error::other(
            "a 64-byte write to an empty socket was cut short",
        )),
    }
}

/// Scenario 1: `pairs` pairs, `round_trips` round trips in total.
pub fn run<L: EventLoop>(pairs: usize, round_trips: u64) -> io::Result<Timing> {
    let listener = crate::sockets::loopback_listener()?;
    let mut event_loop = L::new()?;
    let mut ends = connect_pairs(&mut event_loop, &listener, pairs)?;
    exchange(&mut event_loop, &mut ends, round_trips)
}
