//! Finding the socket AFD knows, beneath any layered service providers.
//!
//! Winsock is extensible: a *layered service provider* (LSP) is a DLL that installs itself
//! in Winsock's catalogue between applications and a *base provider* (the one that talks to
//! `afd.sys`), and hands applications socket handles of its own, which it maps to handles of
//! the provider beneath it. Firewalls, proxies and security products used them; Microsoft has
//! deprecated LSPs since Windows 8 in favour of the Windows Filtering Platform, but they can
//! still be installed. AFD knows nothing of an LSP's handles: a poll request must name the base
//! provider's socket, so registration first asks for it with `WSAIoctl`, layer by layer.
//!
//! Three requests name a handle beneath: `SIO_BASE_HANDLE` (meant for exactly this, and
//! answered by every base provider with its own socket), and `SIO_BSP_HANDLE_SELECT` /
//! `SIO_BSP_HANDLE_POLL` (the handle to give `select` / `WSAPoll`), which some LSPs answer
//! when they break the first.

use std::mem::size_of;
use std::{io, ptr};

use super::{ffi, socket_error};

/// How many providers may be stacked on a base socket before minimio stops looking for it.
/// Stacks are short in practice; the bound keeps a provider that keeps naming new handles from
/// holding registration in a loop.
const MAX_LAYERS: usize = 16;

/// The socket AFD knows, beneath every layered service provider stacked on `socket`.
pub(super) fn base_socket(socket: ffi::SOCKET) -> io::Result<ffi::SOCKET> {
    find_base(socket, socket_ioctl)
}

/// [`base_socket`], with `lookup(handle, request)` in place of `WSAIoctl`.
///
/// Each provider is asked for the handle beneath it, and that handle's provider in turn, until
/// one answers with its own handle: only the base provider does. A single question is not
/// enough, because a provider that does not implement the requests itself may pass them to
/// the next one down instead of to the bottom.
fn find_base(
    socket: ffi::SOCKET,
    mut lookup: impl FnMut(ffi::SOCKET, u32) -> io::Result<ffi::SOCKET>,
) -> io::Result<ffi::SOCKET> {
    let mut current = socket;
    for _ in 0..MAX_LAYERS {
        let beneath = one_layer_down(current, &mut lookup)?;
        if beneath == current {
            return Ok(current);
        }
        current = beneath;
    }
    Err(io::Error::other(format!(
        "the socket's layered service providers named {MAX_LAYERS} handles in a row without \
         reaching a base socket"
    )))
}

/// The handle the provider of `socket` names as the one beneath it: its own, if it is the base
/// provider.
fn one_layer_down(
    socket: ffi::SOCKET,
    lookup: &mut impl FnMut(ffi::SOCKET, u32) -> io::Result<ffi::SOCKET>,
) -> io::Result<ffi::SOCKET> {
    let err = match lookup(socket, ffi::SIO_BASE_HANDLE) {
        Ok(beneath) => return Ok(beneath),
        Err(err) => err,
    };
    // SIO_BASE_HANDLE is what every base provider answers, so `socket` is a layered one's, and
    // one that refuses this request. The handle it gives `select` or `WSAPoll` is then the one
    // beneath it, unless it passes those requests on as well and echoes `socket`, which says
    // nothing.
    for request in [ffi::SIO_BSP_HANDLE_SELECT, ffi::SIO_BSP_HANDLE_POLL] {
        match lookup(socket, request) {
            Ok(beneath) if beneath != socket => return Ok(beneath),
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

#[cfg(test)]
mod tests {
    use super::*;

    const REFUSED: i32 = windows_sys::Win32::Networking::WinSock::WSAEOPNOTSUPP;

    fn refused() -> io::Result<ffi::SOCKET> {
        Err(io::Error::from_raw_os_error(REFUSED))
    }

    #[test]
    fn a_base_provider_answers_with_its_own_socket() {
        let mut asked = Vec::new();
        let found = find_base(7, |socket, request| {
            asked.push((socket, request));
            Ok(socket)
        });
        assert_eq!(found.unwrap(), 7);
        assert_eq!(asked, [(7, ffi::SIO_BASE_HANDLE)]);
    }

    /// Two providers stacked on the base one: the top one answers SIO_BASE_HANDLE with the
    /// handle of the one beneath it, which refuses it but answers SIO_BSP_HANDLE_SELECT.
    #[test]
    fn every_layer_is_looked_through() {
        let found = find_base(10, |socket, request| match (socket, request) {
            (10, ffi::SIO_BASE_HANDLE) => Ok(20),
            (20, ffi::SIO_BASE_HANDLE) => refused(),
            (20, ffi::SIO_BSP_HANDLE_SELECT) => Ok(30),
            (30, ffi::SIO_BASE_HANDLE) => Ok(30),
            _ => refused(),
        });
        assert_eq!(found.unwrap(), 30);
    }

    /// A provider that refuses SIO_BASE_HANDLE and echoes its own handle to the others has
    /// said nothing; SIO_BSP_HANDLE_POLL is asked next.
    #[test]
    fn an_echo_is_no_answer() {
        let found = find_base(10, |socket, request| match (socket, request) {
            (10, ffi::SIO_BASE_HANDLE) => refused(),
            (10, ffi::SIO_BSP_HANDLE_SELECT) => Ok(10),
            (10, ffi::SIO_BSP_HANDLE_POLL) => Ok(40),
            (40, ffi::SIO_BASE_HANDLE) => Ok(40),
            _ => refused(),
        });
        assert_eq!(found.unwrap(), 40);
    }

    #[test]
    fn a_socket_nobody_answers_for_is_the_first_refusal() {
        let found = find_base(10, |socket, request| match (socket, request) {
            (10, ffi::SIO_BSP_HANDLE_SELECT) => Ok(10),
            _ => refused(),
        });
        assert_eq!(found.unwrap_err().raw_os_error(), Some(REFUSED));
    }

    /// Providers that always name another handle beneath them: the search gives up, after a
    /// bounded number of lookups, with an error that says why.
    #[test]
    fn a_stack_without_a_bottom_is_an_error() {
        let mut lookups = 0;
        let found = find_base(1, |socket, _| {
            lookups += 1;
            Ok(socket + 1)
        });
        let err = found.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert!(err.to_string().contains("layered"), "{err}");
        assert!(lookups <= 3 * MAX_LAYERS, "{lookups} lookups");
    }
}
