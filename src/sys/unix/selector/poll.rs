//! poll(2): readiness on any Unix, the fallback for systems with neither epoll nor kqueue.
//!
//! poll keeps nothing between calls. Each call takes an array of `pollfd` (an fd and the events
//! wanted), sleeps until one of them is ready or the timeout passes, and fills in `revents`. So
//! the interest list that epoll and kqueue keep in the kernel is kept here, in a map from fd to
//! [`Registration`], and every `select` makes a fresh array from it:
//!
//! 1. lock the map and build the array: the wake-up pipe first, then every armed registration;
//! 2. `poll`, with the lock released so that other threads can register in the meantime;
//! 3. lock again and turn each non-zero `revents` into an event carrying its registration's token.
//!
//! **Edge triggering is emulated.** poll is level-triggered: a readable socket is reported by
//! every call until it is drained. To give the edge-triggered contract of the other backends,
//! an interest is *disarmed* once reported (left out of the array) and *re-armed* when the
//! program has done what an edge-triggered program must do anyway: an I/O call on the source
//! returned `WouldBlock` (minimio's own sockets and pipes pass every call through
//! [`IoSourceState::do_io`]), or the source was re-registered. A
//! [`SourceFd`](crate::unix::SourceFd) performs no I/O that minimio sees, so only `reregister`
//! re-arms it; mio's poll backend has the same rule. Re-arming on `WouldBlock` rather than on
//! every call keeps a busy reader from making a system call per read to wake the poller. While
//! data interests are disarmed, the array still asks about what no read or write can drain, each
//! reported once: a peer's half-close (`POLLRDHUP`, Linux only), an error, a hang-up. So a peer
//! that sends and then closes is heard, as under epoll, even if the program has not yet read
//! the data.
//!
//! **Changes while `poll` sleeps.** The sleeping thread's array is a copy, so every change to the
//! map made while a thread is inside `poll` (register, reregister, deregister, re-arm, wake) also
//! writes one byte to a pipe whose reading end is always watched. The sleeper wakes, empties the
//! pipe and, if nothing else is ready, polls again with a rebuilt array and the time that is left.
//!
//! **Closing without deregistering.** An epoll or kqueue registration dies with its file; here it
//! would linger, so `poll` answering `POLLNVAL` (not an open fd) removes it, and minimio's own
//! sources deregister themselves when dropped (also when turned into their `std` type or a raw
//! fd, which under epoll would stay registered). A `SourceFd` must be deregistered before its fd
//! is closed: if the number is reused before the next `poll`, the new file is indistinguishable
//! from the old, and an fd whose interests were all reported (a hang-up, say) is left out of the
//! array, so its closing is never noticed at all.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::timeout_ms;
use crate::sys::unix::{ffi, pipe, syscall, AsRawSource};
use crate::{Interest, Token};

/// One readiness report: the token, and the `revents` bits that were reported for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    token: Token,
    revents: ffi::c_short,
}

/// The buffer reports are written into: its capacity is the most one `select` returns.
pub(crate) type Events = Vec<Event>;

/// A poll(2) "instance": the registrations, and the pipe that interrupts a sleeping `poll`.
#[derive(Debug)]
pub(crate) struct Selector {
    shared: Arc<Shared>,
}

/// What the selector, its wakers and its sources share. Wakers and sources hold it (strongly or
/// weakly) so that they can reach the selector from any thread.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Always first in the array: readable means "something changed, look again".
    wake_reader: File,
    wake_writer: File,
}

#[derive(Debug, Default)]
struct State {
    registrations: HashMap<RawFd, Registration>,
    /// Wakers (id and token) that woke since their last report, each at most once. By id, so
    /// that a dropped waker takes its pending wake with it without touching another waker's.
    woken: Vec<(u64, Token)>,
    /// Whether a thread sleeps in `poll` with an array built from `registrations`.
    polling: bool,
    /// Gives every registration an id of its own.
    next_id: u64,
    /// Where the next report starts looking at ready fds, so that an `Events` too small for all
    /// of them serves each in turn instead of always the same first few.
    next_first: usize,
}

#[derive(Clone, Copy, Debug)]
struct Registration {
    /// Tells this registration apart from earlier and later ones of the same fd number.
    id: u64,
    token: Token,
    /// The `POLL*` bits the interest asks for.
    wanted: ffi::c_short,
    /// The part of `wanted` not reported since it was last armed: what the next array asks for.
    armed: ffi::c_short,
}

impl Selector {
    /// A new, empty map, and the wake-up pipe (non-blocking, close-on-exec).
    pub(crate) fn new() -> io::Result<Selector> {
        let (wake_reader, wake_writer) = pipe::new_pipe()?;
        let shared = Shared {
            state: Mutex::new(State::default()),
            wake_reader,
            wake_writer,
        };
        Ok(Selector {
            shared: Arc::new(shared),
        })
    }

    /// Adds `fd`; `AlreadyExists` if it is registered already, and, as epoll does, `EBADF` if it
    /// is not an open fd.
    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.shared.add(fd, token, interests).map(drop)
    }

    /// New token and interest for a registered fd, armed afresh; `NotFound` if it is not.
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut state = self.shared.lock();
        let registration = state
            .registrations
            .get_mut(&fd)
            .ok_or_else(not_registered)?;
        let wanted = poll_bits(interests);
        *registration = Registration {
            token,
            wanted,
            armed: wanted,
            ..*registration
        };
        self.shared.interrupt_poll(&state)
    }

    /// Removes `fd`; `NotFound` if it is not registered. A `poll` already sleeping may still
    /// see the fd ready, but its report is dropped because the registration is gone.
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut state = self.shared.lock();
        state.registrations.remove(&fd).ok_or_else(not_registered)?;
        self.shared.interrupt_poll(&state)
    }

    /// Builds the array, `poll`s, and reports, replacing the contents of `events`.
    ///
    /// Timeouts follow epoll's rules: `None` waits for ever, others are rounded up to whole
    /// milliseconds and waited out in full (again and again if need be), and neither a signal
    /// (`EINTR`) nor a registration change ends the wait before an event or the deadline.
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        if events.capacity() == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot poll into an `Events` with zero capacity",
            ));
        }
        let deadline = match timeout {
            Some(timeout) if !timeout.is_zero() => Instant::now().checked_add(timeout),
            _ => None,
        };
        let mut wait_ms = timeout_ms(timeout);
        let mut array = Vec::new();
        let mut ids = Vec::new();
        loop {
            events.clear();
            let mut state = self.shared.lock();
            // Wakes already pending make this poll a check of whatever fds are ready now. They
            // are taken out of `woken` only after it succeeded, so a failing poll loses none.
            let this_wait = if state.woken.is_empty() { wait_ms } else { 0 };
            self.shared.build_array(&state, &mut array, &mut ids);
            state.polling = true;
            drop(state);

            // SAFETY: `array` is a live Vec of initialised pollfd values and the length passed is
            // its length; the kernel writes only their `revents` fields, during the call.
            let result = syscall(unsafe {
                ffi::poll(array.as_mut_ptr(), array.len() as ffi::nfds_t, this_wait)
            });

            let mut state = self.shared.lock();
            state.polling = false;
            match result {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
            if array[0].revents != 0 {
                self.shared.empty_wake_pipe()?;
            }
            report_wakes(&mut state, events);
            report_ready(&mut state, &array[1..], &ids, events);
            drop(state);

            if !events.is_empty() || wait_ms == 0 {
                return Ok(());
            }
            // Nothing to report: a signal, a registration change, or a wait longer than one call
            // can express. Wait again for what is left (for ever if there is no deadline).
            if let Some(deadline) = deadline {
                wait_ms = timeout_ms(Some(deadline.saturating_duration_since(Instant::now())));
                if wait_ms == 0 {
                    return Ok(());
                }
            }
        }
    }
}

impl Shared {
    /// The state lock. Nothing panics while holding it, so a poisoned lock still guards
    /// consistent data and is used as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `fd` and returns the new registration's id.
    fn add(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<u64> {
        // poll would only say POLLNVAL later; check now so a bad fd fails like under epoll.
        // SAFETY: F_GETFL takes no third argument and only inspects the fd table.
        syscall(unsafe { ffi::fcntl(fd, ffi::F_GETFL) })?;
        // The fd a `Poll` shows is this pipe's reading end; epoll refuses to watch itself too.
        if fd == self.wake_reader.as_raw_fd() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a Poll cannot watch its own file descriptor",
            ));
        }
        let mut state = self.lock();
        if state.registrations.contains_key(&fd) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the fd is already registered with this Poll (or an fd of that number was \
                 closed without being deregistered, which the poll(2) backend cannot always \
                 notice)",
            ));
        }
        let id = state.next_id;
        state.next_id += 1;
        let wanted = poll_bits(interests);
        let registration = Registration {
            id,
            token,
            wanted,
            armed: wanted,
        };
        state.registrations.insert(fd, registration);
        self.interrupt_poll(&state)?;
        Ok(id)
    }

    /// Arms every wanted interest of registration `id` of `fd` again, if it still exists.
    fn rearm(&self, fd: RawFd, id: u64) -> io::Result<()> {
        let mut state = self.lock();
        match state.registrations.get_mut(&fd) {
            Some(registration)
                if registration.id == id && registration.armed != registration.wanted =>
            {
                registration.armed = registration.wanted;
                self.interrupt_poll(&state)
            }
            _ => Ok(()),
        }
    }

    /// Removes registration `id` of `fd`, and no later registration of the same number.
    fn forget(&self, fd: RawFd, id: u64) -> io::Result<()> {
        let mut state = self.lock();
        if state.registrations.get(&fd).is_some_and(|r| r.id == id) {
            state.registrations.remove(&fd);
            self.interrupt_poll(&state)?;
        }
        Ok(())
    }

    /// Makes a sleeping `poll` return so that it sees the change just made to `state`.
    fn interrupt_poll(&self, state: &State) -> io::Result<()> {
        if !state.polling {
            return Ok(());
        }
        match (&self.wake_writer).write(&[1]) {
            // A full pipe already holds a wake-up that the poller has not read yet.
            Err(err) if err.kind() != io::ErrorKind::WouldBlock => Err(err),
            _ => Ok(()),
        }
    }

    /// Reads the wake-up pipe until it is empty, so that it can wake the next `poll`.
    fn empty_wake_pipe(&self) -> io::Result<()> {
        let mut sink = [0u8; 64];
        loop {
            match (&self.wake_reader).read(&mut sink) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// The array for one `poll`: the wake-up pipe, then each armed registration, with the ids
    /// of those registrations (`ids[i]` belongs to `array[i + 1]`).
    fn build_array(&self, state: &State, array: &mut Vec<ffi::pollfd>, ids: &mut Vec<u64>) {
        array.clear();
        ids.clear();
        array.push(ffi::pollfd {
            fd: self.wake_reader.as_raw_fd(),
            events: ffi::POLLIN,
            revents: 0,
        });
        for (&fd, registration) in &state.registrations {
            if registration.armed != 0 {
                array.push(ffi::pollfd {
                    fd,
                    events: registration.armed,
                    revents: 0,
                });
                ids.push(registration.id);
            }
        }
    }
}

/// Moves pending wakes into `events`, as many as fit.
fn report_wakes(state: &mut State, events: &mut Events) {
    let room = events.capacity() - events.len();
    let reported = state.woken.len().min(room);
    for (_, token) in state.woken.drain(..reported) {
        events.push(Event {
            token,
            revents: ffi::POLLIN,
        });
    }
}

/// Turns the `revents` of one `poll` into events, disarming what is reported, until `events`
/// is full; what does not fit stays armed and is reported by the next call.
fn report_ready(state: &mut State, ready: &[ffi::pollfd], ids: &[u64], events: &mut Events) {
    let first = state.next_first % ready.len().max(1);
    for index in (first..ready.len()).chain(0..first) {
        let pollfd = ready[index];
        if pollfd.revents == 0 {
            continue;
        }
        let Some(registration) = state.registrations.get_mut(&pollfd.fd) else {
            continue;
        };
        if registration.id != ids[index] {
            continue; // deregistered, and maybe registered again, while poll slept
        }
        if pollfd.revents & ffi::POLLNVAL != 0 {
            state.registrations.remove(&pollfd.fd); // closed without deregistering
            continue;
        }
        // Interests disarmed or removed while poll slept are not reported.
        let mut reported = pollfd.revents & registration.armed;
        if reported == 0 {
            continue;
        }
        // Asked for the half-close alone (data was reported already), poll leaves out POLLIN;
        // but the end of the stream is something to read, as epoll says.
        if read_hung_up(reported) {
            reported |= ffi::POLLIN;
        }
        if events.len() == events.capacity() {
            state.next_first = index;
            return;
        }
        events.push(Event {
            token: registration.token,
            revents: reported,
        });
        registration.armed &= !disarmed_by(reported);
        state.next_first = index + 1;
    }
}

/// Which armed bits a report uses up: each reported bit, on its own, so that what is still armed
/// can bring news later. A peer's half-close (`POLLRDHUP`) ends reading for good, and an error
/// or hang-up (which `poll` reports whatever the array asks for, and keeps reporting) takes the
/// fd out of the array altogether until it is re-armed.
fn disarmed_by(reported: ffi::c_short) -> ffi::c_short {
    if reported & (ffi::POLLERR | ffi::POLLHUP) != 0 {
        return !0;
    }
    let mut bits = 0;
    if reported & ffi::POLLIN != 0 {
        bits |= ffi::POLLIN;
    }
    if read_hung_up(reported) {
        bits |= ffi::POLLIN | READ_HANG_UP;
    }
    if reported & ffi::POLLPRI != 0 {
        bits |= ffi::POLLPRI;
    }
    if reported & ffi::POLLOUT != 0 {
        bits |= ffi::POLLOUT;
    }
    bits
}

/// Linux reports a peer's half-close as `POLLRDHUP` when asked; other systems have no such bit
/// and report it only as readable (a read then returns 0).
#[cfg(target_os = "linux")]
const READ_HANG_UP: ffi::c_short = ffi::POLLRDHUP;
#[cfg(not(target_os = "linux"))]
const READ_HANG_UP: ffi::c_short = 0;

/// Whether `revents` include the peer's half-close (`POLLRDHUP`, Linux only).
#[cfg(target_os = "linux")]
fn read_hung_up(revents: ffi::c_short) -> bool {
    revents & ffi::POLLRDHUP != 0
}

#[cfg(not(target_os = "linux"))]
fn read_hung_up(_: ffi::c_short) -> bool {
    false
}

/// Whether `revents` say the peer shut down its writing side; elsewhere than on Linux a read
/// returning 0 is the only sign.
fn peer_shut_down(revents: ffi::c_short) -> bool {
    revents & ffi::POLLIN != 0 && read_hung_up(revents)
}

/// What to watch for. `poll` reports errors and hang-ups (`POLLERR`, `POLLHUP`) whatever it is
/// asked, so their bits in the array change nothing for the kernel; here they mark that the fd
/// must stay in the array to hear about them, even once its other interests are disarmed (a
/// pipe's writer learns that its reader is gone, as under epoll, without writing first).
fn poll_bits(interests: Interest) -> ffi::c_short {
    let mut bits = ffi::POLLERR | ffi::POLLHUP;
    if interests.is_readable() {
        bits |= ffi::POLLIN | READ_HANG_UP;
    }
    if interests.is_writable() {
        bits |= ffi::POLLOUT;
    }
    if interests.is_priority() {
        bits |= ffi::POLLPRI;
    }
    bits
}

fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "the fd is not registered with this Poll",
    )
}

/// The fd of the wake-up pipe. Unlike an epoll or kqueue fd it does not become readable when a
/// source is ready, so a poll(2) `Poll` cannot be nested inside another event loop.
impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.shared.wake_reader.as_raw_fd()
    }
}

impl AsFd for Selector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.shared.wake_reader.as_fd()
    }
}

/// A waker is a token in the selector's list of woken tokens, and a byte in its pipe if a `poll`
/// is sleeping. It keeps the shared state alive, so waking after the `Poll` is gone still works
/// (and nobody is told).
#[derive(Debug)]
pub(crate) struct Waker {
    shared: Arc<Shared>,
    token: Token,
    /// Drawn from the registrations' ids, so unique in this selector.
    id: u64,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let mut state = selector.shared.lock();
        let id = state.next_id;
        state.next_id += 1;
        Ok(Waker {
            shared: Arc::clone(&selector.shared),
            token,
            id,
        })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        let mut state = self.shared.lock();
        if !state.woken.iter().any(|&(id, _)| id == self.id) {
            state.woken.push((self.id, self.token));
        }
        self.shared.interrupt_poll(&state)
    }
}

/// A dropped waker's token is never reported again, as under epoll and kqueue, where its
/// registration goes with it: a wake not yet reported is withdrawn.
impl Drop for Waker {
    fn drop(&mut self) {
        self.shared.lock().woken.retain(|&(id, _)| id != self.id);
    }
}

/// What a minimio socket or pipe keeps to re-arm its registration after `WouldBlock` and to
/// remove it when dropped.
#[derive(Debug)]
pub(crate) struct IoSourceState {
    registration: Option<SourceRegistration>,
}

#[derive(Debug)]
struct SourceRegistration {
    /// Weak: a dropped `Poll` takes its registrations with it, as under epoll and kqueue.
    shared: Weak<Shared>,
    fd: RawFd,
    id: u64,
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
        let fd = source.as_raw_fd();
        let id = selector.shared.add(fd, token, interests)?;
        self.registration = Some(SourceRegistration {
            shared: Arc::downgrade(&selector.shared),
            fd,
            id,
        });
        Ok(())
    }

    pub(crate) fn reregister(
        &mut self,
        selector: &Arc<Selector>,
        source: &impl AsRawSource,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        selector.reregister(source.as_raw_fd(), token, interests)
    }

    pub(crate) fn deregister(
        &mut self,
        selector: &Arc<Selector>,
        source: &impl AsRawSource,
    ) -> io::Result<()> {
        selector.deregister(source.as_raw_fd())?;
        self.registration = None;
        Ok(())
    }

    /// Runs one I/O call; `WouldBlock` re-arms the registration (see the module docs).
    pub(crate) fn do_io<T, R>(
        &self,
        io: impl FnOnce(&T) -> io::Result<R>,
        source: &T,
    ) -> io::Result<R> {
        let result = io(source);
        if let (Err(err), Some(registration)) = (&result, &self.registration) {
            if err.kind() == io::ErrorKind::WouldBlock {
                if let Some(shared) = registration.shared.upgrade() {
                    shared.rearm(registration.fd, registration.id)?;
                }
            }
        }
        result
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        if let Some(registration) = self.registration.take() {
            if let Some(shared) = registration.shared.upgrade() {
                // Only a write to our own non-blocking pipe can fail here, and a drop cannot
                // report it; the registration itself is gone either way.
                let _ = shared.forget(registration.fd, registration.id);
            }
        }
    }
}

/// Reading an [`Event`]: the same rules as epoll's bits, which have the same meaning.
pub(crate) mod event {
    use std::fmt;

    use super::Event;
    use crate::sys::unix::ffi::*;
    use crate::Token;

    pub(crate) fn token(event: &Event) -> Token {
        event.token
    }

    pub(crate) fn is_readable(event: &Event) -> bool {
        event.revents & (POLLIN | POLLPRI) != 0
    }

    pub(crate) fn is_writable(event: &Event) -> bool {
        event.revents & POLLOUT != 0
    }

    pub(crate) fn is_error(event: &Event) -> bool {
        event.revents & POLLERR != 0
    }

    /// A hang-up, or (on Linux) the peer's half-close reported with data direction in.
    pub(crate) fn is_read_closed(event: &Event) -> bool {
        event.revents & POLLHUP != 0 || super::peer_shut_down(event.revents)
    }

    /// A hang-up, an error on a writable source, or an error alone.
    pub(crate) fn is_write_closed(event: &Event) -> bool {
        let bits = event.revents;
        bits & POLLHUP != 0 || (bits & POLLOUT != 0 && bits & POLLERR != 0) || bits == POLLERR
    }

    pub(crate) fn is_priority(event: &Event) -> bool {
        event.revents & POLLPRI != 0
    }

    pub(crate) fn is_aio(_: &Event) -> bool {
        false
    }

    pub(crate) fn is_lio(_: &Event) -> bool {
        false
    }

    /// The reported `POLL*` bits by name, for `{:#?}` of an event.
    pub(crate) fn debug_details(f: &mut fmt::Formatter<'_>, event: &Event) -> fmt::Result {
        let names = [
            (POLLIN, "POLLIN"),
            (POLLPRI, "POLLPRI"),
            (POLLOUT, "POLLOUT"),
            (POLLERR, "POLLERR"),
            (POLLHUP, "POLLHUP"),
            (super::READ_HANG_UP, "POLLRDHUP"),
        ];
        let mut list = f.debug_list();
        for (_, name) in names
            .iter()
            .filter(|(bit, _)| *bit != 0 && event.revents & bit != 0)
        {
            list.entry(&format_args!("{name}"));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(token: usize, wanted: ffi::c_short) -> Registration {
        Registration {
            id: token as u64,
            token: Token(token),
            wanted,
            armed: wanted,
        }
    }

    fn ready(fd: RawFd, revents: ffi::c_short) -> ffi::pollfd {
        ffi::pollfd {
            fd,
            events: 0,
            revents,
        }
    }

    #[test]
    fn a_report_disarms_only_its_own_direction() {
        let rw = poll_bits(Interest::READABLE | Interest::WRITABLE);
        assert_eq!(disarmed_by(ffi::POLLIN) & rw, ffi::POLLIN);
        assert_eq!(
            disarmed_by(ffi::POLLIN | READ_HANG_UP) & rw,
            ffi::POLLIN | READ_HANG_UP
        );
        assert_eq!(disarmed_by(ffi::POLLOUT) & rw, ffi::POLLOUT);
        assert_eq!(rw & !disarmed_by(ffi::POLLHUP), 0);
        assert_eq!(rw & !disarmed_by(ffi::POLLOUT | ffi::POLLERR), 0);
    }

    #[test]
    fn reported_interests_are_not_reported_again_until_rearmed() {
        let mut state = State::default();
        let rw = poll_bits(Interest::READABLE | Interest::WRITABLE);
        state.registrations.insert(7, registration(1, rw));
        let mut events = Vec::with_capacity(4);
        report_ready(&mut state, &[ready(7, ffi::POLLIN)], &[1], &mut events);
        assert_eq!(events.len(), 1);
        assert!(event::is_readable(&events[0]) && !event::is_writable(&events[0]));
        let still_armed = ffi::POLLOUT | READ_HANG_UP | ffi::POLLERR | ffi::POLLHUP;
        assert_eq!(state.registrations[&7].armed, still_armed);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_half_close_after_data_is_still_reported_as_the_end_of_the_stream() {
        let mut state = State::default();
        state
            .registrations
            .insert(7, registration(1, poll_bits(Interest::READABLE)));
        let mut events = Vec::with_capacity(4);
        report_ready(&mut state, &[ready(7, ffi::POLLIN)], &[1], &mut events);
        events.clear();
        report_ready(&mut state, &[ready(7, ffi::POLLRDHUP)], &[1], &mut events);
        assert!(event::is_readable(&events[0]) && event::is_read_closed(&events[0]));
    }

    #[test]
    fn errors_are_heard_after_every_interest_was_reported() {
        let mut state = State::default();
        state
            .registrations
            .insert(3, registration(1, poll_bits(Interest::WRITABLE)));
        let mut events = Vec::with_capacity(4);
        report_ready(&mut state, &[ready(3, ffi::POLLOUT)], &[1], &mut events);
        report_ready(&mut state, &[ready(3, ffi::POLLERR)], &[1], &mut events);
        assert!(event::is_error(&events[1]) && event::is_write_closed(&events[1]));
        assert_eq!(state.registrations[&3].armed, 0);
    }

    #[test]
    fn a_full_buffer_leaves_the_rest_armed_and_serves_it_first_next_time() {
        let mut state = State::default();
        for fd in 0..3 {
            let token = fd as usize;
            state
                .registrations
                .insert(fd, registration(token, ffi::POLLIN));
        }
        let all_ready: Vec<_> = (0..3).map(|fd| ready(fd, ffi::POLLIN)).collect();
        let mut events = Vec::with_capacity(2);
        report_ready(&mut state, &all_ready, &[0, 1, 2], &mut events);
        let first: Vec<_> = events.iter().map(event::token).collect();
        assert_eq!(first, [Token(0), Token(1)]);
        assert_eq!(state.registrations[&2].armed, ffi::POLLIN);

        // Re-arm everything, as WouldBlock would: fd 2 must now come before 0 and 1.
        for registration in state.registrations.values_mut() {
            registration.armed = registration.wanted;
        }
        events.clear();
        report_ready(&mut state, &all_ready, &[0, 1, 2], &mut events);
        assert_eq!(event::token(&events[0]), Token(2));
    }

    #[test]
    fn stale_and_closed_registrations_are_not_reported() {
        let mut state = State::default();
        state.registrations.insert(4, registration(9, ffi::POLLIN));
        let mut events = Vec::with_capacity(4);
        // Reported for an older registration of the same fd number.
        report_ready(&mut state, &[ready(4, ffi::POLLIN)], &[3], &mut events);
        assert!(events.is_empty());
        // The fd was closed behind our back: the registration goes, silently.
        report_ready(&mut state, &[ready(4, ffi::POLLNVAL)], &[9], &mut events);
        assert!(events.is_empty() && state.registrations.is_empty());
    }

    #[test]
    fn wakes_wait_for_room() {
        let mut state = State {
            woken: vec![(7, Token(1)), (8, Token(2))],
            ..State::default()
        };
        let mut events = Vec::with_capacity(1);
        report_wakes(&mut state, &mut events);
        assert_eq!(event::token(&events[0]), Token(1));
        assert!(event::is_readable(&events[0]));
        assert_eq!(state.woken, [(8, Token(2))]);
    }
}
