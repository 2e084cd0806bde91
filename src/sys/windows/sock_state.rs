//! The state minimio keeps for one socket polled through AFD: a small state machine.
//!
//! A socket has at most one poll request in flight. It is *idle* (none), *pending* (one, for a
//! set of events) or *cancelled* (one, asked to stop because it asks for too little, or because
//! the socket left). A cancelled request is replaced only after its completion packet is back,
//! and a socket marked *deleted* (deregistered, dropped or closed) issues nothing more.
//!
//! The request's memory, the `iosb` and `poll_info` blocks here, is written by the driver until
//! the packet is dequeued; each request owns a strong reference to its `SockState` for that
//! long, which keeps the blocks where they are.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::{fmt, io, ptr};

use super::afd::{self, Afd};
use super::event::{Event, POLL_FAILED};
use super::{ffi, lock};
use crate::Token;

/// What the selector keeps for one registered socket.
pub(crate) struct SockState {
    /// The driver's status block for this socket's request in flight.
    iosb: UnsafeCell<ffi::IO_STATUS_BLOCK>,
    /// The request itself, which the driver overwrites with the result.
    poll_info: UnsafeCell<ffi::AFD_POLL_INFO>,
    state: Mutex<SockInner>,
    /// Whether `state.error` holds an error: read on every I/O call, without the lock.
    has_error: AtomicBool,
}

// SAFETY: `iosb` and `poll_info` are written by us only under `state`'s lock while no request
// is in flight, by the driver only while one is, and read by us only under the lock after its
// packet has been dequeued; the raw socket handle in them is a plain value.
unsafe impl Send for SockState {}
// SAFETY: as for Send: every access to the cells is serialised by `state` or by the kernel's
// ownership of an in-flight request.
unsafe impl Sync for SockState {}

struct SockInner {
    base_socket: ffi::SOCKET,
    afd: Arc<Afd>,
    token: Token,
    /// The AFD events the registration asks for.
    wanted: u32,
    /// Those of `wanted` not reported since the last `WouldBlock` (edge-trigger emulation).
    armed: u32,
    poll: PollState,
    /// In the selector's update queue.
    queued: bool,
    /// Deregistered, dropped or closed: report nothing more, issue no new request.
    deleted: bool,
    /// Why the last poll request failed, once reported and until an I/O call has returned it.
    error: Option<io::Error>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PollState {
    /// No request in flight.
    Idle,
    /// A request for `events` is in flight.
    Pending { events: u32 },
    /// A request is in flight and has been asked to cancel; it is not replaced until its packet
    /// is back, so that a socket never has two.
    Cancelled,
}

impl fmt::Debug for SockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("SockState")
            .field("token", &state.token)
            .field("poll", &state.poll)
            .field("deleted", &state.deleted)
            .finish_non_exhaustive()
    }
}

impl SockState {
    pub(super) fn new(
        base_socket: ffi::SOCKET,
        afd: Arc<Afd>,
        token: Token,
        wanted: u32,
    ) -> SockState {
        SockState {
            iosb: UnsafeCell::new(ffi::IO_STATUS_BLOCK {
                Anonymous: ffi::IO_STATUS_BLOCK_0 { Status: 0 },
                Information: 0,
            }),
            poll_info: UnsafeCell::new(ffi::AFD_POLL_INFO {
                Timeout: 0,
                NumberOfHandles: 0,
                Exclusive: 0,
                Handles: [ffi::AFD_POLL_HANDLE_INFO {
                    Handle: ptr::null_mut(),
                    Events: 0,
                    Status: 0,
                }],
            }),
            state: Mutex::new(SockInner {
                base_socket,
                afd,
                token,
                wanted,
                armed: wanted,
                poll: PollState::Idle,
                queued: false,
                deleted: false,
                error: None,
            }),
            has_error: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SockInner> {
        lock(&self.state)
    }

    /// A new registration: token and events, all armed.
    pub(super) fn set_interest(&self, token: Token, wanted: u32) {
        let mut state = self.lock();
        state.token = token;
        state.wanted = wanted;
        state.armed = wanted;
    }

    /// Arms every wanted event again; false if there was nothing to re-arm.
    pub(super) fn rearm(&self) -> bool {
        let mut state = self.lock();
        if state.deleted || state.armed == state.wanted {
            return false;
        }
        state.armed = state.wanted;
        true
    }

    /// Marks the socket as queued for an update; false if it already was.
    pub(super) fn mark_queued(&self) -> bool {
        !std::mem::replace(&mut self.lock().queued, true)
    }

    /// Brings the socket's request in line with what it wants: issues one, or cancels one that
    /// asks for too little (its replacement follows once its packet is back). `in_flight`
    /// counts the requests whose packets are still to come.
    pub(super) fn update(self: &Arc<Self>, in_flight: &AtomicUsize) -> io::Result<()> {
        let mut state = self.lock();
        state.queued = false;
        if state.deleted {
            return Ok(());
        }
        let events = state.wanted & state.armed;
        match state.poll {
            PollState::Pending { events: asked } if events & !asked != 0 => {
                // SAFETY: the request is pending, so its packet has not been dequeued and its
                // status block (inside `self`) is still the live one the driver knows.
                unsafe { state.afd.cancel(self.iosb.get()) }?;
                state.poll = PollState::Cancelled;
            }
            PollState::Idle if events != 0 => self.submit(&mut state, events, in_flight)?,
            _ => {}
        }
        Ok(())
    }

    /// Issues one `IOCTL_AFD_POLL` for this socket, whose state is locked and idle.
    fn submit(
        self: &Arc<Self>,
        state: &mut SockInner,
        events: u32,
        in_flight: &AtomicUsize,
    ) -> io::Result<()> {
        let request = ffi::AFD_POLL_INFO {
            // Never time out: the request ends with an event or a cancellation.
            Timeout: i64::MAX,
            NumberOfHandles: 1,
            Exclusive: 0,
            Handles: [ffi::AFD_POLL_HANDLE_INFO {
                Handle: state.base_socket as ffi::HANDLE,
                // A close of the socket completes the request too, so it never outlives it.
                Events: events | ffi::AFD_POLL_LOCAL_CLOSE,
                Status: 0,
            }],
        };
        // SAFETY: the socket's poll is idle, so no request uses these blocks, and we hold the
        // lock that every other access goes through.
        unsafe {
            self.poll_info.get().write(request);
            self.iosb.get().write(ffi::IO_STATUS_BLOCK {
                Anonymous: ffi::IO_STATUS_BLOCK_0 {
                    Status: ffi::STATUS_PENDING,
                },
                Information: 0,
            });
        }
        let context = Arc::into_raw(Arc::clone(self));
        in_flight.fetch_add(1, Ordering::SeqCst);
        // SAFETY: `poll_info` and `iosb` live inside the SockState that `context` keeps alive
        // (a strong reference taken back only when this request's packet is dequeued, in
        // `Selector::handle_completion`); an `Arc`'s contents never move; they are
        // `UnsafeCell`s, and nothing reads or writes them while the state says Pending or
        // Cancelled.
        let issued = unsafe {
            state
                .afd
                .poll(self.poll_info.get(), self.iosb.get(), context.cast())
        };
        match issued {
            Ok(()) => {
                state.poll = PollState::Pending { events };
                Ok(())
            }
            Err(err) => {
                in_flight.fetch_sub(1, Ordering::SeqCst);
                // SAFETY: the driver refused the request, so no packet will hand `context`
                // back; this takes back the reference `into_raw` gave away above.
                drop(unsafe { Arc::from_raw(context) });
                if err.raw_os_error() == Some(ffi::ERROR_INVALID_HANDLE as i32) {
                    // The socket was closed without being deregistered: nothing left to watch.
                    state.deleted = true;
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    /// After its request could not be issued: disarms the socket (asking again would fail
    /// again until its owner has tried I/O), keeps `err` for the owner's next I/O call, and
    /// returns the failure report for its token, unless it has been deleted meanwhile.
    pub(super) fn fail_update(&self, err: io::Error) -> Option<Event> {
        let mut state = self.lock();
        if state.deleted {
            return None;
        }
        state.armed = 0;
        self.keep_error(&mut state, err);
        Some(Event {
            flags: POLL_FAILED,
            data: state.token.0 as u64,
        })
    }

    fn keep_error(&self, state: &mut SockInner, err: io::Error) {
        state.error = Some(err);
        self.has_error.store(true, Ordering::Release);
    }

    /// The failure of a poll request that has been reported and not yet returned by an I/O call.
    pub(crate) fn take_error(&self) -> Option<io::Error> {
        if !self.has_error.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.lock();
        self.has_error.store(false, Ordering::Release);
        state.error.take()
    }

    /// Stops everything for this socket: no more reports, and a request in flight is cancelled.
    /// Its memory stays alive until that request's packet is dequeued (the request owns a
    /// reference to it). Works without the selector, which may be gone already.
    pub(crate) fn delete(&self) {
        let mut state = self.lock();
        if state.deleted {
            return;
        }
        state.deleted = true;
        if let PollState::Pending { .. } = state.poll {
            // SAFETY: the request is pending, so its packet has not been dequeued and its status
            // block is the live one the driver knows. If cancelling fails, the request ends by
            // itself (at the latest when the socket closes) and is ignored then.
            let _ = unsafe { state.afd.cancel(self.iosb.get()) };
            state.poll = PollState::Cancelled;
        }
    }

    /// Called once per dequeued packet of this socket. Returns the report to hand out, if any,
    /// and whether the socket should be polled again.
    pub(super) fn complete(&self) -> (Option<Event>, bool) {
        let mut state = self.lock();
        state.poll = PollState::Idle;
        if state.deleted {
            return (None, false);
        }
        // SAFETY: this socket's request has completed and its packet was dequeued, so the driver
        // no longer writes here; we hold the lock, which every other access takes.
        let (iosb, result) = unsafe { (&*self.iosb.get(), &*self.poll_info.get()) };
        // SAFETY: both views of the union are plain data; the driver wrote `Status`.
        let status = unsafe { iosb.Anonymous.Status };
        // Where the tests make a request fail (see `faults`).
        #[cfg(test)]
        let status = super::faults::take_failure(state.base_socket).unwrap_or(status);
        let happened = if status == ffi::STATUS_CANCELLED {
            0
        } else if afd::is_nt_error(status) {
            // The request failed as a whole.
            POLL_FAILED
        } else if result.NumberOfHandles == 0 {
            0
        } else if result.Handles[0].Events & ffi::AFD_POLL_LOCAL_CLOSE != 0 {
            // Closed by us: the socket is gone, whatever else the driver says.
            state.deleted = true;
            return (None, false);
        } else {
            result.Handles[0].Events
        };
        let reported = happened & (state.armed | POLL_FAILED);
        state.armed &= !reported;
        if reported & POLL_FAILED != 0 {
            // Asking again would fail again: wait for the owner to try I/O first.
            state.armed = 0;
            self.keep_error(&mut state, afd::nt_error(status));
        }
        let event = (reported != 0).then(|| Event {
            flags: reported,
            data: state.token.0 as u64,
        });
        (event, true)
    }
}
