//! kqueue(2): readiness on macOS, iOS, FreeBSD, NetBSD, OpenBSD and DragonFly.
//!
//! The whole interface is two system calls:
//!
//! 1. `kqueue` makes an event queue in the kernel and returns a file descriptor for it.
//! 2. `kevent` does everything else. It first applies a *changelist*: each change adds, modifies
//!    or removes a *knote*, one (ident, filter) pair such as "fd 7, readable", carrying flags and
//!    a pointer-sized `udata` that comes back with every report (minimio puts the [`Token`]
//!    there). Then it waits until knotes fire (or the timeout passes) and copies their reports
//!    into an *event list*. A call may do either half or both.
//!
//! How minimio uses it, and where it differs from epoll:
//!
//! - **One knote per direction.** Reading (`EVFILT_READ`) and writing (`EVFILT_WRITE`) are
//!   separate knotes, so a registration is two changes, and a socket that is both readable and
//!   writable is reported twice, once per filter.
//! - **`EV_CLEAR` makes a knote edge-triggered**: its state is reset once it has been reported.
//! - **`EV_RECEIPT` answers every change without draining the queue.** Without it, kevent
//!   reports a change that fails as an `EV_ERROR` entry in the event list when there is room
//!   (and fails the whole call when there is none), but a change that succeeds says nothing,
//!   and a call whose changes all succeed goes on to fill the list with pending reports. With
//!   it, every change gets an `EV_ERROR` entry, a *receipt* (`data` the errno, 0 for success),
//!   and a call that wrote any such entry returns without collecting reports: kevent(2) calls
//!   the flag "useful for making bulk changes to a kqueue without draining any pending
//!   events". So a call that carries only changes gets one answer per change and takes nothing
//!   from the queue; the rules in `kqueue_rules` turn the answers into one result.
//! - **Knotes cannot be looked up, and die with their fd.** To refuse a second registration with
//!   `AlreadyExists` as epoll does, the selector remembers which fds it registered, with their
//!   token. Finding an fd there, it asks the kernel whether the knotes still exist or died when
//!   the fd was closed (its number maybe reused since): a *probe*, `EV_ENABLE` without
//!   `EV_ADD`, which fails with `ENOENT` where there is no knote and creates none
//!   (`kqueue_rules::PROBE` says why it is harmless). A reregister sends the probe and the new
//!   interest in one changelist, so it costs one call.
//! - **`EINTR` after the changes are applied.** kevent(2) promises that a call interrupted by a
//!   signal has still applied its whole changelist. The event list is pre-filled with slots that
//!   are not receipts, so the receipts the kernel did write are told apart; a missing one
//!   counts as applied. A receipt missing *without* a signal means a kernel that ignores
//!   `EV_RECEIPT`, which minimio refuses (`Unsupported`). The waiting call, `select`, carries
//!   no changes, so there `EINTR` simply ends the wait (`Interrupted`, as in mio).

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::kqueue_rules::{self as rules, Answer, Change, Registration, Report};
use crate::sys::unix::{ffi, set_cloexec, syscall};
use crate::{Interest, Token};

/// One readiness report, exactly as `kevent` writes it.
pub(crate) type Event = ffi::kevent;

/// The event list `kevent` writes into: its capacity is the most reports one call returns.
pub(crate) type Events = Vec<Event>;

/// A kqueue, and the fds registered with it.
#[derive(Debug)]
pub(crate) struct Selector {
    kq: OwnedFd,
    /// Every fd registered through this selector. An entry can outlive its knotes (the fd was
    /// closed without deregistering); [`rules::is_live`] tells.
    registered: Mutex<HashMap<RawFd, Registration>>,
}

impl Selector {
    /// `kqueue()`, then close-on-exec (`kqueue1`/`kqueuex` with that flag are not everywhere).
    /// A kqueue is never inherited across `fork`, but it would survive an `exec`.
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: kqueue takes no arguments; a non-negative result is a new fd we now own.
        let fd = syscall(unsafe { ffi::kqueue() })?;
        // SAFETY: `fd` was just returned by the kernel, is open, and nothing else owns it.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        set_cloexec(kq.as_raw_fd())?;
        Ok(Selector {
            kq,
            registered: Mutex::new(HashMap::new()),
        })
    }

    /// Adds an edge-triggered knote per wanted direction. `AlreadyExists` if the fd is already
    /// registered (and its knotes are alive); kernel refusals (`EBADF` for a closed fd, ...) as
    /// their own errors. Two more kinds, which no kernel minimio supports should produce:
    /// `Unsupported` if the kernel ignores `EV_RECEIPT`, and `Interrupted` if signals cut short
    /// every try to ask whether a recorded fd is still registered (nothing was changed).
    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        let mut registered = self.lock();
        let new = Registration { token, interests };
        rules::register(
            &mut self.knotes(fd as usize),
            registered.get(&fd).copied(),
            new,
        )?;
        registered.insert(fd, new);
        Ok(())
    }

    /// New token and interest: wanted directions are added (or rewritten), others removed.
    /// `NotFound` if the fd is not registered, or its knotes died with a closed fd.
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut registered = self.lock();
        let current = *registered.get(&fd).ok_or_else(rules::not_registered)?;
        let new = Registration { token, interests };
        match rules::reregister(&mut self.knotes(fd as usize), current, new) {
            Ok(()) => {
                registered.insert(fd, new);
                Ok(())
            }
            Err(err) => {
                if err.kind() == io::ErrorKind::NotFound {
                    // The knotes are gone, so the record must go too.
                    registered.remove(&fd);
                }
                Err(err)
            }
        }
    }

    /// Removes both knotes; `NotFound` if the fd is not registered (or neither knote was left).
    /// After it returns, no later `kevent` reports the fd.
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut registered = self.lock();
        let current = registered.remove(&fd).ok_or_else(rules::not_registered)?;
        rules::deregister(&mut self.knotes(fd as usize), current)
    }

    /// The knotes of `ident` in this queue, as the rules ask the kernel about them.
    fn knotes(&self, ident: usize) -> Knotes<'_> {
        Knotes {
            kq: self.kq.as_fd(),
            ident,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RawFd, Registration>> {
        // Nothing panics while holding the lock, so a poisoned map is still consistent.
        self.registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// `kevent` with an empty changelist, waiting for reports into `events`.
    ///
    /// - `None` waits until an event arrives, `Some(Duration::ZERO)` only checks.
    /// - kevent takes nanoseconds, so nothing is rounded; a wait ends before its timeout only
    ///   with an event or a signal. Timeouts longer than a day are waited out a day at a time,
    ///   and one too long to represent as an [`Instant`] is a wait for ever.
    /// - A signal (`EINTR`) ends the wait with an error of kind `Interrupted` and no events.
    ///   Having no changelist, the call applied nothing that the error could leave unsaid.
    ///   (The calls that carry changes take `EINTR` to mean "applied", as kevent(2) promises;
    ///   see [`Knotes`] and the waker.)
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        // Never 0: `Poll::poll` refuses an empty `Events` before calling here.
        let capacity = events.capacity().min(ffi::c_int::MAX as usize) as ffi::KeventCount;
        let deadline = rules::Deadline::after(timeout, Instant::now());
        loop {
            events.clear();
            let timespec = deadline
                .wait_from(Instant::now())
                .map(|wait| ffi::timespec {
                    tv_sec: wait.as_secs() as i64,
                    tv_nsec: ffi::c_long::from(wait.subsec_nanos()),
                });
            let timespec_ptr = timespec.as_ref().map_or(ptr::null(), ptr::from_ref);
            // SAFETY: the event list is the spare capacity of `events`, of which the kernel
            // writes at most `capacity` whole kevent values; the timespec, when given, lives
            // across the call; the changelist is empty.
            let ready = unsafe {
                ffi::kevent(
                    self.kq.as_raw_fd(),
                    ptr::null(),
                    0,
                    events.as_mut_ptr(),
                    capacity,
                    timespec_ptr,
                )
            };
            let waited = syscall(ready).map(|ready| {
                // SAFETY: kevent initialised exactly `ready` (<= capacity) entries.
                unsafe { events.set_len(ready as usize) };
                ready as usize
            });
            if let Some(result) = rules::after_wait(waited, deadline, Instant::now()) {
                return result;
            }
        }
    }
}

/// The knotes of one ident (an fd, or a user event's number) in one queue: what the rules call
/// the [`Kernel`](rules::Kernel).
struct Knotes<'a> {
    kq: BorrowedFd<'a>,
    ident: usize,
}

impl rules::Kernel for Knotes<'_> {
    /// One `kevent` that applies `changes` and collects a receipt for each, into an event list
    /// of exactly one slot per change:
    ///
    /// - No fewer: a receipt that finds no room makes FreeBSD and OpenBSD stop there, leaving
    ///   the changes after it unapplied.
    /// - No more: the receipts fill every slot, and a kernel that has written a receipt returns
    ///   without collecting reports (FreeBSD, OpenBSD, DragonFly and macOS all do), so no
    ///   readiness report is taken off the queue here. One taken here would be lost: the call
    ///   returns only receipts to the rules, and an edge-triggered knote (`EV_CLEAR`) resets
    ///   once reported. A kernel that ignores `EV_RECEIPT` writes no receipt for a change that
    ///   succeeds and then does collect reports, into these slots: N slots bound that loss to
    ///   N, and the rules refuse such a kernel after one call.
    ///
    /// The timeout is zero, so the call never waits.
    fn submit<const N: usize>(&mut self, changes: &[(Change, Token); N]) -> io::Result<Answer<N>> {
        let changelist =
            changes.map(|(change, token)| kevent(self.ident, change.filter, change.flags, token));
        // Slots with no flags at all: every receipt has EV_ERROR set, so these are never
        // mistaken for one if the kernel does not get to write them.
        let mut slots = [kevent(0, 0, 0, Token(0)); N];
        let no_wait = ffi::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: the changelist and the slots are arrays of N initialised kevent structs that
        // live across the call; the kernel reads the first and writes at most N into the second.
        let result = syscall(unsafe {
            ffi::kevent(
                self.kq.as_raw_fd(),
                changelist.as_ptr(),
                N as ffi::KeventCount,
                slots.as_mut_ptr(),
                N as ffi::KeventCount,
                &no_wait,
            )
        });
        let interrupted = match result {
            Ok(_) => false,
            // kevent(2) promises that a call failing with EINTR has applied every change; the
            // slots say which receipts were written.
            Err(err) if err.kind() == io::ErrorKind::Interrupted => true,
            Err(err) => return Err(err),
        };
        Ok(Answer {
            slots: slots.map(|slot| report(&slot)),
            interrupted,
        })
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }
}

impl AsFd for Selector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.kq.as_fd()
    }
}

/// A change for the changelist, in the kernel's layout.
fn kevent(ident: usize, filter: rules::Filter, flags: rules::Flags, token: Token) -> ffi::kevent {
    ffi::kevent {
        ident,
        filter: filter as ffi::KeventFilter,
        flags: flags as ffi::KeventFlags,
        fflags: 0,
        data: 0,
        udata: token.0,
        #[cfg(target_os = "freebsd")]
        ext: [0; 4],
    }
}

/// A slot of the event list, in the rules' terms.
fn report(event: &ffi::kevent) -> Report {
    Report {
        filter: event.filter as rules::Filter,
        flags: event.flags as rules::Flags,
        fflags: event.fflags,
        data: event.data,
    }
}

/// A waker on a user event (`EVFILT_USER`): a knote that fires when a change sets
/// `NOTE_TRIGGER` on it, edge-triggered like the others, so every trigger after a report is a
/// new report and one wake is one system call. It holds its own duplicate of the kqueue fd, so
/// it can be used from any thread and outlives the `Poll`.
#[cfg(minimio_evfilt_user)]
#[derive(Debug)]
pub(crate) struct Waker {
    kq: OwnedFd,
    ident: usize,
    token: Token,
}

#[cfg(minimio_evfilt_user)]
impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // User-event idents are a namespace of their own, apart from fds; one per waker lets
        // several wakers share a queue.
        static NEXT_IDENT: AtomicUsize = AtomicUsize::new(0);
        let ident = NEXT_IDENT.fetch_add(1, Ordering::Relaxed);
        // The duplicate first: once the user event is added, failing would leave it behind.
        let kq = selector.kq.try_clone()?;
        rules::apply(&mut selector.knotes(ident), [rules::ADD_USER_EVENT], token)?;
        Ok(Waker { kq, ident, token })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        // A change rewrites `udata`, so the trigger carries the token again.
        let mut trigger = kevent(self.ident, rules::USER, 0, self.token);
        trigger.fflags = ffi::NOTE_TRIGGER;
        // SAFETY: one initialised kevent is read during the call; the event list is empty, so
        // an error comes back as the call's own result.
        let result = syscall(unsafe {
            ffi::kevent(
                self.kq.as_raw_fd(),
                &trigger,
                1,
                ptr::null_mut(),
                0,
                ptr::null(),
            )
        });
        match result {
            // Interrupted after the changelist was applied: the trigger is in.
            Err(err) if err.kind() != io::ErrorKind::Interrupted => Err(err),
            _ => Ok(()),
        }
    }
}

#[cfg(minimio_evfilt_user)]
impl Drop for Waker {
    /// Removes the user event. Its ident is not an fd, so closing our duplicate of the queue
    /// would leave it, and a wake not yet reported, in the kernel for the life of the queue.
    fn drop(&mut self) {
        let delete = kevent(self.ident, rules::USER, rules::DELETE, self.token);
        // SAFETY: one initialised kevent is read during the call; the event list is empty, so
        // nothing is written. A failure leaves only a knote that no one triggers any more.
        let _ = unsafe {
            ffi::kevent(
                self.kq.as_raw_fd(),
                &delete,
                1,
                ptr::null_mut(),
                0,
                ptr::null(),
            )
        };
    }
}

/// Reading an [`Event`]: each report is about one filter; the rules say what it means.
pub(crate) mod event {
    use std::fmt;

    use super::super::kqueue_rules::{readiness, Readiness};
    use super::{report, Event};
    use crate::sys::unix::ffi;
    use crate::Token;

    fn read(event: &Event) -> Readiness {
        readiness(&report(event))
    }

    pub(crate) fn token(event: &Event) -> Token {
        Token(event.udata)
    }

    pub(crate) fn is_readable(event: &Event) -> bool {
        read(event).readable
    }

    pub(crate) fn is_writable(event: &Event) -> bool {
        read(event).writable
    }

    pub(crate) fn is_error(event: &Event) -> bool {
        read(event).error
    }

    pub(crate) fn is_read_closed(event: &Event) -> bool {
        read(event).read_closed
    }

    pub(crate) fn is_write_closed(event: &Event) -> bool {
        read(event).write_closed
    }

    /// kqueue has no priority filter.
    pub(crate) fn is_priority(_: &Event) -> bool {
        false
    }

    pub(crate) fn is_aio(event: &Event) -> bool {
        read(event).aio
    }

    pub(crate) fn is_lio(event: &Event) -> bool {
        read(event).lio
    }

    /// The filter, the flags by name, and `fflags`/`data`, for `{:#?}` of an event.
    pub(crate) fn debug_details(f: &mut fmt::Formatter<'_>, event: &Event) -> fmt::Result {
        let filter = match event.filter {
            ffi::EVFILT_READ => "EVFILT_READ",
            ffi::EVFILT_WRITE => "EVFILT_WRITE",
            ffi::EVFILT_AIO => "EVFILT_AIO",
            ffi::EVFILT_USER => "EVFILT_USER",
            _ => "other",
        };
        let flag_names = [
            (ffi::EV_CLEAR, "EV_CLEAR"),
            (ffi::EV_ERROR, "EV_ERROR"),
            (ffi::EV_EOF, "EV_EOF"),
        ];
        let flags: Vec<&str> = flag_names
            .iter()
            .filter(|(bit, _)| event.flags & bit != 0)
            .map(|(_, name)| *name)
            .collect();
        // Copied out: Darwin's kevent is packed, so its fields cannot be borrowed.
        let (fflags, data) = (event.fflags, event.data);
        f.debug_struct("kevent")
            .field("filter", &format_args!("{filter}"))
            .field("flags", &flags)
            .field("fflags", &fflags)
            .field("data", &data)
            .finish()
    }
}
