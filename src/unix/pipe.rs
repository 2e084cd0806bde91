//! Non-blocking anonymous pipes, and the pipes of child processes, as sources.
//!
//! # Examples
//!
//! ```
//! use std::io::{Read, Write};
//! use std::time::Duration;
//! use minimio::unix::pipe;
//! use minimio::{Events, Interest, Poll, Token};
//!
//! let (mut sender, mut receiver) = pipe::new()?;
//! let mut poll = Poll::new()?;
//! poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
//!
//! sender.write_all(b"through the pipe")?;
//! let mut events = Events::with_capacity(8);
//! poll.poll(&mut events, Some(Duration::from_secs(10)))?;
//!
//! let mut buf = [0; 64];
//! let n = receiver.read(&mut buf)?;
//! assert_eq!(&buf[..n], b"through the pipe");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::process::{ChildStderr, ChildStdin, ChildStdout};

use crate::io_source::IoSource;
use crate::sys;

/// Creates a pipe, both ends non-blocking and close-on-exec (`pipe2`).
///
/// # Errors
///
/// What the OS reports, typically out of file descriptors.
pub fn new() -> io::Result<(Sender, Receiver)> {
    let (reading, writing) = sys::pipe::new_pipe()?;
    Ok((
        Sender::from(OwnedFd::from(writing)),
        Receiver::from(OwnedFd::from(reading)),
    ))
}

/// The writing end of a pipe.
///
/// It reports writable when the pipe has room, and an error (with `write_closed`) when the
/// reading end has been closed; writing then fails with `BrokenPipe`.
pub struct Sender {
    inner: IoSource<File>,
}

/// The reading end of a pipe.
///
/// It reports readable when there are bytes, and `read_closed` when every writing end has been
/// closed; bytes already in the pipe are still read before `read` returns 0.
pub struct Receiver {
    inner: IoSource<File>,
}

impl Sender {
    /// Switches blocking mode. Pipes from [`new`] are non-blocking already; a child's stdin
    /// converted with `From<ChildStdin>` is not, and needs `set_nonblocking(true)`.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        sys::pipe::set_nonblocking(&self.inner, nonblocking)
    }

    /// Runs an I/O call of the caller's own on this pipe; see [`TcpStream::try_io`](crate::net::TcpStream::try_io).
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

impl Receiver {
    /// Switches blocking mode. Pipes from [`new`] are non-blocking already; a child's stdout
    /// or stderr converted with `From` is not, and needs `set_nonblocking(true)`.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        sys::pipe::set_nonblocking(&self.inner, nonblocking)
    }

    /// Runs an I/O call of the caller's own on this pipe; see [`TcpStream::try_io`](crate::net::TcpStream::try_io).
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

io_source_type!(Sender, File);
io_source_type!(Receiver, File);
write_through_do_io!(Sender);
read_through_do_io!(Receiver);

impl From<ChildStdin> for Sender {
    /// Takes the child's stdin as it is (blocking); call `set_nonblocking(true)` before use.
    fn from(stdin: ChildStdin) -> Sender {
        Sender::from(OwnedFd::from(stdin))
    }
}

impl From<ChildStdout> for Receiver {
    /// Takes the child's stdout as it is (blocking); call `set_nonblocking(true)` before use.
    fn from(stdout: ChildStdout) -> Receiver {
        Receiver::from(OwnedFd::from(stdout))
    }
}

impl From<ChildStderr> for Receiver {
    /// Takes the child's stderr as it is (blocking); call `set_nonblocking(true)` before use.
    fn from(stderr: ChildStderr) -> Receiver {
        Receiver::from(OwnedFd::from(stderr))
    }
}
