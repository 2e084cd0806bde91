//! Pump: one connection, bulk transfer with 64 KiB reads and writes, both ends on one loop.

use std::io::{self, Read, Write};

use crate::event_loop::{EventLoop, Want};
use crate::sockets::{connected_pair, loopback_listener};
use crate::stopwatch::{Stopwatch, Timing};

pub const BUFFER_LEN: usize = 64 * 1024;
const WRITER: usize = 0;
const READER: usize = 1;

/// Moves `total` bytes from one end to the other.
pub fn run<L: EventLoop>(total: u64) -> io::Result<Timing> {
    let listener = loopback_listener()?;
    let (writer, reader) = connected_pair(&listener)?;
    let mut event_loop = L::new()?;
    let (mut writer, mut reader) = (L::stream(writer), L::stream(reader));
    event_loop.register(&mut writer, WRITER, Want::Write)?;
    event_loop.register(&mut reader, READER, Want::Read)?;

    let outgoing = vec![0xa5u8; BUFFER_LEN];
    let mut incoming = vec![0u8; BUFFER_LEN];
    let (mut sent, mut received) = (0u64, 0u64);
    let mut failure = None;
    let stopwatch = Stopwatch::start()?;
    while received < total {
        event_loop.poll(None, |ready| {
            let outcome = match ready.token {
                WRITER if ready.writable => fill(&mut writer, &outgoing, &mut sent, total),
                READER if ready.readable => empty(&mut reader, &mut incoming, &mut received),
                _ => Ok(()),
            };
            if let Err(err) = outcome {
                failure = Some(err);
            }
        })?;
        if let Some(err) = failure.take() {
            return Err(err);
        }
    }
    stopwatch.stop()
}

/// Writes until the socket buffer is full (`WouldBlock`) or everything is sent.
fn fill(writer: &mut impl Write, chunk: &[u8], sent: &mut u64, total: u64) -> io::Result<()> {
    while *sent < total {
        let len = chunk.len().min((total - *sent) as usize);
        match writer.write(&chunk[..len]) {
            Ok(n) => *sent += n as u64,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Reads until `WouldBlock`.
fn empty(reader: &mut impl Read, buf: &mut [u8], received: &mut u64) -> io::Result<()> {
    loop {
        match reader.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => *received += n as u64,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) => return Err(err),
        }
    }
}
