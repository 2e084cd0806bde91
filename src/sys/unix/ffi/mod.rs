//! Hand-written declarations of the C interface of the operating system.
//!
//! What they declare are the C library's functions (glibc or musl on Linux, libc on the BSDs,
//! libSystem on macOS and iOS), called the way C code calls them, with `errno` set by the
//! wrapper: never a system call made by hand with the processor's `syscall` instruction. On
//! these systems the C library is the stable interface, not the kernel's entry points. Apple
//! promises binary compatibility for its dynamically linked libraries, not for the system call
//! interface; OpenBSD keeps neither its system call numbers nor their arguments stable, and
//! lets only libc's own call sites enter the kernel (pinsyscalls(2)); FreeBSD and NetBSD change
//! structures such as `struct kevent` and keep the old ones behind versioned library symbols
//! (NetBSD's `__kevent50`). Linux does keep its system calls stable, but its declarations take
//! the same road, and std links the C library anyway. The Windows declarations
//! (`sys/windows/ffi/`) follow the same rule with kernel32, ws2_32 and ntdll: Windows
//! renumbers its system calls from one build to the next.
//!
//! Beside `sys/windows/ffi/`, this is the only place in minimio that declares `extern` items.
//! Each OS family has its own file; the sizes, alignments, field offsets, constants and function
//! signatures in it are proven equal to the `libc` crate's by compile-time checks at the bottom
//! of that file (they are compiled with the tests, so `cargo check --tests --target <triple>`
//! proves the layout for `<triple>`; `src/macros.rs` says exactly what is and is not proven).
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
