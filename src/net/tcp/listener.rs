use std::io;
use std::net::{self, SocketAddr};

use crate::io_source::IoSource;
use crate::net::TcpStream;
use crate::sys;

/// A non-blocking TCP listening socket.
///
/// Register it for [`Interest::READABLE`](crate::Interest::READABLE); a readable event means one
/// or more connections are waiting. Call [`accept`](TcpListener::accept) until it returns
/// `WouldBlock`.
///
/// # Examples
///
/// ```
/// use std::io::ErrorKind;
/// use std::time::Duration;
/// use minimio::net::TcpListener;
/// use minimio::{Events, Interest, Poll, Token};
///
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
///
/// let _client = std::net::TcpStream::connect(listener.local_addr()?)?;
///
/// let mut events = Events::with_capacity(8);
/// let mut accepted = 0;
/// while accepted == 0 {
///     poll.poll(&mut events, Some(Duration::from_secs(10)))?;
///     for _ in events.iter() {
///         loop {
///             match listener.accept() {
///                 Ok((_stream, _peer)) => accepted += 1,
///                 Err(e) if e.kind() == ErrorKind::WouldBlock => break,
///                 Err(e) => return Err(e),
///             }
///         }
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    inner: IoSource<net::TcpListener>,
}

impl TcpListener {
    /// Binds a new listener to `addr` and starts listening (backlog 1024).
    ///
    /// On Unix `SO_REUSEADDR` is set, so a restarted server can bind its port while connections
    /// of the previous run are still in TIME_WAIT. On Windows it is not (there it would let
    /// another socket take over a port in use). Use port 0 to let the OS choose a free port.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if another socket listens there, `AddrNotAvailable` if the address is not
    /// local, `PermissionDenied` for privileged ports.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        sys::net::tcp_bind(&addr).map(TcpListener::from_std)
    }

    /// Wraps a listener from `std`. It must already be in non-blocking mode.
    pub fn from_std(listener: net::TcpListener) -> TcpListener {
        TcpListener {
            inner: IoSource::new(listener),
        }
    }

    /// Accepts one pending connection, as a non-blocking [`TcpStream`] that is close-on-exec
    /// (on Windows: not inherited by child processes).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no connection is waiting. Running out of file descriptors (`EMFILE`)
    /// is reported as an error and leaves the connection queued, so keep serving and try
    /// again once descriptors are freed.
    #[inline]
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.inner.do_io(|listener| {
            sys::net::tcp_accept(listener).map(|(stream, addr)| (TcpStream::from_std(stream), addr))
        })
    }

    /// The address the listener is bound to (with the real port if it was bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Sets `IP_TTL` for connections accepted from now on.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error(|socket| socket.take_error())
    }
}

io_source_type!(TcpListener, net::TcpListener);

impl From<TcpListener> for net::TcpListener {
    fn from(listener: TcpListener) -> net::TcpListener {
        listener.inner.into_inner()
    }
}
