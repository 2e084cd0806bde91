//! Registration churn: one socket registered and deregistered again and again.

use std::io;

use crate::event_loop::{EventLoop, Want};
use crate::sockets::{connected_pair, loopback_listener};
use crate::stopwatch::{Stopwatch, Timing};

/// `cycles` register + deregister pairs.
pub fn run<L: EventLoop>(cycles: u64) -> io::Result<Timing> {
    let listener = loopback_listener()?;
    let (stream, _peer) = connected_pair(&listener)?;
    let mut stream = L::stream(stream);
    let mut event_loop = L::new()?;
    let stopwatch = Stopwatch::start()?;
    for token in 0..cycles {
        event_loop.register(&mut stream, token as usize, Want::Read)?;
        event_loop.deregister(&mut stream)?;
    }
    stopwatch.stop()
}
