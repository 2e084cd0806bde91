//! [`Poll`] and [`Registry`]: the event queue and the handle that fills it.

#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;
use std::{fmt, io};

use crate::event::Source;
use crate::{sys, Events, Interest, Token};

/// The event queue: sources are registered through its [`Registry`], and [`Poll::poll`] waits
/// until some of them are ready.
///
/// # Examples
///
/// Wait for a connection to finish connecting:
///
/// ```
/// use std::time::Duration;
/// use minimio::net::{TcpListener, TcpStream};
/// use minimio::{Events, Interest, Poll, Token};
///
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut stream = TcpStream::connect(listener.local_addr()?)?;
///
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut stream, Token(0), Interest::WRITABLE)?;
///
/// let mut events = Events::with_capacity(16);
/// loop {
///     poll.poll(&mut events, Some(Duration::from_secs(10)))?;
///     if events.iter().any(|event| event.token() == Token(0) && event.is_writable()) {
///         break;
///     }
/// }
/// assert!(stream.take_error()?.is_none());
/// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Readiness is edge-triggered
///
/// An event says a source *became* ready. It is not repeated while the source stays ready: after
/// a readable event, keep reading until a read returns `WouldBlock` (or 0 bytes for end of
/// stream). Only then is the next arrival of data guaranteed to produce a new event. Stopping
/// early — reading one message and going back to `poll` — can wait for ever on bytes that are
/// already there. The same holds for writing: write until `WouldBlock`, then wait for writable.
///
/// # Spurious events
///
/// `poll` may report a source that turns out not to be ready, and may report it more often than
/// strictly needed (for example when it is re-registered). Treat events as hints and let the
/// I/O call decide; `WouldBlock` just means "wait for the next event".
///
/// # Threads
///
/// `Poll` is `Send`: one thread owns it and calls `poll`. Its [`Registry`] is `Send + Sync`, and
/// [`Registry::try_clone`] gives other threads their own handle: they may register, reregister
/// and deregister while the owner is blocked in `poll`, and the blocked call sees those changes
/// (an already-ready source registered meanwhile is reported without waiting for the timeout).
/// To interrupt a blocked `poll` on purpose, use a [`Waker`](crate::Waker).
///
/// # Signals
///
/// On Unix, a signal whose handler runs while `poll` waits ends the wait: `poll` returns
/// [`io::ErrorKind::Interrupted`] with `events` empty, as mio does. That is what lets a handler
/// that only sets a flag stop a loop at once: the loop sees `Interrupted`, looks at the flag, and
/// either stops or calls `poll` again. Signals that are ignored, blocked in the polling thread,
/// or delivered to another thread do not interrupt it. (Windows has no signals; its console
/// events do not touch a waiting `poll`.)
///
/// ```no_run
/// # use std::io::ErrorKind;
/// # use minimio::{Events, Poll};
/// # fn stop_requested() -> bool { false }
/// # let mut poll = Poll::new()?;
/// # let mut events = Events::with_capacity(64);
/// loop {
///     match poll.poll(&mut events, None) {
///         Ok(()) => {}
///         Err(e) if e.kind() == ErrorKind::Interrupted && stop_requested() => break,
///         Err(e) if e.kind() == ErrorKind::Interrupted => continue,
///         Err(e) => return Err(e),
///     }
///     // ... handle `events` ...
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Poll {
    registry: Registry,
}

/// Registers sources with a [`Poll`]. Obtained from [`Poll::registry`]; `Send + Sync`.
///
/// Every clone made by [`try_clone`](Registry::try_clone) refers to the same queue, which lives
/// as long as the `Poll` or any clone of its registry does.
pub struct Registry {
    selector: Arc<sys::Selector>,
}

impl Poll {
    /// Creates a new event queue, close-on-exec: an epoll instance on Linux, a kqueue on macOS,
    /// iOS and the BSDs (with the poll(2) backend, a table in user space and a wake-up pipe), an
    /// I/O completion port on Windows.
    ///
    /// # Errors
    ///
    /// Whatever the OS reports when it cannot create one, typically because the process or the
    /// system is out of file descriptors (`EMFILE`/`ENFILE`).
    pub fn new() -> io::Result<Poll> {
        Ok(Poll {
            registry: Registry {
                selector: Arc::new(sys::Selector::new()?),
            },
        })
    }

    /// The handle for registering sources with this queue.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Waits for readiness events and puts them in `events`, replacing what was there.
    ///
    /// - `timeout: None` waits until at least one event arrives.
    /// - `Some(Duration::ZERO)` checks and returns at once.
    /// - Any other timeout is a minimum: without an event, `poll` returns after *at least* that
    ///   long (rounded up to the kernel's granularity: one millisecond for epoll and poll(2),
    ///   none for kqueue, which takes nanoseconds, a clock tick of about 15.6 ms on Windows),
    ///   never before.
    ///   Timeouts too long to express (such as `Duration::MAX`) wait for an event.
    ///
    /// When it returns because the timeout passed, `events` is empty. At most
    /// [`events.capacity()`](Events::capacity) events are returned; more ready sources wait for
    /// the next call, none is lost.
    ///
    /// # Errors
    ///
    /// - [`io::ErrorKind::InvalidInput`] if `events` has zero capacity.
    /// - [`io::ErrorKind::Interrupted`] if a signal handler ran during the wait (Unix; see
    ///   [Signals](Poll#signals)); `events` is empty, and calling `poll` again is always fine.
    /// - Other errors come from the OS and are not expected in a correct program.
    #[inline]
    pub fn poll(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        if events.capacity() == 0 {
            return Err(zero_capacity());
        }
        self.registry.selector.select(events.sys(), timeout)
    }
}

/// Kept out of line so that the check costs `poll` a comparison and nothing more.
#[cold]
fn zero_capacity() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "cannot poll into an `Events` with zero capacity",
    )
}

impl Registry {
    /// Starts watching `source` for `interests`; its events will carry `token`.
    ///
    /// Registration is edge-triggered (see [`Poll`]). If the source is already ready, the first
    /// `poll` reports it, so nothing that happened before registering is missed.
    ///
    /// Several sources may share a token; minimio does not look at it, it only hands it back.
    ///
    /// # Errors
    ///
    /// - [`io::ErrorKind::AlreadyExists`] if the source is already registered with this queue, or
    ///   (for minimio's own types) with another queue that still exists. Use
    ///   [`reregister`](Registry::reregister) to change a registration.
    /// - For a `unix::SourceFd` (Unix only), whatever the kernel says about the fd:
    ///   `EBADF` for a closed fd, `EPERM` (`PermissionDenied`) for files that cannot be polled,
    ///   such as regular files.
    ///
    /// # Examples
    ///
    /// ```
    /// use minimio::net::TcpListener;
    /// use minimio::{Interest, Poll, Token};
    ///
    /// let poll = Poll::new()?;
    /// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
    ///
    /// let again = poll.registry().register(&mut listener, Token(1), Interest::READABLE);
    /// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register<S>(&self, source: &mut S, token: Token, interests: Interest) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        source.register(self, token, interests)
    }

    /// Replaces the token and interest of a registered source.
    ///
    /// If the source is ready for the new interest, the next `poll` reports it (with the new
    /// token), even if that readiness was already reported before.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] if the source is not registered with this queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use minimio::net::TcpListener;
    /// use minimio::{Interest, Poll, Token};
    ///
    /// let poll = Poll::new()?;
    /// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
    /// poll.registry().reregister(&mut listener, Token(5), Interest::READABLE)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reregister<S>(&self, source: &mut S, token: Token, interests: Interest) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        source.reregister(self, token, interests)
    }

    /// Stops watching `source`. No `poll` that starts after this returns will report it, whatever
    /// happens to it. (Events already copied into an [`Events`] by an earlier `poll` stay there.)
    ///
    /// Dropping a minimio socket or pipe also removes its registration, even when a duplicate of
    /// its fd stays open elsewhere. A `unix::SourceFd` (Unix only) is not dropped that way:
    /// deregister it before closing an fd that has duplicates, since the kernel keeps a
    /// registration until the last duplicate is closed.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] if the source is not registered with this queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use minimio::net::TcpListener;
    /// use minimio::{Interest, Poll, Token};
    ///
    /// let poll = Poll::new()?;
    /// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
    /// poll.registry().deregister(&mut listener)?;
    /// let again = poll.registry().deregister(&mut listener);
    /// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn deregister<S>(&self, source: &mut S) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        source.deregister(self)
    }

    /// Another handle to the same queue, for use on another thread.
    ///
    /// # Errors
    ///
    /// None today: clones share the queue rather than duplicating its fd. The `Result` keeps the
    /// signature mio code expects.
    ///
    /// # Examples
    ///
    /// ```
    /// use minimio::Poll;
    ///
    /// let poll = Poll::new()?;
    /// let registry = poll.registry().try_clone()?;
    /// std::thread::spawn(move || drop(registry)).join().unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<Registry> {
        Ok(Registry {
            selector: Arc::clone(&self.selector),
        })
    }

    /// The backend queue, for sources and wakers.
    pub(crate) fn selector(&self) -> &Arc<sys::Selector> {
        &self.selector
    }
}

/// The epoll or kqueue fd, which is readable while events are pending, so a `Poll` can be
/// watched by another event loop. With the poll(2) backend there is no such fd: this is its
/// wake-up pipe, which does not become readable when sources are ready.
#[cfg(unix)]
impl AsRawFd for Poll {
    fn as_raw_fd(&self) -> RawFd {
        self.registry.as_raw_fd()
    }
}

#[cfg(unix)]
impl AsFd for Poll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.registry.as_fd()
    }
}

#[cfg(unix)]
impl AsRawFd for Registry {
    fn as_raw_fd(&self) -> RawFd {
        self.selector.as_raw_fd()
    }
}

#[cfg(unix)]
impl AsFd for Registry {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.selector.as_fd()
    }
}

impl fmt::Debug for Poll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poll")
            .field("registry", &self.registry)
            .finish()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("selector", &self.selector)
            .finish()
    }
}
