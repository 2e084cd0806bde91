//! Registration churn: one socket registered and deregistered again and again.

use std::io;
use std::time::Instant;

use crate::event_loop::{EventLoop, Want};
use crate::sockets::{connected_pair, loopback_listener};

/// `cycles` register + deregister pairs; returns pairs per second.
pub fn run<L: EventLoop>(cycles: u64) -> io::Result<f64> {
    let listener = loopback_listener()?;
    let (stream, _peer) = connected_pair(&listener)?;
    let mut stream = L::stream(stream);
    let mut event_loop = L::new()?;
    let start = Instant::now();
    for token in 0..cycles {
        event_loop.register(&mut stream, token as usize, Want::Read)?;
        event_loop.deregister(&mut stream)?;
    }
    Ok(cycles as f64 / start.elapsed().as_secs_f64())
}
