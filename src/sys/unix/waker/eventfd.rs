//! A waker on eventfd(2): a 64-bit counter in the kernel that is readable while it is non-zero.
//!
//! It is registered edge-triggered and never read in the common case. The counter stays non-zero,
//! so it never stops being readable, yet every `write` of 1 to it wakes the file's waiters, and
//! under Linux's edge triggering a wake-up is an edge (see `selector/epoll.rs`): epoll reports it
//! again, and one wake costs exactly one system call.
//! Only if the counter ever saturated (after 2^64 - 2 wakes without a read) would `write` fail
//! with `EAGAIN`; then one read resets it and the write is repeated.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};

use crate::sys::unix::{ffi, syscall, Selector};
use crate::{Interest, Token};

#[derive(Debug)]
pub(crate) struct Waker {
    counter: File,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        // SAFETY: eventfd takes no pointers; a non-negative result is a new fd we now own.
        let fd = syscall(unsafe { ffi::eventfd(0, ffi::EFD_CLOEXEC | ffi::EFD_NONBLOCK) })?;
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        let counter = unsafe { File::from_raw_fd(fd) };
        selector.register(counter.as_raw_fd(), token, Interest::READABLE)?;
        Ok(Waker { counter })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        match (&self.counter).write(&1u64.to_ne_bytes()) {
            Ok(_) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                // Saturated: empty the counter, then add one so the poller sees a fresh edge.
                let mut drained = [0u8; 8];
                match (&self.counter).read(&mut drained) {
                    Ok(_) => {}
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(err) => return Err(err),
                }
                (&self.counter).write(&1u64.to_ne_bytes()).map(drop)
            }
            Err(err) => Err(err),
        }
    }
}
