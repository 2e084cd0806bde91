//! The Windows side of the `sys` contract: readiness from I/O completion ports and the AFD
//! driver, with edge triggering emulated per socket.

mod afd;
mod ffi;
mod iocp;
pub(crate) mod net;
mod selector;
mod waker;

pub(crate) use self::selector::{event, Event, Events, Selector};
pub(crate) use self::waker::Waker;

use std::io;
use std::sync::{Arc, Weak};

use self::selector::SockState;
use crate::{Interest, Token};

/// The error of the last Winsock call on this thread.
fn socket_error() -> io::Error {
    // SAFETY: WSAGetLastError only reads this thread's last error value.
    io::Error::from_raw_os_error(unsafe { ffi::WSAGetLastError() })
}

/// What a socket must offer to be registered: its Winsock handle.
pub(crate) use std::os::windows::io::AsRawSocket as AsRawSource;

/// Per-socket state: the socket's registration with a selector, if any. It is what lets
/// [`do_io`](IoSourceState::do_io) re-arm the socket's events after a `WouldBlock`.
#[derive(Debug)]
pub(crate) struct IoSourceState {
    registration: Option<Registration>,
}

#[derive(Debug)]
struct Registration {
    /// Weak, so that a registered socket does not keep its `Poll`'s queue alive.
    selector: Weak<Selector>,
    sock: Arc<SockState>,
}

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState { registration: None }
    }

    pub(crate) fn register(
        &mut self,
        selector: &Arc<Selector>,
        source: &impl AsRawSource,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        if let Some(registration) = &self.registration {
            if registration.selector.strong_count() > 0 {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "the source is already registered",
                ));
            }
        }
        let sock = selector.register(source.as_raw_socket(), token, interests)?;
        // A registration with a queue that has since been dropped is replaced.
        if let Some(old) = self.registration.replace(Registration {
            selector: Arc::downgrade(selector),
            sock,
        }) {
            old.sock.delete();
        }
        Ok(())
    }

    pub(crate) fn reregister(
        &mut self,
        selector: &Arc<Selector>,
        _source: &impl AsRawSource,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match &self.registration {
            Some(registration) if registration.selector.as_ptr() == Arc::as_ptr(selector) => {
                selector.reregister(&registration.sock, token, interests)
            }
            _ => Err(not_registered()),
        }
    }

    pub(crate) fn deregister(
        &mut self,
        selector: &Arc<Selector>,
        _source: &impl AsRawSource,
    ) -> io::Result<()> {
        match &self.registration {
            Some(registration) if registration.selector.as_ptr() == Arc::as_ptr(selector) => {
                registration.sock.delete();
                self.registration = None;
                Ok(())
            }
            _ => Err(not_registered()),
        }
    }

    /// Runs one I/O call on the source. A `WouldBlock` means the socket has been drained in
    /// that direction, so every event the registration wants is armed again: the next change
    /// is reported, as an edge-triggered epoll would.
    pub(crate) fn do_io<T, R>(
        &self,
        io: impl FnOnce(&T) -> io::Result<R>,
        source: &T,
    ) -> io::Result<R> {
        let result = io(source);
        if let Err(err) = &result {
            if err.kind() == io::ErrorKind::WouldBlock {
                if let Some(registration) = &self.registration {
                    if let Some(selector) = registration.selector.upgrade() {
                        // A failure to issue the request now leaves the socket queued; the
                        // next poll retries it and reports the error there.
                        let _ = selector.rearm(&registration.sock);
                    }
                }
            }
        }
        result
    }
}

impl Drop for IoSourceState {
    /// A dropped socket reports nothing more; its request in flight, if any, is cancelled.
    fn drop(&mut self) {
        if let Some(registration) = self.registration.take() {
            registration.sock.delete();
        }
    }
}

fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "the source is not registered with this Registry",
    )
}
