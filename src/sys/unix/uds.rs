//! Unix-domain sockets, born non-blocking and close-on-exec like the internet ones.
//!
//! A Unix socket address is a `sockaddr_un` that holds one of three things: a filesystem path
//! (NUL-terminated), an abstract name on Linux (a leading NUL byte, then any bytes, with the
//! length saying where it ends), or nothing at all for an unnamed socket. `std` can describe all
//! three but cannot hand us the C form, so the conversion is done here.

use std::io;
use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, OwnedFd};
#[cfg(minimio_linux)]
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::sys::unix::net::{accept, new_socket, new_socket_pair};
use crate::sys::unix::{ffi, syscall};

/// Where `sun_path` starts: the length of an address with an empty path.
const PATH_OFFSET: usize = offset_of!(ffi::sockaddr_un, sun_path);

/// How many bytes `sun_path` holds: 108 on Linux, 104 on the BSDs.
const PATH_CAPACITY: usize = size_of::<ffi::sockaddr_un>() - PATH_OFFSET;

/// A Unix-domain address with an empty path.
fn empty_raw() -> ffi::sockaddr_un {
    ffi::sockaddr_un {
        #[cfg(not(minimio_linux))]
        sun_len: 0,
        sun_family: ffi::AF_UNIX as ffi::sa_family_t,
        sun_path: [0; PATH_CAPACITY],
    }
}

/// The C form of a path address. The path must fit with its terminating NUL and hold no NUL.
fn raw_from_path(path: &Path) -> io::Result<(ffi::sockaddr_un, ffi::socklen_t)> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a Unix socket path must not contain NUL bytes",
        ));
    }
    raw_with_name(bytes, 1)
}

/// A `sockaddr_un` whose `sun_path` starts with `name` followed by `trailing_nuls` zero bytes
/// counted in the length (1 for a path, 0 for an abstract name, which carries its own NUL first).
fn raw_with_name(
    name: &[u8],
    trailing_nuls: usize,
) -> io::Result<(ffi::sockaddr_un, ffi::socklen_t)> {
    let mut raw = empty_raw();
    if name.len() + trailing_nuls > PATH_CAPACITY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "Unix socket address is longer than the {PATH_CAPACITY} bytes sockaddr_un can hold"
            ),
        ));
    }
    raw.sun_path[..name.len()].copy_from_slice(name);
    let len = PATH_OFFSET + name.len() + trailing_nuls;
    #[cfg(not(minimio_linux))]
    {
        raw.sun_len = len as u8;
    }
    Ok((raw, len as ffi::socklen_t))
}

/// The C form of a `std` Unix socket address.
fn raw_from_addr(addr: &SocketAddr) -> io::Result<(ffi::sockaddr_un, ffi::socklen_t)> {
    if let Some(path) = addr.as_pathname() {
        return raw_from_path(path);
    }
    #[cfg(minimio_linux)]
    if let Some(name) = addr.as_abstract_name() {
        let mut with_marker = Vec::with_capacity(name.len() + 1);
        with_marker.push(0);
        with_marker.extend_from_slice(name);
        return raw_with_name(&with_marker, 0);
    }
    // Unnamed: only the header (the family, and on the BSDs the length). Binding it asks Linux
    // to pick an abstract name ("autobind").
    raw_with_name(&[], 0)
}

/// Reads back an address the kernel wrote, given the length it reported.
fn addr_from_raw(raw: &ffi::sockaddr_un, len: ffi::socklen_t) -> io::Result<Option<SocketAddr>> {
    let name_len = (len as usize)
        .saturating_sub(PATH_OFFSET)
        .min(raw.sun_path.len());
    let name = &raw.sun_path[..name_len];
    match name.first() {
        None => Ok(None),
        #[cfg(minimio_linux)]
        Some(0) => SocketAddr::from_abstract_name(&name[1..]).map(Some),
        Some(_) => {
            let path = name.split(|&b| b == 0).next().unwrap_or_default();
            SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(path)).map(Some)
        }
    }
}

fn bound_socket(ty: ffi::c_int, addr: (ffi::sockaddr_un, ffi::socklen_t)) -> io::Result<OwnedFd> {
    let socket = new_socket(ffi::AF_UNIX, ty)?;
    let (raw, len) = addr;
    // SAFETY: `raw` is a valid sockaddr_un of which the first `len` bytes are meaningful.
    syscall(unsafe {
        ffi::bind(
            socket.as_raw_fd(),
            (&raw as *const ffi::sockaddr_un).cast(),
            len,
        )
    })?;
    Ok(socket)
}

pub(crate) fn listener_bind(path: &Path) -> io::Result<net::UnixListener> {
    listener_from(bound_socket(ffi::SOCK_STREAM, raw_from_path(path)?)?)
}

pub(crate) fn listener_bind_addr(addr: &SocketAddr) -> io::Result<net::UnixListener> {
    listener_from(bound_socket(ffi::SOCK_STREAM, raw_from_addr(addr)?)?)
}

fn listener_from(socket: OwnedFd) -> io::Result<net::UnixListener> {
    // SAFETY: listen takes no pointers.
    syscall(unsafe { ffi::listen(socket.as_raw_fd(), 1024) })?;
    Ok(net::UnixListener::from(socket))
}

/// Accepts one connection. A client that never bound has no name, and std offers no way to
/// build an unnamed address, so that case asks the new socket for its peer's (unnamed) address.
pub(crate) fn listener_accept(
    listener: &net::UnixListener,
) -> io::Result<(net::UnixStream, SocketAddr)> {
    let mut raw = empty_raw();
    let mut len = size_of::<ffi::sockaddr_un>() as ffi::socklen_t;
    let fd = accept(
        listener.as_raw_fd(),
        (&mut raw as *mut ffi::sockaddr_un).cast(),
        &mut len,
    )?;
    let stream = net::UnixStream::from(fd);
    let addr = match addr_from_raw(&raw, len)? {
        Some(addr) => addr,
        None => stream.peer_addr()?,
    };
    Ok((stream, addr))
}

pub(crate) fn stream_connect(path: &Path) -> io::Result<net::UnixStream> {
    stream_connect_raw(raw_from_path(path)?)
}

pub(crate) fn stream_connect_addr(addr: &SocketAddr) -> io::Result<net::UnixStream> {
    stream_connect_raw(raw_from_addr(addr)?)
}

/// Connects a new socket. Unlike TCP, a Unix connect either completes at once or fails at once
/// (`EAGAIN` when the listener's backlog is full, reported as `WouldBlock`).
fn stream_connect_raw(
    (raw, len): (ffi::sockaddr_un, ffi::socklen_t),
) -> io::Result<net::UnixStream> {
    let socket = new_socket(ffi::AF_UNIX, ffi::SOCK_STREAM)?;
    // SAFETY: `raw` is a valid sockaddr_un of which the first `len` bytes are meaningful.
    match syscall(unsafe {
        ffi::connect(
            socket.as_raw_fd(),
            (&raw as *const ffi::sockaddr_un).cast(),
            len,
        )
    }) {
        Ok(_) => Ok(net::UnixStream::from(socket)),
        Err(err) if err.raw_os_error() == Some(ffi::EINPROGRESS) => {
            Ok(net::UnixStream::from(socket))
        }
        Err(err) => Err(err),
    }
}

pub(crate) fn stream_pair() -> io::Result<(net::UnixStream, net::UnixStream)> {
    let (a, b) = new_socket_pair(ffi::SOCK_STREAM)?;
    Ok((net::UnixStream::from(a), net::UnixStream::from(b)))
}

pub(crate) fn datagram_bind(path: &Path) -> io::Result<net::UnixDatagram> {
    Ok(net::UnixDatagram::from(bound_socket(
        ffi::SOCK_DGRAM,
        raw_from_path(path)?,
    )?))
}

pub(crate) fn datagram_bind_addr(addr: &SocketAddr) -> io::Result<net::UnixDatagram> {
    Ok(net::UnixDatagram::from(bound_socket(
        ffi::SOCK_DGRAM,
        raw_from_addr(addr)?,
    )?))
}

pub(crate) fn datagram_unbound() -> io::Result<net::UnixDatagram> {
    Ok(net::UnixDatagram::from(new_socket(
        ffi::AF_UNIX,
        ffi::SOCK_DGRAM,
    )?))
}

pub(crate) fn datagram_pair() -> io::Result<(net::UnixDatagram, net::UnixDatagram)> {
    let (a, b) = new_socket_pair(ffi::SOCK_DGRAM)?;
    Ok((net::UnixDatagram::from(a), net::UnixDatagram::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_addresses_round_trip_and_long_paths_are_refused() {
        let (raw, len) = raw_from_path(Path::new("/tmp/a.sock")).unwrap();
        let back = addr_from_raw(&raw, len).unwrap().unwrap();
        assert_eq!(back.as_pathname(), Some(Path::new("/tmp/a.sock")));

        let long = "x".repeat(108);
        for bad in [long.as_str(), "a\0b"] {
            let kind = raw_from_path(Path::new(bad)).err().map(|e| e.kind());
            assert_eq!(kind, Some(io::ErrorKind::InvalidInput));
        }
    }

    #[cfg(minimio_linux)]
    #[test]
    fn abstract_names_round_trip() {
        let addr = SocketAddr::from_abstract_name(b"minimio\0test").unwrap();
        let (raw, len) = raw_from_addr(&addr).unwrap();
        assert_eq!(raw.sun_path[0], 0);
        let back = addr_from_raw(&raw, len).unwrap().unwrap();
        assert_eq!(back.as_abstract_name(), Some(&b"minimio\0test"[..]));
    }
}
