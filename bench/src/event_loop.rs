//! The one interface every scenario is written against.
//!
//! Each library gets a thin adapter that translates these calls into its own API the way a user
//! of that library would write them. Every method is generic or inlined, so the adapter compiles
//! down to the library's own calls: no boxing, no dynamic dispatch, no copying of events.

use std::io::{self, Read, Write};
use std::net;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// Which readiness a registration asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    Read,
    Write,
}

/// One readiness report, reduced to what the scenarios look at.
#[derive(Clone, Copy, Debug)]
pub struct Ready {
    pub token: usize,
    pub readable: bool,
    pub writable: bool,
}

/// An edge-triggered readiness loop, as offered by one library.
pub trait EventLoop: Sized {
    /// How the library is named in tables and charts.
    const NAME: &'static str;

    /// A connected, non-blocking TCP stream of the kind this library's users hold.
    type Stream: Read + Write + AsRawFd;
    /// A non-blocking TCP listener of the kind this library's users hold.
    type Listener: AsRawFd;
    /// What another thread holds to wake this loop.
    type Waker: Send + Sync + 'static;

    fn new() -> io::Result<Self>;

    /// Takes over a connected stream that is already non-blocking.
    fn stream(stream: net::TcpStream) -> Self::Stream;
    /// Takes over a listener that is already non-blocking.
    fn listener(listener: net::TcpListener) -> Self::Listener;
    /// Accepts one connection as a non-blocking stream; `WouldBlock` when none is waiting.
    fn accept(listener: &Self::Listener) -> io::Result<Self::Stream>;

    fn register(&mut self, stream: &mut Self::Stream, token: usize, want: Want) -> io::Result<()>;
    fn deregister(&mut self, stream: &mut Self::Stream) -> io::Result<()>;
    fn register_listener(&mut self, listener: &mut Self::Listener, token: usize) -> io::Result<()>;
    /// Registers a raw fd for reading (used for idle sockets the loop merely carries).
    fn register_fd(&mut self, fd: RawFd, token: usize) -> io::Result<()>;

    /// Creates the waker of this loop; its wake-ups may or may not surface as an event.
    fn waker(&mut self) -> io::Result<Self::Waker>;
    fn wake(waker: &Self::Waker) -> io::Result<()>;

    /// Waits for events and hands each one to `on_ready`.
    fn poll(&mut self, timeout: Option<Duration>, on_ready: impl FnMut(Ready)) -> io::Result<()>;
}

/// How many events one `poll` may return, the same for every library.
pub const EVENT_CAPACITY: usize = 1024;

/// The token waker events carry, out of the range scenarios use for sockets.
pub const WAKER_TOKEN: usize = usize::MAX - 1;
