//! The Unix side of the `sys` contract.

mod ffi;
pub(crate) mod net;
pub(crate) mod pipe;
mod selector;
pub(crate) mod uds;
mod waker;

pub(crate) use self::selector::{event, Event, Events, Selector};
pub(crate) use self::waker::Waker;

use std::io;
use std::sync::Arc;

use crate::{Interest, Token};

/// Turns the C convention "-1 and errno" into an `io::Result`.
fn syscall(result: ffi::c_int) -> io::Result<ffi::c_int> {
    if result == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

/// What a socket or pipe must offer to be registered: its file descriptor.
pub(crate) use std::os::fd::AsRawFd as AsRawSource;

/// Per-source state the backend keeps beside a socket. Readiness on Unix lives entirely in the
/// kernel, so there is nothing to keep: registration goes straight to the selector and I/O calls
/// pass straight through.
#[derive(Debug)]
pub(crate) struct IoSourceState;

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState
    }

    pub(crate) fn register(
        &mut self,
        selector: &Arc<Selector>,
        source: &impl AsRawSource,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        selector.register(source.as_raw_fd(), token, interests)
    }

    pub(crate) fn reregister(
        &mut self,
        selector: &Arc<Selector>,
        source: &impl AsRawSource,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        selector.reregister(source.as_raw_fd(), token, interests)
    }

    pub(crate) fn deregister(
        &mut self,
        selector: &Arc<Selector>,
        source: &impl AsRawSource,
    ) -> io::Result<()> {
        selector.deregister(source.as_raw_fd())
    }

    /// Runs one I/O call on the source.
    pub(crate) fn do_io<T, R>(
        &self,
        io: impl FnOnce(&T) -> io::Result<R>,
        source: &T,
    ) -> io::Result<R> {
        io(source)
    }
}
