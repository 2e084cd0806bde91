use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking Unix-domain datagram socket.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use minimio::net::UnixDatagram;
/// use minimio::{Events, Interest, Poll, Token};
///
/// let (left, mut right) = UnixDatagram::pair()?;
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut right, Token(0), Interest::READABLE)?;
///
/// left.send(b"one datagram")?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(10)))?;
/// let mut buf = [0; 64];
/// let n = right.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"one datagram");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    inner: IoSource<net::UnixDatagram>,
}

impl UnixDatagram {
    /// A socket bound to the filesystem path `path`, which must not exist yet.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        sys::uds::datagram_bind(path.as_ref()).map(UnixDatagram::from_std)
    }

    /// A socket bound to `address`: a path or, on Linux, an abstract name.
    pub fn bind_addr(address: &SocketAddr) -> io::Result<UnixDatagram> {
        sys::uds::datagram_bind_addr(address).map(UnixDatagram::from_std)
    }

    /// Wraps a socket from `std`. It must already be in non-blocking mode.
    pub fn from_std(socket: net::UnixDatagram) -> UnixDatagram {
        UnixDatagram {
            inner: IoSource::new(socket),
        }
    }

    /// Sets the peer for [`send`](UnixDatagram::send) and [`recv`](UnixDatagram::recv).
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.connect(path)
    }

    /// A socket bound to no address (it can still send, and receive replies once connected).
    pub fn unbound() -> io::Result<UnixDatagram> {
        sys::uds::datagram_unbound().map(UnixDatagram::from_std)
    }

    /// Two connected, unnamed sockets (`socketpair`).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = sys::uds::datagram_pair()?;
        Ok((UnixDatagram::from_std(a), UnixDatagram::from_std(b)))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Receives one datagram and its sender's address. `WouldBlock` if none is waiting.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_io(|socket| socket.recv_from(buf))
    }

    /// Receives one datagram. `WouldBlock` if none is waiting.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io(|socket| socket.recv(buf))
    }

    /// Sends one datagram to the socket bound at `path`.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        self.inner.do_io(|socket| socket.send_to(buf, path))
    }

    /// Sends one datagram to the connected peer. `WouldBlock` if the peer's queue is full.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_io(|socket| socket.send(buf))
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

io_source_type!(UnixDatagram, net::UnixDatagram);

impl From<UnixDatagram> for net::UnixDatagram {
    fn from(socket: UnixDatagram) -> net::UnixDatagram {
        socket.inner.into_inner()
    }
}
