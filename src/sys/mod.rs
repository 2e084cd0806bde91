//! The contract between minimio's public API and the operating system.
//!
//! The public layer (`Poll`, `Registry`, `Events`, `Waker`, the `net` types) never names an OS;
//! it calls only what this module exports, and every backend provides exactly this:
//!
//! | item | what it is |
//! |---|---|
//! | `Selector` | the kernel's event queue. `new()` and `select(&mut Events, Option<Duration>)`, taking `&self` so one selector can be shared by threads. `select` never returns early without an event, treats `None` and timeouts too large to represent as "for ever", and returns `Interrupted` when a signal handler ran during the wait, as mio does. On Unix it also offers `register(fd, token, interest)`, `reregister(..)` and `deregister(fd)` for `unix::SourceFd` (`AlreadyExists` for a source already present, `NotFound` for an absent one); sockets go through `IoSourceState`, which on Windows keeps the per-socket state those calls need there. |
//! | `Event`, `Events` | one readiness report as the kernel writes it, and the buffer of them (`Vec<Event>`, whose capacity is the most one `select` returns). |
//! | `event::{token, is_readable, is_writable, is_error, is_read_closed, is_write_closed, is_priority, is_aio, is_lio, debug_details}` | reading a report, as free functions over `&Event`. |
//! | `Waker` | `new(&Selector, Token)` and `wake(&self)`: makes the selector report `Token` as readable from any thread. |
//! | `AsRawSource` | the trait a socket or pipe implements to be registered (`AsRawFd` on Unix, `AsRawSocket` on Windows). |
//! | `IoSourceState` | per-socket state the backend keeps beside each `net` type: `register`, `reregister` and `deregister` of a socket with a selector, and `do_io`, through which every read, write, send, receive and accept passes (a backend that emulates edge triggering re-arms there). |
//! | `net`, `uds`, `pipe` | creating sockets and pipes that are non-blocking and close-on-exec (on Windows: not inheritable) from birth; `uds` and `pipe` on Unix only. |
//!
//! Readiness is edge-triggered on every backend (the poll(2) backend emulates it, see its module
//! docs); modes (level, oneshot) will be added to
//! `register` as a parameter when a backend offers them, not as new entry points.

#[cfg(minimio_unix)]
mod unix;
#[cfg(minimio_unix)]
pub(crate) use self::unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use self::windows::*;

// Which systems are supported is decided once, in build.rs.
#[cfg(not(any(minimio_unix, windows)))]
compile_error!(
    "minimio runs on Linux, macOS, iOS, FreeBSD, NetBSD, OpenBSD, DragonFly and Windows for now: \
     other Unix systems need their system calls declared in src/sys/unix/ffi before the poll(2) \
     backend can serve them"
);
