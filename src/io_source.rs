//! [`IoSource`]: what every minimio socket and pipe is built from.
//!
//! It joins three things: the `std` object that does the actual I/O, the backend's per-source
//! state, and a record of which queue the source is registered with. That record lets minimio
//! answer misuse with a clear error on every platform (registering twice, or deregistering from
//! the wrong queue) instead of whatever each kernel happens to do.
//!
//! It also lets a dropped source take its registration with it. Closing the fd is not enough:
//! epoll keeps an entry while any duplicate of the fd is open (one made with `try_clone` before
//! `from_std`, or inherited by a child process between `fork` and `exec`), and would go on
//! reporting the dropped source's token; backends that keep a record per fd in user space
//! would keep it for a closed fd.

use std::fmt;
use std::io;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr;
use std::sync::{Arc, Weak};

use crate::{sys, Interest, Registry, Token};

pub(crate) struct IoSource<T: sys::AsRawSource> {
    /// Declared (so dropped) before `inner`: a backend that keeps its registrations in user
    /// space (poll(2)) forgets this one while the fd is still open, so another thread cannot
    /// reuse the fd number in between and find it still registered.
    state: sys::IoSourceState,
    inner: T,
    /// The queue this source was last registered with. A `Weak` so that a queue that has been
    /// dropped (taking its registrations with it) no longer counts. It is kept after
    /// deregistering, so that registering with the same queue again touches no reference count:
    /// register/deregister cycles then cost the two system calls and little else.
    last_queue: Option<Weak<sys::Selector>>,
    /// Whether the source is registered with `last_queue` now.
    registered: bool,
}

impl<T: sys::AsRawSource> IoSource<T> {
    pub(crate) fn new(inner: T) -> IoSource<T> {
        IoSource {
            state: sys::IoSourceState::new(),
            inner,
            last_queue: None,
            registered: false,
        }
    }

    /// Runs an I/O call on the source through the backend.
    pub(crate) fn do_io<R>(&self, io: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.state.do_io(io, &self.inner)
    }

    /// Takes the socket's pending error (`take` is the `std` type's `take_error`). A backend
    /// that stops watching a source once it reported an error watches it again when the
    /// program has taken one.
    pub(crate) fn take_error(
        &self,
        take: impl FnOnce(&T) -> io::Result<Option<io::Error>>,
    ) -> io::Result<Option<io::Error>> {
        let taken = take(&self.inner);
        if let Ok(Some(_)) = &taken {
            self.state.error_taken();
        }
        taken
    }

    /// The `std` object. Its fd lives on, and under epoll and kqueue so does its registration
    /// (unlike a drop, which removes it); the poll(2) backend's state, dropped here, forgets it.
    pub(crate) fn into_inner(self) -> T {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used again and, being `ManuallyDrop`, never dropped, so each
        // field is dropped or moved out exactly once here.
        unsafe {
            ptr::drop_in_place(&mut this.state);
            ptr::drop_in_place(&mut this.last_queue);
            ptr::read(&this.inner)
        }
    }

    /// Whether `last_queue` is the queue of `registry`. While the `Weak` lives, the queue's
    /// allocation is not freed, so no other queue can have the same address.
    fn last_queue_is(&self, registry: &Registry) -> bool {
        self.last_queue
            .as_ref()
            .is_some_and(|queue| queue.as_ptr() == Arc::as_ptr(registry.selector()))
    }

    fn is_registered_with(&self, registry: &Registry) -> bool {
        self.registered && self.last_queue_is(registry)
    }

    fn is_registered_with_live_queue(&self) -> bool {
        self.registered
            && self
                .last_queue
                .as_ref()
                .is_some_and(|queue| queue.strong_count() > 0)
    }

    fn not_registered() -> io::Error {
        io::Error::new(
            io::ErrorKind::NotFound,
            "the source is not registered with this Registry",
        )
    }
}

impl<T: sys::AsRawSource> IoSource<T> {
    pub(crate) fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        if self.is_registered_with_live_queue() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the source is already registered; use reregister, or deregister it first",
            ));
        }
        self.state
            .register(registry.selector(), &self.inner, token, interests)?;
        if !self.last_queue_is(registry) {
            self.last_queue = Some(Arc::downgrade(registry.selector()));
        }
        self.registered = true;
        Ok(())
    }

    pub(crate) fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        if !self.is_registered_with(registry) {
            return Err(Self::not_registered());
        }
        self.state
            .reregister(registry.selector(), &self.inner, token, interests)
    }

    pub(crate) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        if !self.is_registered_with(registry) {
            return Err(Self::not_registered());
        }
        self.state.deregister(registry.selector(), &self.inner)?;
        self.registered = false;
        Ok(())
    }
}

/// Removes the registration, if the queue still exists, while the fd is still open.
impl<T: sys::AsRawSource> Drop for IoSource<T> {
    fn drop(&mut self) {
        if !self.registered {
            return;
        }
        if let Some(queue) = self.last_queue.take().and_then(|queue| queue.upgrade()) {
            // Nothing useful can be done with an error here; the fd is closed right after.
            let _ = self.state.deregister(&queue, &self.inner);
        }
    }
}

impl<T: sys::AsRawSource> Deref for IoSource<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: sys::AsRawSource + fmt::Debug> fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use crate::net::TcpListener;
    use crate::{Interest, Poll, Token};

    #[test]
    fn deregistering_keeps_the_queue_but_not_the_registration() {
        let first = Poll::new().unwrap();
        let second = Poll::new().unwrap();
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        for _ in 0..3 {
            first
                .registry()
                .register(&mut listener, Token(1), Interest::READABLE)
                .unwrap();
            let twice = first
                .registry()
                .register(&mut listener, Token(1), Interest::READABLE);
            assert_eq!(twice.unwrap_err().kind(), ErrorKind::AlreadyExists);
            first.registry().deregister(&mut listener).unwrap();
        }
        let stale = first
            .registry()
            .reregister(&mut listener, Token(2), Interest::READABLE);
        assert_eq!(stale.unwrap_err().kind(), ErrorKind::NotFound);

        second
            .registry()
            .register(&mut listener, Token(3), Interest::READABLE)
            .unwrap();
        let wrong_queue = first.registry().deregister(&mut listener);
        assert_eq!(wrong_queue.unwrap_err().kind(), ErrorKind::NotFound);
        second.registry().deregister(&mut listener).unwrap();
    }

    #[test]
    fn a_dropped_queue_releases_its_sources() {
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let dropped = Poll::new().unwrap();
        dropped
            .registry()
            .register(&mut listener, Token(1), Interest::READABLE)
            .unwrap();
        drop(dropped);
        let next = Poll::new().unwrap();
        next.registry()
            .register(&mut listener, Token(1), Interest::READABLE)
            .unwrap();
    }
}
