//! The object a `Waker` writes to so that the selector reports its token.
//!
//! Each backend has its cheapest: an eventfd under epoll, a user event (`EVFILT_USER`) under
//! kqueue where the kernel has had one for long enough to rely on, and a pipe on the other
//! kqueue systems. The poll(2) backend keeps its waker in the selector itself.

#[cfg(minimio_epoll)]
mod eventfd;
#[cfg(minimio_epoll)]
pub(crate) use self::eventfd::Waker;

#[cfg(all(minimio_kqueue, minimio_evfilt_user))]
pub(crate) use super::selector::Waker;

// NetBSD and OpenBSD added EVFILT_USER only in recent releases; a pipe works on all of them.
#[cfg(all(minimio_kqueue, not(minimio_evfilt_user)))]
mod pipe;
#[cfg(all(minimio_kqueue, not(minimio_evfilt_user)))]
pub(crate) use self::pipe::Waker;
