//! The Unix side of the `sys` contract.

mod ffi;
pub(crate) mod net;
pub(crate) mod pipe;
mod selector;
pub(crate) mod uds;
#[cfg(not(minimio_poll))]
mod waker;

pub(crate) use self::selector::{event, Event, Events, Selector};
#[cfg(minimio_poll)]
pub(crate) use self::selector::{IoSourceState, Waker};
#[cfg(not(minimio_poll))]
pub(crate) use self::waker::Waker;

use std::io;
#[cfg(not(minimio_poll))]
use std::sync::Arc;

#[cfg(not(minimio_poll))]
use crate::{Interest, Token};

/// Turns the C convention "-1 and errno" into an `io::Result`.
fn syscall(result: ffi::c_int) -> io::Result<ffi::c_int> {
    if result == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

/// Sets close-on-exec on an fd that could not be created with it (`FD_CLOEXEC`).
#[cfg(not(minimio_linux))]
#[cfg_attr(minimio_poll, allow(dead_code))]
fn set_cloexec(fd: std::os::fd::RawFd) -> io::Result<()> {
    // SAFETY: F_SETFD takes one int argument, which we pass; a bad fd is reported as EBADF.
    syscall(unsafe { ffi::fcntl(fd, ffi::F_SETFD, ffi::FD_CLOEXEC) }).map(drop)
}

/// Darwin has no flags to create sockets and pipes close-on-exec and non-blocking: this sets
/// both right after creation. (A `fork` on another thread in between could leak the fd into a
/// child; the system offers no way to close that window.)
#[cfg(minimio_apple)]
fn set_cloexec_nonblocking(fd: std::os::fd::RawFd) -> io::Result<()> {
    set_cloexec(fd)?;
    // SAFETY: F_GETFL takes no third argument; a bad fd is reported as EBADF.
    let flags = syscall(unsafe { ffi::fcntl(fd, ffi::F_GETFL) })?;
    // SAFETY: F_SETFL takes one int argument, which we pass.
    syscall(unsafe { ffi::fcntl(fd, ffi::F_SETFL, flags | ffi::O_NONBLOCK) }).map(drop)
}

/// What a socket or pipe must offer to be registered: its file descriptor.
pub(crate) use std::os::fd::AsRawFd as AsRawSource;

/// Per-source state the backend keeps beside a socket. Under epoll and kqueue, readiness lives
/// entirely in the kernel, so there is nothing to keep: registration goes straight to the
/// selector and I/O calls pass straight through. (The poll(2) backend has its own.)
#[cfg(not(minimio_poll))]
#[derive(Debug)]
pub(crate) struct IoSourceState;

#[cfg(not(minimio_poll))]
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

    /// The kernel keeps watching a source whose error was reported: nothing to do.
    pub(crate) fn error_taken(&self) {}
}
