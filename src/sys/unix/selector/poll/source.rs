//! The poll(2) backend's wakers and per-source state: both reach the selector's shared state
//! from any thread, and a source uses it to re-arm after `WouldBlock` and to leave when dropped.

use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Weak};

use super::{Selector, Shared};
use crate::sys::unix::AsRawSource;
use crate::Interest;
use crate::Token;

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

    /// Runs one I/O call. A call that fails re-arms the registration: `WouldBlock` says the
    /// program drained what was reported, and any other error has just been handed to it, so
    /// an error report is not the end of the registration (see the module docs).
    pub(crate) fn do_io<T, R>(
        &self,
        io: impl FnOnce(&T) -> io::Result<R>,
        source: &T,
    ) -> io::Result<R> {
        let result = io(source);
        if let Err(err) = &result {
            let rearmed = self.rearm();
            // The I/O error matters more than a failure to wake a sleeping poller, which only
            // delays the re-armed interests until the next `poll`.
            if err.kind() == io::ErrorKind::WouldBlock {
                rearmed?;
            }
        }
        result
    }

    /// The program took the source's pending error (`take_error`): watch it again, so that
    /// what happens next (a datagram after a refused one, say) is reported.
    pub(crate) fn error_taken(&self) {
        // As above: a failed wake-up only delays the re-armed interests to the next `poll`.
        let _ = self.rearm();
    }

    fn rearm(&self) -> io::Result<()> {
        match &self.registration {
            Some(registration) => match registration.shared.upgrade() {
                Some(shared) => shared.rearm(registration.fd, registration.id),
                None => Ok(()),
            },
            None => Ok(()),
        }
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
