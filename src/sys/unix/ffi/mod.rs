//! Hand-written declarations of the C interface of the operating system.
//!
//! This is the only place in minimio that declares `extern` items. Each OS family has its own
//! file; every type, constant and function signature in it is proven equal to the `libc` crate's
//! by compile-time assertions at the bottom of that file (they are compiled with the tests, so
//! `cargo check --tests --target <triple>` proves the layout for `<triple>`).

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use self::linux::*;
