use std::io;
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking UDP socket.
///
/// Sends and receives return `WouldBlock` instead of waiting; register for
/// [`Interest::READABLE`](crate::Interest::READABLE) to learn when datagrams arrive, and receive
/// until `WouldBlock` after each event.
///
/// # Examples
///
/// ```
/// use std::io::ErrorKind;
/// use std::time::Duration;
/// use minimio::net::UdpSocket;
/// use minimio::{Events, Interest, Poll, Token};
///
/// let mut receiver = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// let sender = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
///
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
/// sender.send_to(b"datagram", receiver.local_addr()?)?;
///
/// let mut events = Events::with_capacity(8);
/// let mut buf = [0; 64];
/// loop {
///     poll.poll(&mut events, Some(Duration::from_secs(10)))?;
///     match receiver.recv_from(&mut buf) {
///         Ok((n, from)) => {
///             assert_eq!(&buf[..n], b"datagram");
///             assert_eq!(from, sender.local_addr()?);
///             break;
///         }
///         Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    inner: IoSource<net::UdpSocket>,
}

impl UdpSocket {
    /// Creates a socket bound to `addr` (port 0 lets the OS choose).
    ///
    /// # Errors
    ///
    /// `AddrInUse`, `AddrNotAvailable` or `PermissionDenied`, as the kernel reports them.
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        sys::net::udp_bind(&addr).map(UdpSocket::from_std)
    }

    /// Wraps a socket from `std`. It must already be in non-blocking mode.
    pub fn from_std(socket: net::UdpSocket) -> UdpSocket {
        UdpSocket {
            inner: IoSource::new(socket),
        }
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The address given to [`connect`](UdpSocket::connect); `NotConnected` if none was.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Sends one datagram to `target`. `WouldBlock` if the send buffer is full.
    pub fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.inner.do_io(|socket| socket.send_to(buf, target))
    }

    /// Receives one datagram and its sender. A datagram longer than `buf` is truncated.
    /// `WouldBlock` if none is waiting.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_io(|socket| socket.recv_from(buf))
    }

    /// Like [`recv_from`](UdpSocket::recv_from), but leaves the datagram in the queue.
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_io(|socket| socket.peek_from(buf))
    }

    /// Sends one datagram to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_io(|socket| socket.send(buf))
    }

    /// Receives one datagram from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io(|socket| socket.recv(buf))
    }

    /// Like [`recv`](UdpSocket::recv), but leaves the datagram in the queue.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io(|socket| socket.peek(buf))
    }

    /// Sets the default destination for [`send`](UdpSocket::send) and the only source
    /// [`recv`](UdpSocket::recv) accepts datagrams from. Completes at once.
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.connect(addr)
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.set_broadcast(on)
    }

    /// Reads `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.broadcast()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v4(on)
    }

    /// Reads `IP_MULTICAST_LOOP`.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_multicast_ttl_v4(ttl)
    }

    /// Reads `IP_MULTICAST_TTL`.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.inner.multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v6(on)
    }

    /// Reads `IPV6_MULTICAST_LOOP`.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v6()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Joins an IPv4 multicast group on the interface with address `interface`
    /// (`0.0.0.0` lets the OS choose).
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.join_multicast_v4(multiaddr, interface)
    }

    /// Joins an IPv6 multicast group on the interface with index `interface` (0: any).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.leave_multicast_v4(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.leave_multicast_v6(multiaddr, interface)
    }

    /// Reads `IPV6_V6ONLY` (an error on IPv4 sockets).
    pub fn only_v6(&self) -> io::Result<bool> {
        sys::net::only_v6(&*self.inner)
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error(|socket| socket.take_error())
    }

    /// Runs an I/O call of the caller's own on this socket; see [`TcpStream::try_io`](crate::net::TcpStream::try_io).
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

io_source_type!(UdpSocket, net::UdpSocket);

impl From<UdpSocket> for net::UdpSocket {
    fn from(socket: UdpSocket) -> net::UdpSocket {
        socket.inner.into_inner()
    }
}
