//! Idle scaling: the ping-pong of 100 pairs beside many registered sockets that never fire.
//! epoll keeps ready sources on their own list, so the idle count should not matter.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use super::ping_pong::{connect_pairs, exchange};
use crate::event_loop::EventLoop;
use crate::sockets::loopback_listener;
use crate::stopwatch::Timing;

pub const ACTIVE_PAIRS: usize = 100;
/// Idle tokens start here, far above the tokens of the active ends.
const FIRST_IDLE_TOKEN: usize = 1 << 32;

/// Registers `idle` on a fresh loop (not timed), then times `round_trips` round trips over
/// [`ACTIVE_PAIRS`] pairs.
pub fn run<L: EventLoop>(idle: &[OwnedFd], round_trips: u64) -> io::Result<Timing> {
    let listener = loopback_listener()?;
    let mut event_loop = L::new()?;
    for (index, socket) in idle.iter().enumerate() {
        event_loop.register_fd(socket.as_raw_fd(), FIRST_IDLE_TOKEN + index)?;
    }
    let mut ends = connect_pairs(&mut event_loop, &listener, ACTIVE_PAIRS)?;
    exchange(&mut event_loop, &mut ends, round_trips)
}
