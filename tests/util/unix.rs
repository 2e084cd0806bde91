//! Helpers for the tests of Unix-only sources.

use std::io;
use std::os::fd::RawFd;
use std::os::unix::net::SocketAddr;

use minimio::net::{UnixDatagram, UnixListener, UnixStream};

use super::{Datagram, Listener};

impl Listener for UnixListener {
    type Stream = UnixStream;
    type Addr = SocketAddr;
    fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        UnixListener::accept(self)
    }
}

impl Datagram for UnixDatagram {
    type Addr = SocketAddr;
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        UnixDatagram::recv_from(self, buf)
    }
}

/// Whether `fd` has `O_NONBLOCK` set.
pub fn is_non_blocking(fd: RawFd) -> bool {
    // SAFETY: F_GETFL only reads the flags of a descriptor the test owns.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(
        flags >= 0,
        "fcntl(F_GETFL) failed: {}",
        io::Error::last_os_error()
    );
    flags & libc::O_NONBLOCK != 0
}

/// Whether `fd` has `FD_CLOEXEC` set.
pub fn is_close_on_exec(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the flags of a descriptor the test owns.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(
        flags >= 0,
        "fcntl(F_GETFD) failed: {}",
        io::Error::last_os_error()
    );
    flags & libc::FD_CLOEXEC != 0
}

/// Panics unless `fd`, described as `what`, is both non-blocking and close-on-exec.
pub fn assert_non_blocking_and_close_on_exec(what: &str, fd: RawFd) {
    assert!(is_non_blocking(fd), "{what} is not non-blocking");
    assert!(is_close_on_exec(fd), "{what} is not close-on-exec");
}
