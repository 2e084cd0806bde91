//! The object a `Waker` writes to so that the selector reports its token.
//!
//! Each backend has its cheapest: an eventfd under epoll, a user event (`EVFILT_USER`) under
//! kqueue where the kernel has had one for long enough to rely on, and a pipe on the other
//! kqueue systems. The poll(2) backend keeps its waker in the selector itself.

#[cfg(target_os = "linux")]
mod eventfd;
#[cfg(target_os = "linux")]
pub(crate) use self::eventfd::Waker;

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "dragonfly",
))]
pub(crate) use super::selector::Waker;

// NetBSD and OpenBSD added EVFILT_USER only in recent releases; a pipe works on all of them.
#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
mod pipe;
#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
pub(crate) use self::pipe::Waker;
