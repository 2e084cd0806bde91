//! Anonymous pipes: pipe2(2) with both ends non-blocking and close-on-exec from the start
//! (Darwin, which has no pipe2, sets both right after pipe(2)).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};

use crate::sys::unix::{ffi, syscall};

/// Returns `(reading end, writing end)`.
pub(crate) fn new_pipe() -> io::Result<(File, File)> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    #[cfg(not(minimio_apple))]
    syscall(unsafe { ffi::pipe2(fds.as_mut_ptr(), ffi::O_NONBLOCK | ffi::O_CLOEXEC) })?;
    // SAFETY: `fds` has room for the two fds pipe writes.
    #[cfg(minimio_apple)]
    syscall(unsafe { ffi::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: both fds were just returned by the kernel and nothing else owns them.
    let pipe = unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) };
    #[cfg(minimio_apple)]
    {
        crate::sys::unix::set_cloexec_nonblocking(pipe.0.as_raw_fd())?;
        crate::sys::unix::set_cloexec_nonblocking(pipe.1.as_raw_fd())?;
    }
    Ok(pipe)
}

/// Switches `O_NONBLOCK` on or off with `fcntl`, keeping the other status flags.
pub(crate) fn set_nonblocking(file: &File, nonblocking: bool) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: F_GETFL takes no third argument and `fd` is open for the life of `file`.
    let flags = syscall(unsafe { ffi::fcntl(fd, ffi::F_GETFL) })?;
    let wanted = if nonblocking {
        flags | ffi::O_NONBLOCK
    } else {
        flags & !ffi::O_NONBLOCK
    };
    if wanted != flags {
        // SAFETY: F_SETFL takes one int argument, which we pass.
        syscall(unsafe { ffi::fcntl(fd, ffi::F_SETFL, wanted) })?;
    }
    Ok(())
}
