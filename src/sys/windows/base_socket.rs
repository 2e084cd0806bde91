//! Finding the socket AFD knows, beneath any layered service providers.
//!
//! Winsock is extensible: a *layered service provider* (LSP) is a DLL that installs itself
//! between applications and the base provider (the one that talks to `afd.sys`), and hands
//! applications a socket handle of its own. Firewalls, proxies and some antivirus products did
//! this; Microsoft deprecated LSPs in Windows 8 but still loads them. AFD knows nothing of an
//! LSP's handle: a poll request must name the base provider's socket, so registration first
//! asks for it with `WSAIoctl`.

use std::mem::size_of;
use std::{io, ptr};

use super::{ffi, socket_error};

/// The socket AFD knows, beneath any layered service provider (LSP) stacked on `socket`.
pub(super) fn base_socket(socket: ffi::SOCKET) -> io::Result<ffi::SOCKET> {
    let err = match socket_ioctl(socket, ffi::SIO_BASE_HANDLE) {
        Ok(base) => return Ok(base),
        Err(err) => err,
    };
    // Some LSPs refuse SIO_BASE_HANDLE. The handle they give `select` or `WSAPoll` is then the
    // base one, unless they pass that request through too and answer with `socket` itself.
    for request in [ffi::SIO_BSP_HANDLE_SELECT, ffi::SIO_BSP_HANDLE_POLL] {
        match socket_ioctl(socket, request) {
            Ok(base) if base != socket => return Ok(base),
            _ => {}
        }
    }
    Err(err)
}

/// A `WSAIoctl` that returns a socket handle.
fn socket_ioctl(socket: ffi::SOCKET, request: u32) -> io::Result<ffi::SOCKET> {
    let mut out: ffi::SOCKET = ffi::INVALID_SOCKET;
    let mut returned = 0u32;
    // SAFETY: the output buffer is `out`, with its size; there is no input buffer, and the call
    // is synchronous (no OVERLAPPED, no completion routine).
    let result = unsafe {
        ffi::WSAIoctl(
            socket,
            request,
            ptr::null(),
            0,
            (&mut out as *mut ffi::SOCKET).cast(),
            size_of::<ffi::SOCKET>() as u32,
            &mut returned,
            ptr::null_mut(),
            ptr::null(),
        )
    };
    if result == ffi::SOCKET_ERROR {
        Err(socket_error())
    } else {
        Ok(out)
    }
}
