//! Hand-written declarations of the C interface of the operating system.
//!
//! This is the only place in minimio that declares `extern` items. Each OS family has its own
//! file; every type, constant and function signature in it is proven equal to the `libc` crate's
//! by compile-time assertions at the bottom of that file (they are compiled with the tests, so
//! `cargo check --tests --target <triple>` proves the layout for `<triple>`).
//!
//! A build uses one backend's part of a file (epoll or kqueue, or poll(2) when
//! `minimio_force_poll` is set), but every part is declared and proven in every build, so unused
//! items are expected here.

#[cfg(minimio_linux)]
#[allow(dead_code)]
mod linux;
#[cfg(minimio_linux)]
pub(crate) use self::linux::*;

#[cfg(minimio_bsd)]
#[allow(dead_code)]
mod bsd;
#[cfg(minimio_bsd)]
pub(crate) use self::bsd::*;
