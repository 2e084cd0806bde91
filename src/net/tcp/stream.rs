use std::io;
use std::net::{self, Shutdown, SocketAddr};

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking TCP connection.
///
/// [`connect`](TcpStream::connect) returns at once, before the connection is made. Register the
/// stream for [`Interest::WRITABLE`](crate::Interest::WRITABLE): the writable event says the
/// attempt has finished. Then check it: [`take_error`](TcpStream::take_error) returns the error
/// of a failed attempt (for example `ConnectionRefused`), and [`peer_addr`](TcpStream::peer_addr)
/// succeeds once connected.
///
/// Reading and writing go through [`Read`](std::io::Read) and [`Write`](std::io::Write), also on `&TcpStream`, so one thread can
/// read while another writes.
///
/// # Examples
///
/// ```
/// use std::io::{ErrorKind, Read, Write};
/// use std::time::Duration;
/// use minimio::net::TcpStream;
/// use minimio::{Events, Interest, Poll, Token};
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let mut stream = TcpStream::connect(server.local_addr()?)?;
/// let (mut peer, _) = server.accept()?;
///
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut stream, Token(0), Interest::READABLE)?;
/// peer.write_all(b"hello")?;
///
/// let mut events = Events::with_capacity(8);
/// let mut received = Vec::new();
/// while received.len() < 5 {
///     poll.poll(&mut events, Some(Duration::from_secs(10)))?;
///     let mut buf = [0; 32];
///     loop {
///         match stream.read(&mut buf) {
///             Ok(0) => break,
///             Ok(n) => received.extend_from_slice(&buf[..n]),
///             Err(e) if e.kind() == ErrorKind::WouldBlock => break,
///             Err(e) => return Err(e),
///         }
///     }
/// }
/// assert_eq!(received, b"hello");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    inner: IoSource<net::TcpStream>,
}

impl TcpStream {
    /// Starts connecting to `addr` and returns without waiting; see the type's docs for how to
    /// learn the outcome.
    ///
    /// # Errors
    ///
    /// Only errors the kernel reports at once (no such route, out of file descriptors); a
    /// refused or timed-out connection is reported later, through an event and
    /// [`take_error`](TcpStream::take_error).
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        sys::net::tcp_connect(&addr).map(TcpStream::from_std)
    }

    /// Wraps a stream from `std`. It must already be in non-blocking mode.
    pub fn from_std(stream: net::TcpStream) -> TcpStream {
        TcpStream {
            inner: IoSource::new(stream),
        }
    }

    /// The remote address. `NotConnected` while the connection is still being made (or after
    /// it failed).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Shuts down the reading half, the writing half, or both. Shutting down writing sends FIN:
    /// the peer reads its remaining bytes, then end of stream.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it. After a writable or error event
    /// on a connecting stream, `Some(error)` means the connection failed.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error(|socket| socket.take_error())
    }

    /// Reads without removing the bytes from the receive queue. `WouldBlock` if there are none.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io(|stream| stream.peek(buf))
    }

    /// Runs an I/O call of the caller's own on this socket (through its fd, for example a
    /// `sendmsg` with options std lacks) so that minimio sees its outcome.
    ///
    /// `f` must be a single non-blocking call on this socket that returns `WouldBlock` when the
    /// socket is not ready: on platforms that emulate edge triggering, that result is what re-arms
    /// the source.
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

io_source_type!(TcpStream, net::TcpStream);
read_through_do_io!(TcpStream);
write_through_do_io!(TcpStream);

impl From<TcpStream> for net::TcpStream {
    fn from(stream: TcpStream) -> net::TcpStream {
        stream.inner.into_inner()
    }
}
