//! Internet sockets, created the way an event loop needs them.
//!
//! `WSASocketW` creates each socket with `WSA_FLAG_OVERLAPPED` (so it may take part in
//! overlapped I/O) and `WSA_FLAG_NO_HANDLE_INHERIT` (so a child process started concurrently
//! does not inherit it), and `ioctlsocket(FIONBIO)` makes it non-blocking before anyone sees
//! it. Winsock sets no such mode at creation, so there is a moment in which the socket blocks,
//! but nobody holds it then. Once created, sockets are handed to the `std::net` types, which do
//! the reading and writing.

use std::io;
use std::mem::size_of;
use std::net::{self, SocketAddr};
use std::os::windows::io::{AsRawSocket, FromRawSocket, OwnedSocket, RawSocket};
use std::ptr;
use std::sync::Once;

use super::{ffi, socket_error};

/// The backlog given to `listen`.
const LISTEN_BACKLOG: i32 = 1024;

/// `WSAStartup`, once per process, before the first socket. Winsock counts these calls; the
/// matching `WSACleanup` is never made, as the process may use sockets until it exits (std
/// does the same).
fn init_winsock() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let mut data = std::mem::MaybeUninit::<ffi::WSADATA>::zeroed();
        // SAFETY: `data` is writable storage of the right size for the call to fill in. A
        // failure here shows up as WSANOTINITIALISED from the first socket call, which is
        // reported there.
        let _ = unsafe { ffi::WSAStartup(ffi::WINSOCK_VERSION_2_2, data.as_mut_ptr()) };
    });
}

/// A new non-blocking, non-inheritable socket of `family` and `ty`.
fn new_socket(family: i32, ty: i32) -> io::Result<OwnedSocket> {
    init_winsock();
    let flags = ffi::WSA_FLAG_OVERLAPPED | ffi::WSA_FLAG_NO_HANDLE_INHERIT;
    // SAFETY: no protocol-info pointer is passed; the call takes plain values.
    let socket = unsafe { ffi::WSASocketW(family, ty, 0, ptr::null(), 0, flags) };
    if socket == ffi::INVALID_SOCKET {
        return Err(socket_error());
    }
    // SAFETY: `socket` was just created and nothing else owns it.
    let socket = unsafe { OwnedSocket::from_raw_socket(socket as RawSocket) };
    set_nonblocking(&socket)?;
    Ok(socket)
}

/// `ioctlsocket(FIONBIO, 1)`.
fn set_nonblocking(socket: &impl AsRawSocket) -> io::Result<()> {
    let mut nonblocking: u32 = 1;
    // SAFETY: the argument points at a live u32 for the duration of the call.
    let result = unsafe {
        ffi::ioctlsocket(
            socket.as_raw_socket() as ffi::SOCKET,
            ffi::FIONBIO,
            &mut nonblocking,
        )
    };
    if result == ffi::SOCKET_ERROR {
        return Err(socket_error());
    }
    Ok(())
}

/// A socket address in the C layout Winsock expects, with its length.
#[repr(C)]
union RawSocketAddr {
    v4: ffi::SOCKADDR_IN,
    v6: ffi::SOCKADDR_IN6,
}

impl RawSocketAddr {
    fn new(addr: &SocketAddr) -> (RawSocketAddr, i32) {
        match addr {
            SocketAddr::V4(addr) => {
                let v4 = ffi::SOCKADDR_IN {
                    sin_family: ffi::AF_INET as u16,
                    sin_port: addr.port().to_be(),
                    sin_addr: ffi::IN_ADDR {
                        S_addr: u32::from_ne_bytes(addr.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                (RawSocketAddr { v4 }, size_of::<ffi::SOCKADDR_IN>() as i32)
            }
            SocketAddr::V6(addr) => {
                let v6 = ffi::SOCKADDR_IN6 {
                    sin6_family: ffi::AF_INET6 as u16,
                    sin6_port: addr.port().to_be(),
                    sin6_flowinfo: addr.flowinfo(),
                    sin6_addr: ffi::IN6_ADDR {
                        Byte: addr.ip().octets(),
                    },
                    sin6_scope_id: addr.scope_id(),
                };
                (RawSocketAddr { v6 }, size_of::<ffi::SOCKADDR_IN6>() as i32)
            }
        }
    }

    fn as_ptr(&self) -> *const ffi::SOCKADDR {
        (self as *const RawSocketAddr).cast()
    }
}

fn family_of(addr: &SocketAddr) -> i32 {
    match addr {
        SocketAddr::V4(_) => ffi::AF_INET,
        SocketAddr::V6(_) => ffi::AF_INET6,
    }
}

fn bind(socket: &OwnedSocket, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = RawSocketAddr::new(addr);
    // SAFETY: `raw` is a valid address of `len` bytes that lives across the call.
    let result = unsafe { ffi::bind(socket.as_raw_socket() as ffi::SOCKET, raw.as_ptr(), len) };
    if result == ffi::SOCKET_ERROR {
        return Err(socket_error());
    }
    Ok(())
}

/// `IPV6_V6ONLY`: whether an IPv6 socket refuses IPv4-mapped traffic.
pub(crate) fn only_v6(socket: &impl AsRawSocket) -> io::Result<bool> {
    let mut value: u32 = 0;
    let mut len = size_of::<u32>() as i32;
    // SAFETY: `value` and `len` are valid for writes and `len` holds the size of `value`.
    let result = unsafe {
        ffi::getsockopt(
            socket.as_raw_socket() as ffi::SOCKET,
            ffi::IPPROTO_IPV6,
            ffi::IPV6_V6ONLY,
            (&mut value as *mut u32).cast(),
            &mut len,
        )
    };
    if result == ffi::SOCKET_ERROR {
        return Err(socket_error());
    }
    Ok(value != 0)
}

/// A TCP listener: socket, `bind`, `listen`. Unlike on Unix, `SO_REUSEADDR` is not set: on
/// Windows it would let another socket bind the same port while this one listens.
pub(crate) fn tcp_bind(addr: &SocketAddr) -> io::Result<net::TcpListener> {
    let socket = new_socket(family_of(addr), ffi::SOCK_STREAM)?;
    bind(&socket, addr)?;
    // SAFETY: listen takes no pointers.
    let result = unsafe { ffi::listen(socket.as_raw_socket() as ffi::SOCKET, LISTEN_BACKLOG) };
    if result == ffi::SOCKET_ERROR {
        return Err(socket_error());
    }
    Ok(net::TcpListener::from(socket))
}

/// Starts connecting a new non-blocking TCP socket to `addr`. The connection completes (or
/// fails) later, which the poller reports as writable (or as an error).
pub(crate) fn tcp_connect(addr: &SocketAddr) -> io::Result<net::TcpStream> {
    let socket = new_socket(family_of(addr), ffi::SOCK_STREAM)?;
    let (raw, len) = RawSocketAddr::new(addr);
    // SAFETY: `raw` is a valid address of `len` bytes that lives across the call.
    let result = unsafe { ffi::connect(socket.as_raw_socket() as ffi::SOCKET, raw.as_ptr(), len) };
    if result == ffi::SOCKET_ERROR {
        let err = socket_error();
        // A non-blocking connect reports "would block" for "in progress".
        if err.raw_os_error() != Some(ffi::WSAEWOULDBLOCK) {
            return Err(err);
        }
    }
    Ok(net::TcpStream::from(socket))
}

/// Accepts one pending connection. `accept` gives the new socket the listener's properties, but
/// minimio does not rely on that: the socket is made non-blocking and non-inheritable here.
pub(crate) fn tcp_accept(listener: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    let (stream, addr) = listener.accept()?;
    set_nonblocking(&stream)?;
    // SAFETY: the socket handle is open (owned by `stream`); the call takes no pointers.
    let ok = unsafe {
        ffi::SetHandleInformation(
            stream.as_raw_socket() as ffi::HANDLE,
            ffi::HANDLE_FLAG_INHERIT,
            0,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((stream, addr))
}

/// A UDP socket bound to `addr`.
pub(crate) fn udp_bind(addr: &SocketAddr) -> io::Result<net::UdpSocket> {
    let socket = new_socket(family_of(addr), ffi::SOCK_DGRAM)?;
    bind(&socket, addr)?;
    Ok(net::UdpSocket::from(socket))
}
