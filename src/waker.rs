//! [`Waker`]: ending a blocked `poll` from another thread.

use std::io;

use crate::{sys, Registry, Token};

/// Makes a [`Poll`](crate::Poll) return from another thread, with an event for a token of the
/// caller's choosing.
///
/// The event is readable and carries the waker's token. Several wakes before the poller looks
/// may be reported as one event; each wake that happens after a `poll` has returned the previous
/// event produces a new one, so a wake is never lost.
///
/// On Linux a waker is an eventfd and a wake is one `write` system call. Under kqueue it is a
/// user event (`EVFILT_USER`, one `kevent` call per wake), or a pipe on NetBSD and OpenBSD. The
/// poll(2) backend keeps wakes in the queue itself, and writes to its wake-up pipe only while a
/// `poll` is sleeping. On Windows a wake posts one completion packet to the queue (and none
/// while an earlier one is still unread).
///
/// A waker stays usable after its `Poll` is dropped: `wake` then succeeds and nobody is told.
/// Create one waker per `Poll` and share it (it is `Send + Sync`, put it in an `Arc`); each waker
/// costs a file descriptor (none with the poll(2) backend, and no handle on Windows).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use minimio::{Events, Poll, Token, Waker};
///
/// const WAKE: Token = Token(10);
///
/// let mut poll = Poll::new()?;
/// let waker = Arc::new(Waker::new(poll.registry(), WAKE)?);
///
/// let remote = Arc::clone(&waker);
/// let handle = thread::spawn(move || remote.wake().expect("wake failed"));
///
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, None)?; // blocks until the other thread wakes us
/// assert!(events.iter().any(|event| event.token() == WAKE && event.is_readable()));
/// handle.join().unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Waker {
    inner: sys::Waker,
}

impl Waker {
    /// Creates a waker registered with `registry` under `token`.
    ///
    /// # Errors
    ///
    /// What the OS reports when it cannot create or register the wake-up object, typically
    /// running out of file descriptors.
    pub fn new(registry: &Registry, token: Token) -> io::Result<Waker> {
        sys::Waker::new(registry.selector(), token).map(|inner| Waker { inner })
    }

    /// Wakes the `Poll`: its current or next `poll` returns with a readable event for this
    /// waker's token. Safe to call from any thread, any number of times.
    ///
    /// # Errors
    ///
    /// Not expected in practice; an error would come from the OS's write to the wake-up object.
    pub fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}
