//! Accepting connections for the adapters whose libraries only poll (polling, the raw loop):
//! `accept4` with `SOCK_NONBLOCK | SOCK_CLOEXEC`, the single system call minimio and mio make,
//! so that accepting costs the same everywhere.

use std::io;
use std::net;
use std::os::fd::{AsRawFd, FromRawFd};

pub fn accept_nonblocking(listener: &net::TcpListener) -> io::Result<net::TcpStream> {
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: null address and length pointers are allowed and mean "peer address not wanted";
    // the listener's fd is open for the duration of the call because we borrow the listener.
    let fd = unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            flags,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new socket returned by accept4 that nothing else owns.
    Ok(unsafe { net::TcpStream::from_raw_fd(fd) })
}
