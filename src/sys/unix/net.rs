//! Internet sockets, created the way an event loop needs them.
//!
//! Every socket is born non-blocking and close-on-exec in the same system call that creates it
//! (`SOCK_NONBLOCK | SOCK_CLOEXEC` for `socket`, the same flags for `accept4`), so there is no
//! window in which a blocking call could hang the loop or a concurrent `fork`+`exec` could leak
//! the fd into a child. Darwin alone lacks those flags: there the socket is switched right after
//! it is made, and also given `SO_NOSIGPIPE`, its only way to keep a write to a closed peer from
//! raising SIGPIPE. Once created, sockets are handed to the `std::net` types, which do the
//! reading and writing: those calls behave the same on a non-blocking socket.

use std::io;
use std::mem::{size_of, MaybeUninit};
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

use crate::sys::unix::{ffi, syscall};

/// The backlog given to `listen`; the kernel caps it at `net.core.somaxconn`.
const LISTEN_BACKLOG: ffi::c_int = 1024;

/// The type flags that make a socket non-blocking and close-on-exec as it is created.
#[cfg(not(minimio_apple))]
const NEW_SOCKET_FLAGS: ffi::c_int = ffi::SOCK_NONBLOCK | ffi::SOCK_CLOEXEC;
/// Darwin has no such flags; see [`finish_socket`].
#[cfg(minimio_apple)]
const NEW_SOCKET_FLAGS: ffi::c_int = 0;

/// What is left to do once the kernel has made a socket: nothing where the creation flags
/// exist; on Darwin, close-on-exec, non-blocking and `SO_NOSIGPIPE`.
#[cfg(not(minimio_apple))]
fn finish_socket(_: &OwnedFd) -> io::Result<()> {
    Ok(())
}

#[cfg(minimio_apple)]
fn finish_socket(socket: &OwnedFd) -> io::Result<()> {
    crate::sys::unix::set_cloexec_nonblocking(socket.as_raw_fd())?;
    set_int_option(socket.as_raw_fd(), ffi::SOL_SOCKET, ffi::SO_NOSIGPIPE, 1)
}

/// `socket(domain, ty | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)`.
pub(crate) fn new_socket(domain: ffi::c_int, ty: ffi::c_int) -> io::Result<OwnedFd> {
    // SAFETY: socket takes no pointers; a non-negative result is a new fd we now own.
    let fd = syscall(unsafe { ffi::socket(domain, ty | NEW_SOCKET_FLAGS, 0) })?;
    // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    finish_socket(&socket)?;
    Ok(socket)
}

/// `socketpair(AF_UNIX, ty | SOCK_NONBLOCK | SOCK_CLOEXEC)`: two connected ends.
pub(crate) fn new_socket_pair(ty: ffi::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two fds socketpair writes.
    syscall(unsafe { ffi::socketpair(ffi::AF_UNIX, ty | NEW_SOCKET_FLAGS, 0, fds.as_mut_ptr()) })?;
    // SAFETY: both fds were just returned by the kernel and nothing else owns them.
    let pair = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    finish_socket(&pair.0)?;
    finish_socket(&pair.1)?;
    Ok(pair)
}

/// A socket address in the C layout the kernel expects, with its length.
#[repr(C)]
pub(crate) union RawSocketAddr {
    v4: ffi::sockaddr_in,
    v6: ffi::sockaddr_in6,
}

impl RawSocketAddr {
    pub(crate) fn new(addr: &SocketAddr) -> (RawSocketAddr, ffi::socklen_t) {
        match addr {
            SocketAddr::V4(addr) => {
                let v4 = ffi::sockaddr_in {
                    #[cfg(not(minimio_linux))]
                    sin_len: size_of::<ffi::sockaddr_in>() as u8,
                    sin_family: ffi::AF_INET as ffi::sa_family_t,
                    sin_port: addr.port().to_be(),
                    sin_addr: ffi::in_addr {
                        s_addr: u32::from_ne_bytes(addr.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                (
                    RawSocketAddr { v4 },
                    size_of::<ffi::sockaddr_in>() as ffi::socklen_t,
                )
            }
            SocketAddr::V6(addr) => {
                let v6 = ffi::sockaddr_in6 {
                    #[cfg(not(minimio_linux))]
                    sin6_len: size_of::<ffi::sockaddr_in6>() as u8,
                    sin6_family: ffi::AF_INET6 as ffi::sa_family_t,
                    sin6_port: addr.port().to_be(),
                    sin6_flowinfo: addr.flowinfo(),
                    sin6_addr: ffi::in6_addr {
                        s6_addr: addr.ip().octets(),
                    },
                    sin6_scope_id: addr.scope_id(),
                };
                (
                    RawSocketAddr { v6 },
                    size_of::<ffi::sockaddr_in6>() as ffi::socklen_t,
                )
            }
        }
    }

    pub(crate) fn as_ptr(&self) -> *const ffi::sockaddr {
        (self as *const RawSocketAddr).cast()
    }
}

/// Reads back the IPv4 or IPv6 address the kernel wrote into the first `len` bytes of
/// `storage`. Only those bytes are read, so the storage need not be initialised beforehand
/// (zeroing its 128 bytes on every accept would cost more than the rest of this function).
#[inline]
fn socket_addr_from_storage(
    storage: &MaybeUninit<ffi::sockaddr_storage>,
    len: ffi::socklen_t,
) -> io::Result<SocketAddr> {
    let len = len as usize;
    let base = storage.as_ptr();
    // The smallest address read here is a sockaddr_in, and its family field lies within it.
    if len < size_of::<ffi::sockaddr_in>() {
        return Err(not_an_ip_address());
    }
    // SAFETY: the family field lies within the first `len` bytes, which the kernel wrote.
    let family = ffi::c_int::from(unsafe { ptr::addr_of!((*base).ss_family).read() });
    if family == ffi::AF_INET {
        // SAFETY: the kernel wrote an AF_INET address of at least `size_of::<sockaddr_in>()`
        // bytes (checked above); the storage is at least as aligned as a sockaddr_in, and every
        // bit pattern of its fields is a valid value.
        let v4 = unsafe { base.cast::<ffi::sockaddr_in>().read() };
        let ip = Ipv4Addr::from(v4.sin_addr.s_addr.to_ne_bytes());
        Ok(SocketAddr::V4(SocketAddrV4::new(
            ip,
            u16::from_be(v4.sin_port),
        )))
    } else if family == ffi::AF_INET6 && len >= size_of::<ffi::sockaddr_in6>() {
        // SAFETY: as above, for an AF_INET6 address and sockaddr_in6, whose size was checked.
        let v6 = unsafe { base.cast::<ffi::sockaddr_in6>().read() };
        let ip = Ipv6Addr::from(v6.sin6_addr.s6_addr);
        let port = u16::from_be(v6.sin6_port);
        Ok(SocketAddr::V6(SocketAddrV6::new(
            ip,
            port,
            v6.sin6_flowinfo,
            v6.sin6_scope_id,
        )))
    } else {
        Err(not_an_ip_address())
    }
}

#[cold]
fn not_an_ip_address() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the kernel returned an address that is not IPv4 or IPv6",
    )
}

fn domain_of(addr: &SocketAddr) -> ffi::c_int {
    match addr {
        SocketAddr::V4(_) => ffi::AF_INET,
        SocketAddr::V6(_) => ffi::AF_INET6,
    }
}

/// `bind(2)` of `fd` to `addr`.
pub(crate) fn bind(fd: RawFd, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = RawSocketAddr::new(addr);
    // SAFETY: `raw` is a valid address of `len` bytes that lives across the call.
    syscall(unsafe { ffi::bind(fd, raw.as_ptr(), len) }).map(drop)
}

/// Reads an integer socket option.
fn get_int_option(fd: RawFd, level: ffi::c_int, name: ffi::c_int) -> io::Result<ffi::c_int> {
    let mut value: ffi::c_int = 0;
    let mut len = size_of::<ffi::c_int>() as ffi::socklen_t;
    // SAFETY: `value` and `len` are valid for writes and `len` holds the size of `value`.
    syscall(unsafe {
        ffi::getsockopt(
            fd,
            level,
            name,
            (&mut value as *mut ffi::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// Sets an integer socket option.
fn set_int_option(
    fd: RawFd,
    level: ffi::c_int,
    name: ffi::c_int,
    value: ffi::c_int,
) -> io::Result<()> {
    // SAFETY: the option value points at a c_int that lives across the call, with its size.
    syscall(unsafe {
        ffi::setsockopt(
            fd,
            level,
            name,
            (&value as *const ffi::c_int).cast(),
            size_of::<ffi::c_int>() as ffi::socklen_t,
        )
    })
    .map(drop)
}

/// `IPV6_V6ONLY`: whether an IPv6 socket refuses IPv4-mapped traffic.
pub(crate) fn only_v6(socket: &impl AsRawFd) -> io::Result<bool> {
    get_int_option(socket.as_raw_fd(), ffi::IPPROTO_IPV6, ffi::IPV6_V6ONLY).map(|v| v != 0)
}

/// A TCP listener: `socket`, `SO_REUSEADDR` (so a restarted server can bind while old
/// connections linger in TIME_WAIT), `bind`, `listen`.
pub(crate) fn tcp_bind(addr: &SocketAddr) -> io::Result<net::TcpListener> {
    let socket = new_socket(domain_of(addr), ffi::SOCK_STREAM)?;
    set_int_option(socket.as_raw_fd(), ffi::SOL_SOCKET, ffi::SO_REUSEADDR, 1)?;
    bind(socket.as_raw_fd(), addr)?;
    // SAFETY: listen takes no pointers.
    syscall(unsafe { ffi::listen(socket.as_raw_fd(), LISTEN_BACKLOG) })?;
    Ok(net::TcpListener::from(socket))
}

/// Starts connecting a new non-blocking TCP socket to `addr`. The connection completes (or
/// fails) later, which the poller reports as writable (or as an error).
pub(crate) fn tcp_connect(addr: &SocketAddr) -> io::Result<net::TcpStream> {
    let socket = new_socket(domain_of(addr), ffi::SOCK_STREAM)?;
    connect(socket.as_raw_fd(), RawSocketAddr::new(addr))?;
    Ok(net::TcpStream::from(socket))
}

/// `connect(2)`, where "in progress" is success for a non-blocking socket.
pub(crate) fn connect(fd: RawFd, (raw, len): (RawSocketAddr, ffi::socklen_t)) -> io::Result<()> {
    // SAFETY: `raw` is a valid address of `len` bytes that lives across the call.
    match syscall(unsafe { ffi::connect(fd, raw.as_ptr(), len) }) {
        Ok(_) => Ok(()),
        Err(err) if err.raw_os_error() == Some(ffi::EINPROGRESS) => Ok(()),
        Err(err) => Err(err),
    }
}

/// Accepts one pending connection as a non-blocking, close-on-exec socket.
#[inline]
pub(crate) fn tcp_accept(listener: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    let mut storage = MaybeUninit::<ffi::sockaddr_storage>::uninit();
    let mut len = size_of::<ffi::sockaddr_storage>() as ffi::socklen_t;
    let stream = accept(listener.as_raw_fd(), storage.as_mut_ptr().cast(), &mut len)?;
    let addr = socket_addr_from_storage(&storage, len)?;
    Ok((net::TcpStream::from(stream), addr))
}

/// `accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC)`; on Darwin `accept`, then the flags.
#[inline]
pub(crate) fn accept(
    fd: RawFd,
    addr: *mut ffi::sockaddr,
    len: &mut ffi::socklen_t,
) -> io::Result<OwnedFd> {
    // SAFETY: `addr` points at `*len` writable bytes (the callers pass their own storage) and
    // `len` is a valid in/out length.
    #[cfg(not(minimio_apple))]
    let fd = syscall(unsafe { ffi::accept4(fd, addr, len, NEW_SOCKET_FLAGS) })?;
    // SAFETY: as above.
    #[cfg(minimio_apple)]
    let fd = syscall(unsafe { ffi::accept(fd, addr, len) })?;
    // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    finish_socket(&socket)?;
    Ok(socket)
}

/// A UDP socket bound to `addr`.
pub(crate) fn udp_bind(addr: &SocketAddr) -> io::Result<net::UdpSocket> {
    let socket = new_socket(domain_of(addr), ffi::SOCK_DGRAM)?;
    bind(socket.as_raw_fd(), addr)?;
    Ok(net::UdpSocket::from(socket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_survive_the_round_trip_through_c_layout() {
        let addrs: [SocketAddr; 3] = [
            "127.0.0.1:8080".parse().unwrap(),
            "[::1]:443".parse().unwrap(),
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 9, 7, 3)),
        ];
        for addr in addrs {
            let (raw, len) = RawSocketAddr::new(&addr);
            let mut storage = MaybeUninit::<ffi::sockaddr_storage>::uninit();
            // SAFETY: both regions are valid for `len` bytes and do not overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    raw.as_ptr().cast::<u8>(),
                    storage.as_mut_ptr().cast::<u8>(),
                    len as usize,
                );
            }
            let back = socket_addr_from_storage(&storage, len).unwrap();
            assert_eq!(back, addr);
            // Fewer bytes than the family needs are refused, never read past.
            let short = socket_addr_from_storage(&storage, len - 1);
            assert_eq!(short.unwrap_err().kind(), io::ErrorKind::InvalidData);
        }
    }
}
