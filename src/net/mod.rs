//! Non-blocking sockets that can be registered with a [`Poll`](crate::Poll).
//!
//! Each type wraps its `std::net` / `std::os::unix::net` counterpart, created non-blocking and
//! close-on-exec in one system call. Reads, writes, sends and receives never block: when the
//! kernel has nothing to give or no room to take, they return
//! [`WouldBlock`](std::io::ErrorKind::WouldBlock), and an event will say when to try again.
//!
//! The `from_std` constructors take a socket as it is: put it in non-blocking mode first
//! (`set_nonblocking(true)`), or a read on it will block the event loop.

mod tcp;
mod udp;
#[cfg(unix)]
mod uds;

pub use self::tcp::{TcpListener, TcpStream};
pub use self::udp::UdpSocket;
#[cfg(unix)]
pub use self::uds::{UnixDatagram, UnixListener, UnixStream};
