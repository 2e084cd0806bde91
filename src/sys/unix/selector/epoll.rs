//! epoll(7): readiness on Linux.
//!
//! The whole interface is three system calls:
//!
//! 1. `epoll_create1` makes an *interest list* in the kernel and returns a file descriptor for it.
//! 2. `epoll_ctl` adds, modifies or deletes entries of that list. Each entry names an open file
//!    (through an fd), the readiness wanted, and 64 bits of user data that come back with every
//!    report; minimio puts the [`Token`] there.
//! 3. `epoll_wait` sleeps until some entries are ready (or the timeout passes) and copies their
//!    reports into a caller-provided array.
//!
//! Every registration is edge-triggered (`EPOLLET`). What Linux calls an edge is a *wake-up* of
//! the file: the kernel reports an entry each time the file signals activity to its waiters (a
//! segment of data arrives, buffer space is freed, a counter is written), not only when it goes
//! from "not ready" to "ready". A socket that is already readable is reported again when more
//! data arrives; an eventfd that stays readable is reported again at every write, which is what
//! the waker builds on. Between wake-ups nothing is reported, however long the source stays ready.
//! That is the model minimio offers on all platforms, and the reason a reader must drain a source
//! until `WouldBlock`: only then is the next arrival certain to be a wake-up that gets reported.
//! (Level triggering, without `EPOLLET`, instead reports the entry at every `epoll_wait` for as
//! long as it is ready.)
//!
//! Two kernel facts shape the code: an entry belongs to the *open file description*, not to the
//! fd number, and it disappears when the last fd of that description is closed. So a new socket
//! that reuses the fd number starts with no registration, and an old token can never be reported
//! for it. Closing a registered socket is enough to end its registration only if no duplicate of
//! its fd is open (from `dup`, `try_clone`, or a child between `fork` and `exec`): a duplicate
//! keeps the entry, and its token, alive. That is why minimio's own sources deregister
//! themselves when dropped (see `io_source.rs`), and why a `SourceFd` with duplicates must be
//! deregistered before it is closed.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::timeout_ms;
use crate::sys::unix::ffi;
use crate::sys::unix::syscall;
use crate::{Interest, Token};

/// One readiness report, exactly as `epoll_wait` writes it.
pub(crate) type Event = ffi::epoll_event;

/// The buffer `epoll_wait` writes into: its capacity is the most reports one call returns.
pub(crate) type Events = Vec<Event>;

/// An epoll instance.
#[derive(Debug)]
pub(crate) struct Selector {
    epoll: OwnedFd,
}

impl Selector {
    /// `epoll_create1(EPOLL_CLOEXEC)`: a new, empty interest list that no child process inherits.
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: epoll_create1 takes no pointers; a non-negative result is a new fd we now own.
        let fd = syscall(unsafe { ffi::epoll_create1(ffi::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` was just returned by the kernel, is open, and nothing else owns it.
        let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Selector { epoll })
    }

    /// `EPOLL_CTL_ADD`. The kernel refuses an fd that is already in the list with `EEXIST`
    /// (`AlreadyExists`), and files that cannot be polled, such as regular files, with `EPERM`.
    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.control(ffi::EPOLL_CTL_ADD, fd, token, interests)
    }

    /// `EPOLL_CTL_MOD`: new token and interest for an fd already in the list; `ENOENT`
    /// (`NotFound`) if it is not.
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.control(ffi::EPOLL_CTL_MOD, fd, token, interests)
    }

    /// `EPOLL_CTL_DEL`; `ENOENT` (`NotFound`) if the fd is not in the list. After it returns, no
    /// later `epoll_wait` reports the fd.
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        // Since Linux 2.6.9 the event argument of EPOLL_CTL_DEL is ignored and may be null.
        // SAFETY: a null event pointer is allowed for EPOLL_CTL_DEL; the fds are plain integers.
        syscall(unsafe {
            ffi::epoll_ctl(
                self.epoll.as_raw_fd(),
                ffi::EPOLL_CTL_DEL,
                fd,
                std::ptr::null_mut(),
            )
        })
        .map(drop)
    }

    fn control(&self, op: i32, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        let mut event = ffi::epoll_event {
            events: epoll_bits(interests),
            data: token.0 as u64,
        };
        // SAFETY: `event` is a valid epoll_event on our stack; the kernel copies it during the
        // call and keeps no pointer to it.
        syscall(unsafe { ffi::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut event) }).map(drop)
    }

    /// `epoll_wait` into `events`, replacing its contents.
    ///
    /// - `None` waits until an event arrives, `Some(Duration::ZERO)` only checks.
    /// - Other timeouts are rounded *up* to whole milliseconds, so the call never returns early
    ///   without an event; a timeout longer than one `epoll_wait` can express (about 24.8 days),
    ///   or too long to represent as an [`Instant`], is waited out in several calls.
    /// - A signal handled while waiting ends the wait with `EINTR`, returned as
    ///   [`io::ErrorKind::Interrupted`] with `events` empty, as mio does: a program whose handler
    ///   sets a flag sees the flag at once instead of at the next event.
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        // Never 0: `Poll::poll` refuses an empty `Events` before calling here.
        let capacity = events.capacity().min(i32::MAX as usize) as i32;
        let wait_ms = timeout_ms(timeout);
        if wait_ms < i32::MAX {
            // The common case: one call. The kernel sleeps at least the rounded-up milliseconds,
            // so a return with no event is never early and there is no clock to read.
            return self.wait(events, capacity, wait_ms);
        }
        self.wait_until(events, capacity, timeout)
    }

    /// One `epoll_wait`.
    fn wait(&self, events: &mut Events, capacity: i32, wait_ms: i32) -> io::Result<()> {
        events.clear();
        // SAFETY: the pointer and capacity describe the spare capacity of `events`; the kernel
        // writes at most `capacity` whole epoll_event values there.
        let ready = syscall(unsafe {
            ffi::epoll_wait(
                self.epoll.as_raw_fd(),
                events.as_mut_ptr(),
                capacity,
                wait_ms,
            )
        })?;
        // SAFETY: epoll_wait initialised exactly `ready` (<= capacity) entries.
        unsafe { events.set_len(ready as usize) };
        Ok(())
    }

    /// A wait longer than one `epoll_wait` can express (about 24.8 days), or too long to be an
    /// [`Instant`]: wait in several calls until an event, a signal or the deadline.
    #[cold]
    fn wait_until(
        &self,
        events: &mut Events,
        capacity: i32,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        loop {
            let wait_ms = match deadline {
                Some(deadline) => {
                    timeout_ms(Some(deadline.saturating_duration_since(Instant::now())))
                }
                None => -1,
            };
            self.wait(events, capacity, wait_ms)?;
            if !events.is_empty() || wait_ms == 0 {
                return Ok(());
            }
        }
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}

impl AsFd for Selector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

/// What to ask `epoll_ctl` for, looked up in a table made at compile time: one load instead of a
/// branch per kind of interest, which keeps registering as cheap as it can be.
fn epoll_bits(interests: Interest) -> u32 {
    EPOLL_BITS[interests.bits() as usize % Interest::PATTERNS]
}

const EPOLL_BITS: [u32; Interest::PATTERNS] = {
    let mut table = [0; Interest::PATTERNS];
    let mut bits = 0;
    while bits < Interest::PATTERNS {
        if let Some(interests) = Interest::from_bits(bits as u8) {
            table[bits] = translate(interests);
        }
        bits += 1;
    }
    table
};

/// `EPOLLRDHUP` comes with reading so that a peer's half-close is reported as `read_closed`;
/// errors and hang-ups (`EPOLLERR`, `EPOLLHUP`) are always reported, unasked.
const fn translate(interests: Interest) -> u32 {
    let mut bits = ffi::EPOLLET;
    if interests.is_readable() {
        bits |= ffi::EPOLLIN | ffi::EPOLLRDHUP;
    }
    if interests.is_writable() {
        bits |= ffi::EPOLLOUT;
    }
    if interests.is_priority() {
        bits |= ffi::EPOLLPRI;
    }
    bits
}

/// Reading an [`Event`]. `EPOLLHUP` and `EPOLLERR` arrive whatever was asked for, so they are
/// folded into both closed directions the way a caller needs them.
pub(crate) mod event {
    use std::fmt;

    use super::Event;
    use crate::sys::unix::ffi::*;
    use crate::Token;

    pub(crate) fn token(event: &Event) -> Token {
        Token(event.data as usize)
    }

    pub(crate) fn is_readable(event: &Event) -> bool {
        event.events & (EPOLLIN | EPOLLPRI) != 0
    }

    pub(crate) fn is_writable(event: &Event) -> bool {
        event.events & EPOLLOUT != 0
    }

    pub(crate) fn is_error(event: &Event) -> bool {
        event.events & EPOLLERR != 0
    }

    /// The peer shut down its writing side (`EPOLLRDHUP` with data direction in), or the
    /// connection is gone altogether (`EPOLLHUP`). Bytes already buffered are still readable.
    pub(crate) fn is_read_closed(event: &Event) -> bool {
        let bits = event.events;
        bits & EPOLLHUP != 0 || (bits & EPOLLIN != 0 && bits & EPOLLRDHUP != 0)
    }

    /// Our writing side is unusable: a hang-up, an error on a writable source (a pipe whose
    /// reader is gone reports `EPOLLOUT | EPOLLERR`), or an error alone.
    pub(crate) fn is_write_closed(event: &Event) -> bool {
        let bits = event.events;
        bits & EPOLLHUP != 0 || (bits & EPOLLOUT != 0 && bits & EPOLLERR != 0) || bits == EPOLLERR
    }

    pub(crate) fn is_priority(event: &Event) -> bool {
        event.events & EPOLLPRI != 0
    }

    pub(crate) fn is_aio(_: &Event) -> bool {
        false
    }

    pub(crate) fn is_lio(_: &Event) -> bool {
        false
    }

    /// The raw `EPOLL*` bits by name, for `{:#?}` of an event.
    pub(crate) fn debug_details(f: &mut fmt::Formatter<'_>, event: &Event) -> fmt::Result {
        let bits = event.events;
        let names = [
            (EPOLLIN, "EPOLLIN"),
            (EPOLLPRI, "EPOLLPRI"),
            (EPOLLOUT, "EPOLLOUT"),
            (EPOLLERR, "EPOLLERR"),
            (EPOLLHUP, "EPOLLHUP"),
            (EPOLLRDHUP, "EPOLLRDHUP"),
        ];
        let mut list = f.debug_list();
        for (_, name) in names.iter().filter(|(bit, _)| bits & bit != 0) {
            list.entry(&format_args!("{name}"));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_maps_to_edge_triggered_bits() {
        use ffi::*;
        assert_eq!(
            epoll_bits(Interest::READABLE),
            EPOLLET | EPOLLIN | EPOLLRDHUP
        );
        assert_eq!(epoll_bits(Interest::WRITABLE), EPOLLET | EPOLLOUT);
        assert_eq!(epoll_bits(Interest::PRIORITY), EPOLLET | EPOLLPRI);
    }

    #[test]
    fn the_table_holds_every_combination() {
        use ffi::*;
        let r = Interest::READABLE;
        let w = Interest::WRITABLE;
        let p = Interest::PRIORITY;
        let read = EPOLLIN | EPOLLRDHUP;
        assert_eq!(epoll_bits(r | w), EPOLLET | read | EPOLLOUT);
        assert_eq!(epoll_bits(r | p), EPOLLET | read | EPOLLPRI);
        assert_eq!(epoll_bits(w | p), EPOLLET | EPOLLOUT | EPOLLPRI);
        assert_eq!(epoll_bits(r | w | p), EPOLLET | read | EPOLLOUT | EPOLLPRI);
        for bits in 0..Interest::PATTERNS as u8 {
            if let Some(interests) = Interest::from_bits(bits) {
                assert_eq!(epoll_bits(interests), translate(interests), "{interests:?}");
            }
        }
    }

    #[test]
    fn hang_up_closes_both_directions() {
        let hup = Event {
            events: ffi::EPOLLHUP,
            data: 3,
        };
        assert!(event::is_read_closed(&hup) && event::is_write_closed(&hup));
        assert_eq!(event::token(&hup), Token(3));
        let rdhup = Event {
            events: ffi::EPOLLIN | ffi::EPOLLRDHUP,
            data: 0,
        };
        assert!(event::is_read_closed(&rdhup) && !event::is_write_closed(&rdhup));
    }
}
