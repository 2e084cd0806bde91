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
use std::ptr::{self, NonNull};
use std::sync::{Arc, Weak};

use crate::{sys, Interest, Registry, Token};

/// `repr(C)`, in this order: where the backend keeps no state (epoll, kqueue) `inner` is then at
/// offset 0, so every I/O call reaches the socket with no address arithmetic, and `registered`
/// fills the gap before `last_queue`, so the record costs one word beside a 4-byte fd.
#[repr(C)]
pub(crate) struct IoSource<T: sys::AsRawSource> {
    /// Declared (so dropped) before `inner`: a backend that keeps its registrations in user
    /// space (poll(2)) forgets this one while the fd is still open, so another thread cannot
    /// reuse the fd number in between and find it still registered.
    state: sys::IoSourceState,
    inner: T,
    /// Whether the source is registered with `last_queue` now.
    registered: bool,
    /// The queue this source was last registered with. Weak, so that a queue that has been
    /// dropped (taking its registrations with it) no longer counts. It is kept after
    /// deregistering, so that registering with the same queue again touches no reference count:
    /// register/deregister cycles then cost the two system calls and little else.
    /// `ManuallyDrop` because `Drop for IoSource` releases it, in the one test a drop needs.
    last_queue: ManuallyDrop<Option<QueueRef>>,
}

impl<T: sys::AsRawSource> IoSource<T> {
    pub(crate) fn new(inner: T) -> IoSource<T> {
        IoSource {
            state: sys::IoSourceState::new(),
            inner,
            registered: false,
            last_queue: ManuallyDrop::new(None),
        }
    }

    /// Runs an I/O call on the source through the backend.
    #[inline]
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
        // field is dropped or moved out exactly once here (`registered` needs no drop).
        unsafe {
            ptr::drop_in_place(&mut this.state);
            ManuallyDrop::drop(&mut this.last_queue);
            ptr::read(&this.inner)
        }
    }

    /// Whether `last_queue` is the queue of `registry`. While the weak reference lives, the
    /// queue's allocation is not freed, so no other queue can have the same address.
    #[inline]
    fn last_queue_is(&self, registry: &Registry) -> bool {
        self.last_queue
            .as_ref()
            .is_some_and(|queue| queue.is(registry.selector()))
    }

    #[inline]
    fn is_registered_with(&self, registry: &Registry) -> bool {
        self.registered && self.last_queue_is(registry)
    }

    fn is_registered_with_live_queue(&self) -> bool {
        self.registered && self.last_queue.as_ref().is_some_and(QueueRef::is_alive)
    }
}

#[cold]
fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "the source is not registered with this Registry",
    )
}

#[cold]
fn already_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "the source is already registered; use reregister, or deregister it first",
    )
}

impl<T: sys::AsRawSource> IoSource<T> {
    #[inline]
    pub(crate) fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        if self.is_registered_with_live_queue() {
            return Err(already_registered());
        }
        self.state
            .register(registry.selector(), &self.inner, token, interests)?;
        if !self.last_queue_is(registry) {
            *self.last_queue = Some(QueueRef::new(registry.selector()));
        }
        self.registered = true;
        Ok(())
    }

    #[inline]
    pub(crate) fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        if !self.is_registered_with(registry) {
            return Err(not_registered());
        }
        self.state
            .reregister(registry.selector(), &self.inner, token, interests)
    }

    #[inline]
    pub(crate) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        if !self.is_registered_with(registry) {
            return Err(not_registered());
        }
        self.state.deregister(registry.selector(), &self.inner)?;
        self.registered = false;
        Ok(())
    }
}

/// A `Weak<Selector>` kept as the pointer [`Weak::into_raw`] gives, which is the one
/// [`Arc::as_ptr`] gives for the same queue: telling whether it is a given queue is then one
/// comparison. (A `Weak` would first check for the dangling value of `Weak::new`, which this
/// never holds.)
struct QueueRef(NonNull<sys::Selector>);

impl QueueRef {
    fn new(queue: &Arc<sys::Selector>) -> QueueRef {
        let raw = Weak::into_raw(Arc::downgrade(queue));
        // SAFETY: a weak reference made from an `Arc` points into that Arc's allocation, so it
        // is never null.
        QueueRef(unsafe { NonNull::new_unchecked(raw.cast_mut()) })
    }

    #[inline]
    fn is(&self, queue: &Arc<sys::Selector>) -> bool {
        ptr::eq(self.0.as_ptr(), Arc::as_ptr(queue))
    }

    /// Looks at the weak reference without taking it over.
    fn with_weak<R>(&self, f: impl FnOnce(&Weak<sys::Selector>) -> R) -> R {
        // SAFETY: the pointer came from `Weak::into_raw` and this `QueueRef` still owns that
        // weak count; `ManuallyDrop` keeps the borrowed `Weak` from releasing it.
        let weak = ManuallyDrop::new(unsafe { Weak::from_raw(self.0.as_ptr()) });
        f(&weak)
    }

    fn is_alive(&self) -> bool {
        self.with_weak(|weak| weak.strong_count() > 0)
    }

    fn upgrade(&self) -> Option<Arc<sys::Selector>> {
        self.with_weak(Weak::upgrade)
    }
}

impl Drop for QueueRef {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Weak::into_raw`, and this is the one place that gives
        // its weak count back, once.
        drop(unsafe { Weak::from_raw(self.0.as_ptr()) });
    }
}

// SAFETY: a `QueueRef` is a `Weak<Selector>` in another form, and a `Weak<T>` is `Send` and
// `Sync` when `T` is both, which the assertion below checks for the selector.
unsafe impl Send for QueueRef {}
// SAFETY: as for `Send`: only `&self` methods that a `Weak` offers are called through it.
unsafe impl Sync for QueueRef {}
const _: fn() = || {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<Weak<sys::Selector>>();
};

/// Removes the registration, if the queue still exists, while the fd is still open.
impl<T: sys::AsRawSource> Drop for IoSource<T> {
    #[inline]
    fn drop(&mut self) {
        // A source that was never registered has no queue: one test, and then the `close`.
        if self.last_queue.is_some() {
            self.release_queue();
        }
    }
}

impl<T: sys::AsRawSource> IoSource<T> {
    #[cold]
    #[inline(never)]
    fn release_queue(&mut self) {
        let Some(queue) = self.last_queue.take() else {
            return;
        };
        if self.registered {
            if let Some(queue) = queue.upgrade() {
                // Nothing useful can be done with an error here; the fd is closed right after.
                let _ = self.state.deregister(&queue, &self.inner);
            }
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
