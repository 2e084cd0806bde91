use std::fmt;

use crate::{sys, Token};

/// One readiness report: the [`Token`] of a source and what the kernel said about it.
///
/// Events are hints, not promises. A source reported readable may still answer `WouldBlock`
/// (another thread got there first, or the readiness was spurious), and the flags are only what
/// the kernel knew at the time; the I/O call that follows is the truth. What an event does
/// promise: after it, the source is worth trying until it says `WouldBlock`.
///
/// How the flags come from each kernel:
///
/// | method | epoll (Linux) | kqueue (macOS, iOS, BSDs) | AFD poll (Windows) |
/// |---|---|---|---|
/// | [`is_readable`](Event::is_readable) | `EPOLLIN` or `EPOLLPRI` | `EVFILT_READ` (also with `EV_EOF`: buffered bytes come first), or the waker's `EVFILT_USER` | `AFD_POLL_RECEIVE`, `_RECEIVE_EXPEDITED`, `_ACCEPT`, `_DISCONNECT`, `_ABORT` or `_CONNECT_FAIL`, or the waker's packet, or the poll request failed |
/// | [`is_writable`](Event::is_writable) | `EPOLLOUT` | `EVFILT_WRITE` | `AFD_POLL_SEND`, `_ABORT` or `_CONNECT_FAIL`, or the poll request failed |
/// | [`is_error`](Event::is_error) | `EPOLLERR` | `EV_ERROR`, or `EV_EOF` with an errno in `fflags` | `AFD_POLL_CONNECT_FAIL`, or the poll request itself failed |
/// | [`is_read_closed`](Event::is_read_closed) | `EPOLLHUP`, or `EPOLLIN` with `EPOLLRDHUP` | `EVFILT_READ` with `EV_EOF` | `AFD_POLL_DISCONNECT`, `_ABORT` or `_CONNECT_FAIL`, or the poll request failed |
/// | [`is_write_closed`](Event::is_write_closed) | `EPOLLHUP`, or `EPOLLOUT` with `EPOLLERR`, or `EPOLLERR` alone | `EVFILT_WRITE` with `EV_EOF` | `AFD_POLL_ABORT` or `_CONNECT_FAIL`, or the poll request failed |
/// | [`is_priority`](Event::is_priority) | `EPOLLPRI` | never | `AFD_POLL_RECEIVE_EXPEDITED` (never asked for: `Interest::PRIORITY` is Linux-only) |
/// | [`is_aio`](Event::is_aio) | never | `EVFILT_AIO` (DragonFly, FreeBSD, iOS, macOS) | never |
/// | [`is_lio`](Event::is_lio) | never | `EVFILT_LIO` (FreeBSD) | never |
///
/// kqueue reports each direction on its own, so a source that is readable and writable comes
/// as two events with the same token. The poll(2) backend reads its `POLL*` bits exactly as
/// epoll's namesakes (without `POLLRDHUP` outside Linux, a half-close shows only as readable).
/// On Windows only the events a registration asks for are reported, and a socket's own
/// `shutdown` raises none (only its peer hears of it). A poll request that fails (the driver
/// refuses it, or it ends with an error) is reported with every flag but priority, so that
/// whoever waits for either direction tries its I/O; the source's next I/O call returns that
/// failure, and the `WouldBlock` of a later one asks for a new request.
///
/// `{:?}` shows the token and the flags; `{:#?}` adds the kernel's own bits by name.
#[derive(Clone)]
#[repr(transparent)]
pub struct Event {
    inner: sys::Event,
}

impl Event {
    /// Views a kernel report as an `Event` without copying it.
    pub(crate) fn from_sys_event_ref(sys_event: &sys::Event) -> &Event {
        // SAFETY: `Event` is `repr(transparent)` over `sys::Event`, so both have the same layout
        // and the reference keeps the same lifetime and validity.
        unsafe { &*(sys_event as *const sys::Event).cast::<Event>() }
    }

    /// The token the source was registered with.
    pub fn token(&self) -> Token {
        sys::event::token(&self.inner)
    }

    /// The source has data to read, a connection to accept, or an end of stream to see.
    pub fn is_readable(&self) -> bool {
        sys::event::is_readable(&self.inner)
    }

    /// The source can take data, or a non-blocking connect has finished (check
    /// `take_error` to learn whether it succeeded).
    pub fn is_writable(&self) -> bool {
        sys::event::is_writable(&self.inner)
    }

    /// An error is pending on the source; `take_error` on sockets returns it. A refused
    /// connection, for example, is reported this way.
    pub fn is_error(&self) -> bool {
        sys::event::is_error(&self.inner)
    }

    /// The reading half is closed: the peer shut down its writing side or went away. Bytes
    /// already received are still readable; read until a read returns 0.
    pub fn is_read_closed(&self) -> bool {
        sys::event::is_read_closed(&self.inner)
    }

    /// The writing half is closed: the peer is gone, or our side was shut down for writing.
    pub fn is_write_closed(&self) -> bool {
        sys::event::is_write_closed(&self.inner)
    }

    /// Priority (out-of-band) data is available.
    pub fn is_priority(&self) -> bool {
        sys::event::is_priority(&self.inner)
    }

    /// AIO completion readiness (`EVFILT_AIO` on DragonFly, FreeBSD, iOS and macOS); `false`
    /// everywhere else.
    pub fn is_aio(&self) -> bool {
        sys::event::is_aio(&self.inner)
    }

    /// LIO completion readiness (`EVFILT_LIO` on FreeBSD); `false` everywhere else.
    pub fn is_lio(&self) -> bool {
        sys::event::is_lio(&self.inner)
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct KernelBits<'a>(&'a sys::Event);
        impl fmt::Debug for KernelBits<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                sys::event::debug_details(f, self.0)
            }
        }

        let alternate = f.alternate();
        let mut out = f.debug_struct("Event");
        out.field("token", &self.token())
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("priority", &self.is_priority())
            .field("aio", &self.is_aio())
            .field("lio", &self.is_lio());
        if alternate {
            out.field("kernel", &KernelBits(&self.inner));
        }
        out.finish()
    }
}
