//! A waker that posts a packet of its own to the completion port.
//!
//! `PostQueuedCompletionStatus` queues a packet exactly as a finished I/O would, which wakes a
//! thread blocked in `GetQueuedCompletionStatusEx`. The packet's key says "wake" and its
//! `lpOverlapped` carries the waker's state, which tells the token.
//!
//! At most one wake packet per waker is queued at a time: a wake while one is still queued
//! changes nothing (the poller has not looked yet, so it will see that one), which keeps a storm
//! of wakes from filling the port. The flag is cleared when the packet is dequeued, before the
//! event is handed out, so a wake after that posts a new packet and is never lost.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use super::event::Event;
use super::ffi;
use super::iocp::{CompletionPort, PacketKind};
use super::selector::Selector;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    /// Weak, so that a waker does not keep a dropped `Poll`'s port open.
    port: Weak<CompletionPort>,
    state: Arc<WakeState>,
}

/// What a wake packet points to. Each queued packet owns one strong reference to it.
#[derive(Debug)]
struct WakeState {
    token: Token,
    /// A wake packet of this waker is queued and not yet dequeued.
    posted: AtomicBool,
    /// Cleared when the waker is dropped: a packet of it still queued then reports nothing, as
    /// under epoll, where a dropped waker's registration goes with it.
    live: AtomicBool,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        Ok(Waker {
            port: Arc::downgrade(selector.port()),
            state: Arc::new(WakeState {
                token,
                posted: AtomicBool::new(false),
                live: AtomicBool::new(true),
            }),
        })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        if self.state.posted.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let Some(port) = self.port.upgrade() else {
            // The `Poll` is gone: nobody to tell.
            self.state.posted.store(false, Ordering::Release);
            return Ok(());
        };
        let context = Arc::into_raw(Arc::clone(&self.state));
        if let Err(err) = port.post(PacketKind::Wake, context.cast()) {
            // SAFETY: the packet was not queued, so nobody else will take back this reference.
            drop(unsafe { Arc::from_raw(context) });
            self.state.posted.store(false, Ordering::Release);
            return Err(err);
        }
        Ok(())
    }
}

impl Waker {
    /// How many wake packets of this waker are queued (each owns a reference to its state).
    #[cfg(test)]
    pub(super) fn packets_queued(&self) -> usize {
        Arc::strong_count(&self.state) - 1
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        self.state.live.store(false, Ordering::Release);
    }
}

/// The event for a dequeued wake packet, or none if its waker has been dropped since.
///
/// # Safety
///
/// `context` must be the `lpOverlapped` of a dequeued [`PacketKind::Wake`] packet, each passed
/// here once: it is then the reference [`Waker::wake`] gave away with `Arc::into_raw`.
pub(super) unsafe fn event_from_packet(context: *mut ffi::OVERLAPPED) -> Option<Event> {
    // SAFETY: by the caller's promise, this takes back the reference the packet owned.
    let state = unsafe { Arc::from_raw(context.cast::<WakeState>()) };
    state.posted.store(false, Ordering::Release);
    state.live.load(Ordering::Acquire).then(|| Event {
        flags: ffi::AFD_POLL_RECEIVE,
        data: state.token.0 as u64,
    })
}
