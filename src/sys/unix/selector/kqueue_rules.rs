//! The rules of the kqueue backend that need no kernel: which changes a registration asks for,
//! what a report means, how receipts become errors, how long one wait may be, and which calls
//! register, reregister and deregister make in which order.
//!
//! They are pure functions over small local types, so they are compiled and tested on every
//! Unix (with FreeBSD's constant values standing in where there is no kqueue), while
//! `kqueue.rs` keeps only the system calls and the conversions to and from `struct kevent`.
//! Where a rule needs the kernel's answer, it asks through [`Kernel`], which `kqueue.rs`
//! implements with `kevent` and the tests with a model of it.
//!
//! Filters and flags are widened here (`i16`/`u16` on most systems, `u32` on NetBSD) so that one
//! set of rules serves every layout.

use std::io;
use std::time::{Duration, Instant};

use crate::{Interest, Token};

#[cfg(minimio_bsd)]
use crate::sys::unix::ffi as kernel;

/// FreeBSD's values, so that the rules can be tested where there is no kqueue.
#[cfg(not(minimio_bsd))]
mod kernel {
    pub(crate) const EVFILT_READ: i16 = -1;
    pub(crate) const EVFILT_WRITE: i16 = -2;
    pub(crate) const EVFILT_AIO: i16 = -3;
    pub(crate) const EVFILT_LIO: i16 = -10;
    pub(crate) const EVFILT_USER: i16 = -11;
    pub(crate) const EV_ADD: u16 = 0x1;
    pub(crate) const EV_DELETE: u16 = 0x2;
    pub(crate) const EV_ENABLE: u16 = 0x4;
    pub(crate) const EV_CLEAR: u16 = 0x20;
    pub(crate) const EV_RECEIPT: u16 = 0x40;
    pub(crate) const EV_ERROR: u16 = 0x4000;
    pub(crate) const EV_EOF: u16 = 0x8000;
    pub(crate) const ENOENT: i32 = 2;
    pub(crate) const EBADF: i32 = 9;
    pub(crate) const EPIPE: i32 = 32;
}

/// A filter, widened to hold every system's.
pub(super) type Filter = i32;
/// Event flags, widened to hold every system's.
pub(super) type Flags = u32;

pub(super) const READ: Filter = kernel::EVFILT_READ as Filter;
pub(super) const WRITE: Filter = kernel::EVFILT_WRITE as Filter;
pub(super) const USER: Filter = kernel::EVFILT_USER as Filter;

const ADD: Flags = kernel::EV_ADD as Flags;
pub(super) const DELETE: Flags = kernel::EV_DELETE as Flags;
const ENABLE: Flags = kernel::EV_ENABLE as Flags;
const CLEAR: Flags = kernel::EV_CLEAR as Flags;
const RECEIPT: Flags = kernel::EV_RECEIPT as Flags;
pub(super) const ERROR: Flags = kernel::EV_ERROR as Flags;
const EOF: Flags = kernel::EV_EOF as Flags;

/// One change for the changelist, for the fd the caller names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Change {
    pub(super) filter: Filter,
    pub(super) flags: Flags,
}

/// What the kernel wrote into one slot of the event list: a readiness report or a receipt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Report {
    pub(super) filter: Filter,
    pub(super) flags: Flags,
    pub(super) fflags: u32,
    pub(super) data: i64,
}

/// What one `kevent` call that carried changes left in its event list, slot by slot, and
/// whether it failed with `EINTR` (which kevent(2) allows only after every change is applied).
#[derive(Clone, Copy, Debug)]
pub(super) struct Answer<const N: usize> {
    /// Each slot as the kernel left it; the caller fills them with `Report::default()` first.
    pub(super) slots: [Report; N],
    pub(super) interrupted: bool,
}

/// The outcome of one change: the errno of its receipt (0 for success), or `None` if the kernel
/// wrote no receipt for it (the call was interrupted after applying the changelist).
pub(super) type Receipt = Option<i64>;

/// A registration is one knote per direction, edge-triggered (`EV_CLEAR`): reading and writing
/// are added as asked and the other removed, each with its own receipt (`EV_RECEIPT`). A
/// removal of a filter that was never added fails with `ENOENT`, which [`applied`] ignores.
pub(super) fn set_interest(interests: Interest) -> [Change; 2] {
    let direction = |filter, wanted: bool| Change {
        filter,
        flags: RECEIPT | if wanted { ADD | CLEAR } else { DELETE },
    };
    [
        direction(READ, interests.is_readable()),
        direction(WRITE, interests.is_writable()),
    ]
}

/// Asks whether an fd still has knotes. `EV_ENABLE` without `EV_ADD` creates nothing: where
/// there is no knote it fails with `ENOENT` (or `EBADF` once the fd is closed), and a knote that
/// is there stays as it was, enabled. (The kernel re-checks that knote, which may queue a
/// report of readiness that already holds: a spurious edge, which edge-triggered callers must
/// bear anyway.)
///
/// - `EV_CLEAR`: the kernels take a knote's flags from the change that adds it and leave them
///   alone on later changes (FreeBSD, macOS, OpenBSD and NetBSD change at most whether it is
///   enabled, its `fflags`, `data` and `udata`), so here `EV_CLEAR` changes nothing. It is
///   there so that the probe carries the knote's own flags: a kernel that did take a
///   modifying change's flags as the knote's new ones would keep it edge-triggered rather than
///   turn it level-triggered.
/// - `udata`: FreeBSD and macOS rewrite it with such a change (OpenBSD and NetBSD only with
///   `EV_ADD`), so the caller passes the token the knotes already carry.
pub(super) const PROBE: [Change; 2] = [
    Change {
        filter: READ,
        flags: ENABLE | CLEAR | RECEIPT,
    },
    Change {
        filter: WRITE,
        flags: ENABLE | CLEAR | RECEIPT,
    },
];

/// Removes both directions; a direction that has no knote answers `ENOENT`.
pub(super) const REMOVE: [Change; 2] = [
    Change {
        filter: READ,
        flags: DELETE | RECEIPT,
    },
    Change {
        filter: WRITE,
        flags: DELETE | RECEIPT,
    },
];

/// Registers a user event (the waker), edge-triggered, with a receipt.
#[cfg(any(minimio_evfilt_aio, not(minimio_bsd)))]
pub(super) const ADD_USER_EVENT: Change = Change {
    filter: USER,
    flags: ADD | CLEAR | RECEIPT,
};

/// Pairs each change with its receipt among the slots of an [`Answer`]. Every change the rules
/// send carries `EV_RECEIPT`, and the kernel answers the changes in changelist order, each into
/// the next slot, so the receipt of change `i` is slot `i` (a changelist may hold two changes of
/// one filter, so matching by filter would not do). Receipts carry `EV_ERROR` (with `data` 0
/// for success); the caller pre-fills the list with slots that do not, so after an interrupted
/// call the slots the kernel never wrote are told apart from receipts.
///
/// A receipt missing after a call that was *not* interrupted means the kernel ignores
/// `EV_RECEIPT` (an older NetBSD is one): it answered the failed changes only, and if none
/// failed it filled the free slots with readiness reports, which are now lost. Asking again
/// would lose more, so it is an error of kind `Unsupported`: minimio cannot run on such a
/// kernel.
pub(super) fn receipts<const N: usize>(
    changes: &[Change; N],
    answer: &Answer<N>,
) -> io::Result<[Receipt; N]> {
    let receipts: [Receipt; N] = std::array::from_fn(|i| {
        let slot = answer.slots[i];
        (slot.flags & ERROR != 0 && slot.filter == changes[i].filter).then_some(slot.data)
    });
    if !answer.interrupted && receipts.contains(&None) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "kevent wrote no receipt for a change marked EV_RECEIPT: \
             this kernel does not support EV_RECEIPT, which minimio needs",
        ));
    }
    Ok(receipts)
}

/// Whether a [`PROBE`] found knotes: `Some(true)` if one direction exists, `Some(false)` if
/// none does, `None` if a receipt is missing and the probe must be asked again.
pub(super) fn probe_found(receipts: &[Receipt]) -> io::Result<Option<bool>> {
    let mut found = false;
    for receipt in receipts {
        match receipt.map(errno) {
            None => return Ok(None),
            Some(0) => found = true,
            Some(kernel::ENOENT | kernel::EBADF) => {}
            Some(other) => return Err(io::Error::from_raw_os_error(other)),
        }
    }
    Ok(Some(found))
}

/// The result of applying `changes`: the first real error among their receipts. A missing
/// receipt counts as success, because an interrupted `kevent` has still applied every change.
/// Ignored: `ENOENT` from removing a filter that was not there, and `EPIPE` from adding a pipe
/// whose other end is closed (older macOS refuses it, yet reports the hang-up all the same).
pub(super) fn applied(changes: &[Change], receipts: &[Receipt]) -> io::Result<()> {
    for (change, receipt) in changes.iter().zip(receipts) {
        let removing = change.flags & DELETE != 0;
        match receipt.map(errno) {
            None | Some(0) => {}
            Some(kernel::ENOENT) if removing => {}
            Some(kernel::EPIPE) if !removing => {}
            Some(other) => return Err(io::Error::from_raw_os_error(other)),
        }
    }
    Ok(())
}

/// The result of [`REMOVE`]: `NotFound` if neither direction existed, as epoll says `ENOENT`.
pub(super) fn removed(receipts: &[Receipt]) -> io::Result<()> {
    if receipts
        .iter()
        .all(|r| r.map(errno) == Some(kernel::ENOENT))
    {
        return Err(not_registered());
    }
    applied(&REMOVE, receipts)
}

pub(super) fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "the fd is not registered with this Poll",
    )
}

fn already_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "the fd is already registered with this Poll",
    )
}

fn errno(data: i64) -> i32 {
    i32::try_from(data).unwrap_or(i32::MAX)
}

/// What the selector remembers of an fd it registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Registration {
    pub(super) token: Token,
    pub(super) interests: Interest,
}

impl Registration {
    /// Whether the registration made knotes. One for AIO or LIO alone makes none: those
    /// completions are tied to the queue by each request, not by registering.
    pub(super) fn has_knotes(self) -> bool {
        self.interests.is_readable() || self.interests.is_writable()
    }
}

/// The kernel as the rules use it: the knotes of one ident (an fd, or a user event's number).
pub(super) trait Kernel {
    /// One `kevent` call that applies `changes`, each with the token it carries as `udata`,
    /// with an event list of exactly N slots and a zero timeout. Errors other than `EINTR` are
    /// returned as they are.
    fn submit<const N: usize>(&mut self, changes: &[(Change, Token); N]) -> io::Result<Answer<N>>;
}

/// Every change of `changes`, carrying `token`.
fn carrying<const N: usize>(changes: [Change; N], token: Token) -> [(Change, Token); N] {
    changes.map(|change| (change, token))
}

/// One call and its receipts, one per change.
pub(super) fn submit<const N: usize>(
    kernel: &mut impl Kernel,
    changes: &[(Change, Token); N],
) -> io::Result<[Receipt; N]> {
    let answer = kernel.submit(changes)?;
    receipts(&changes.map(|(change, _)| change), &answer)
}

/// One call that applies `changes`, all carrying `token`, and its result by [`applied`].
pub(super) fn apply<const N: usize>(
    kernel: &mut impl Kernel,
    changes: [Change; N],
    token: Token,
) -> io::Result<()> {
    let receipts = submit(kernel, &carrying(changes, token))?;
    applied(&changes, &receipts)
}

/// How many times [`is_live`] sends its probe while signals keep interrupting it.
pub(super) const PROBE_TRIES: usize = 3;

/// Whether the knotes of a registration still exist: a [`PROBE`], carrying the registration's
/// own token because a change also rewrites `udata`.
///
/// A signal may interrupt the call before the kernel writes the receipts; the probe changed
/// nothing, so it is sent again, [`PROBE_TRIES`] times at most: after that the error is of kind
/// `Interrupted` (nothing was changed, the caller may try again). A kernel that returns without
/// receipts is refused at once (see [`receipts`]).
pub(super) fn is_live(kernel: &mut impl Kernel, registration: Registration) -> io::Result<bool> {
    if !registration.has_knotes() {
        // Nothing to ask the kernel about: the record is taken at its word.
        return Ok(true);
    }
    for _ in 0..PROBE_TRIES {
        let receipts = submit(kernel, &carrying(PROBE, registration.token))?;
        if let Some(found) = probe_found(&receipts)? {
            return Ok(found);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::Interrupted,
        "signals interrupted every kevent that asked whether the fd is registered",
    ))
}

/// Registers an fd: `AlreadyExists` if the selector's record of it (`recorded`) still has live
/// knotes, otherwise the knotes of `new` are added. A failed register leaves nothing behind.
pub(super) fn register(
    kernel: &mut impl Kernel,
    recorded: Option<Registration>,
    new: Registration,
) -> io::Result<()> {
    if let Some(current) = recorded {
        if is_live(kernel, current)? {
            return Err(already_registered());
        }
    }
    let result = apply(kernel, set_interest(new.interests), new.token);
    if result.is_err() {
        // One direction may have been added before the other failed. (Removing what is not
        // there only yields ENOENT.)
        let _ = submit(kernel, &carrying(REMOVE, new.token));
    }
    result
}

/// Rewrites the registration `current` as `new` in one `kevent` call: `NotFound` if its knotes
/// died with a closed fd, after which the caller forgets the fd.
///
/// The kernel cannot say whether an `EV_ADD` found a knote or made one, yet a reregister must
/// fail for an fd that was closed (and maybe reused) since it was registered, where epoll says
/// `ENOENT`. So the one changelist is the [`PROBE`] first, then the new interest:
///
/// - The probe's receipts tell whether knotes were there *before* the new interest was
///   applied, since the kernel applies a changelist in order. They carry the current token,
///   so a probed direction that is then removed never carries the new token for a moment (a
///   thread in `Poll::poll` might collect it in between).
/// - Knotes there (the common case): the receipts of the new interest are the result. One
///   call, where asking and then applying would be two.
/// - No knotes: the fd was closed. If its number was reused, the `EV_ADD`s have just given
///   knotes to a file that was never registered; a second call removes them (only an fd that
///   is still closed, whose every change failed with `EBADF`, has nothing to remove).
/// - A probe receipt missing (a signal interrupted the call, after every change was applied):
///   the record is trusted and the reregister succeeds. Were the fd in fact closed and reused,
///   the new file now has these knotes and the record says so: consistent, though `NotFound`
///   was due. The kernels skip collecting reports once a receipt is written, so a signal has
///   no wait to interrupt here; this is the cautious reading of kevent(2)'s `EINTR`.
/// - A registration without knotes (AIO or LIO alone) has nothing to probe: the record is
///   taken at its word.
pub(super) fn reregister(
    kernel: &mut impl Kernel,
    current: Registration,
    new: Registration,
) -> io::Result<()> {
    let interest = set_interest(new.interests);
    if !current.has_knotes() {
        return apply(kernel, interest, new.token);
    }
    let [probe_read, probe_write] = carrying(PROBE, current.token);
    let [read, write] = carrying(interest, new.token);
    let receipts = submit(kernel, &[probe_read, probe_write, read, write])?;
    let (probed, applied_now) = receipts.split_at(PROBE.len());
    if probe_found(probed)? != Some(false) {
        return applied(&interest, applied_now);
    }
    let closed = applied_now
        .iter()
        .all(|r| r.map(errno) == Some(kernel::EBADF));
    if !closed {
        let _ = submit(kernel, &carrying(REMOVE, new.token));
    }
    Err(not_registered())
}

/// Removes the knotes of `current`: `NotFound` if none was left.
pub(super) fn deregister(kernel: &mut impl Kernel, current: Registration) -> io::Result<()> {
    if !current.has_knotes() {
        return Ok(());
    }
    let receipts = submit(kernel, &carrying(REMOVE, Token(0)))?;
    removed(&receipts)
}

/// What one report says, in the terms of `Event`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Readiness {
    pub(super) readable: bool,
    pub(super) writable: bool,
    pub(super) error: bool,
    pub(super) read_closed: bool,
    pub(super) write_closed: bool,
    pub(super) aio: bool,
    pub(super) lio: bool,
}

/// Each report is about one filter, so one report is readable or writable, never both.
///
/// `EV_EOF` on the read filter means the peer will send nothing more, but `data` may still
/// count buffered bytes: the report stays readable (as well as read-closed), so the program
/// reads them before it sees the end. For a socket, a pending error comes with `EV_EOF` and its
/// errno in `fflags`. A user event is the waker, which the other backends report as readable.
pub(super) fn readiness(report: &Report) -> Readiness {
    let eof = report.flags & EOF != 0;
    Readiness {
        readable: report.filter == READ || report.filter == USER,
        writable: report.filter == WRITE,
        error: report.flags & ERROR != 0 || (eof && report.fflags != 0),
        read_closed: report.filter == READ && eof,
        write_closed: report.filter == WRITE && eof,
        aio: is_aio(report.filter),
        lio: is_lio(report.filter),
    }
}

#[cfg(any(minimio_evfilt_aio, not(minimio_bsd)))]
fn is_aio(filter: Filter) -> bool {
    filter == kernel::EVFILT_AIO as Filter
}

#[cfg(all(minimio_bsd, not(minimio_evfilt_aio)))]
fn is_aio(_: Filter) -> bool {
    false
}

#[cfg(any(minimio_evfilt_lio, not(minimio_bsd)))]
fn is_lio(filter: Filter) -> bool {
    filter == kernel::EVFILT_LIO as Filter
}

#[cfg(all(minimio_bsd, not(minimio_evfilt_lio)))]
fn is_lio(_: Filter) -> bool {
    false
}

/// The longest single wait. Kernels convert the timespec to ticks or absolute time, and some
/// overflow or round far beyond this; a longer timeout is waited out one day at a time.
pub(super) const LONGEST_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// When a wait must end: at once (a zero timeout only checks), at an instant, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Deadline {
    Now,
    At(Instant),
    Never,
}

impl Deadline {
    /// The deadline of a wait for `timeout` that starts `now`. One too far away to represent as
    /// an [`Instant`] is never.
    pub(super) fn after(timeout: Option<Duration>, now: Instant) -> Deadline {
        match timeout {
            Some(timeout) if timeout.is_zero() => Deadline::Now,
            Some(timeout) => now
                .checked_add(timeout)
                .map_or(Deadline::Never, Deadline::At),
            None => Deadline::Never,
        }
    }

    /// The timeout of one `kevent` call made `now`: `None` (a null timespec) for ever,
    /// otherwise the time left, at most [`LONGEST_WAIT`]. kevent takes nanoseconds, so nothing
    /// is rounded.
    pub(super) fn wait_from(self, now: Instant) -> Option<Duration> {
        match self {
            Deadline::Now => Some(Duration::ZERO),
            Deadline::At(at) => Some(at.saturating_duration_since(now).min(LONGEST_WAIT)),
            Deadline::Never => None,
        }
    }
}

/// What the result of one waiting `kevent` (the number of reports, or the error) means when it
/// comes back `now`: `Some` result for `select` to return, or `None` to wait again.
///
/// No reports before the deadline (a day-long slice of a longer wait ended, or the kernel woke
/// early) means waiting again for the time left, so a timeout never ends a wait early. A
/// signal (`EINTR`) ends the wait at once, deadline or not, with its `Interrupted` error, as
/// mio's `Poll::poll` does: a program whose handler sets a flag sees the wait end and looks at
/// the flag. The waiting call carries no changes, so the error hides nothing that was applied.
pub(super) fn after_wait(
    waited: io::Result<usize>,
    deadline: Deadline,
    now: Instant,
) -> Option<io::Result<()>> {
    match waited {
        Ok(0) => {}
        Ok(_) => return Some(Ok(())),
        Err(err) => return Some(Err(err)),
    }
    match deadline {
        Deadline::At(at) if now < at => None,
        Deadline::Never => None,
        Deadline::Now | Deadline::At(_) => Some(Ok(())),
    }
}

#[cfg(test)]
mod tests;
