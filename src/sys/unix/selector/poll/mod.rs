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
//! reported once: a peer's half-close (`POLLRDHUP`, on Linux and FreeBSD), an error, a hang-up.
//! So a peer that sends and then closes is heard, as under epoll, even if the program has not
//! yet read the data.
//!
//! **Errors.** `poll` reports `POLLERR` (and `POLLHUP`) whatever the array asks for, for as long
//! as the condition lasts, so once one is reported the fd leaves the array altogether: keeping it
//! would make every `poll` return at once. It comes back, with every wanted interest armed, when
//! the program has dealt with the error: it took it with `take_error`, or an I/O call failed
//! (which hands the program the error, and for a socket clears it), or returned `WouldBlock`.
//! So a connected UDP socket whose datagram was refused (`POLLERR` alone, from an ICMP
//! port-unreachable) goes on hearing the datagrams that arrive after that, as under epoll.
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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::timeout_ms;
use crate::sys::unix::{ffi, pipe, syscall};
use crate::{Interest, Token};

mod readiness;
mod source;

pub(crate) use self::readiness::event;
use self::readiness::{poll_bits, report_ready, report_wakes};
pub(crate) use self::source::{IoSourceState, Waker};

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
    /// milliseconds and waited out in full (again and again if need be). A registration change
    /// does not end the wait before an event or the deadline; a signal does, as `Interrupted`.
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
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
            // A signal ends the wait as `Interrupted`, as under epoll. Pending wakes stay
            // pending: nothing was reported.
            result?;
            if array[0].revents != 0 {
                self.shared.empty_wake_pipe()?;
            }
            report_wakes(&mut state, events);
            report_ready(&mut state, &array[1..], &ids, events);
            drop(state);

            if !events.is_empty() || wait_ms == 0 {
                return Ok(());
            }
            // Nothing to report: a registration change, or a wait longer than one call can
            // express. Wait again for what is left (for ever if there is no deadline).
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
