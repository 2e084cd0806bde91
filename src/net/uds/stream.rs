use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking Unix-domain stream socket.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use minimio::net::UnixStream;
/// use minimio::{Events, Interest, Poll, Token};
///
/// let (mut left, mut right) = UnixStream::pair()?;
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut right, Token(1), Interest::READABLE)?;
///
/// left.write_all(b"over the socket pair")?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(10)))?;
///
/// let mut buf = [0; 64];
/// let n = right.read(&mut buf)?;
/// assert_eq!(&buf[..n], b"over the socket pair");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    inner: IoSource<net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path`. A Unix connect completes at once; if the
    /// listener's backlog is full it fails with `WouldBlock`.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        sys::uds::stream_connect(path.as_ref()).map(UnixStream::from_std)
    }

    /// Connects to `address`: a path or, on Linux, an abstract name.
    pub fn connect_addr(address: &SocketAddr) -> io::Result<UnixStream> {
        sys::uds::stream_connect_addr(address).map(UnixStream::from_std)
    }

    /// Wraps a stream from `std`. It must already be in non-blocking mode.
    pub fn from_std(stream: net::UnixStream) -> UnixStream {
        UnixStream {
            inner: IoSource::new(stream),
        }
    }

    /// Two connected, unnamed sockets (`socketpair`).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = sys::uds::stream_pair()?;
        Ok((UnixStream::from_std(a), UnixStream::from_std(b)))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error(|socket| socket.take_error())
    }

    /// Shuts down the reading half, the writing half, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Runs an I/O call of the caller's own on this socket; see [`TcpStream::try_io`](crate::net::TcpStream::try_io).
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

io_source_type!(UnixStream, net::UnixStream);
read_through_do_io!(UnixStream);
write_through_do_io!(UnixStream);

impl From<UnixStream> for net::UnixStream {
    fn from(stream: UnixStream) -> net::UnixStream {
        stream.inner.into_inner()
    }
}
