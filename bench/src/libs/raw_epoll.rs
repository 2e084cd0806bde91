//! The floor: a hand-written epoll loop straight on libc, doing only what the design needs
//! (edge-triggered registrations, an eventfd waker, one `epoll_wait` per poll) and nothing else:
//! no bookkeeping, no error checks beyond the system calls' own.

use std::io;
use std::net;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::std_socket::accept_nonblocking;
use crate::event_loop::{EventLoop, Ready, Want, EVENT_CAPACITY, WAKER_TOKEN};

pub struct RawEpoll {
    epoll: OwnedFd,
    events: Vec<libc::epoll_event>,
}

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

impl RawEpoll {
    fn control(&self, op: libc::c_int, fd: RawFd, bits: u32, token: usize) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: bits | libc::EPOLLET as u32,
            u64: token as u64,
        };
        // SAFETY: `event` lives on our stack for the call and the kernel only copies it; the
        // epoll fd is owned by `self` and open.
        check(unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut event) }).map(drop)
    }

    fn add(&self, fd: RawFd, bits: u32, token: usize) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_ADD, fd, bits, token)
    }
}

/// `epoll_wait` takes whole milliseconds; round up so a timeout never ends early.
fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(timeout) => {
            let micros = timeout.as_micros().div_ceil(1000);
            micros.min(libc::c_int::MAX as u128) as libc::c_int
        }
    }
}

const READ_BITS: u32 = (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
const WRITE_BITS: u32 = libc::EPOLLOUT as u32;

impl EventLoop for RawEpoll {
    const NAME: &'static str = "raw-epoll";
    type Stream = net::TcpStream;
    type Listener = net::TcpListener;
    type Waker = OwnedFd;

    fn new() -> io::Result<Self> {
        // SAFETY: epoll_create1 takes no pointers; a non-negative result is a new fd we own.
        let fd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        Ok(RawEpoll {
            // SAFETY: `fd` was just created and nothing else owns it.
            epoll: unsafe { OwnedFd::from_raw_fd(fd) },
            events: Vec::with_capacity(EVENT_CAPACITY),
        })
    }

    fn stream(stream: net::TcpStream) -> net::TcpStream {
        stream
    }

    fn listener(listener: net::TcpListener) -> net::TcpListener {
        listener
    }

    #[inline]
    fn accept(listener: &net::TcpListener) -> io::Result<net::TcpStream> {
        accept_nonblocking(listener)
    }

    #[inline]
    fn register(
        &mut self,
        stream: &mut net::TcpStream,
        token: usize,
        want: Want,
    ) -> io::Result<()> {
        let bits = match want {
            Want::Read => READ_BITS,
            Want::Write => WRITE_BITS,
        };
        self.add(stream.as_raw_fd(), bits, token)
    }

    #[inline]
    fn deregister(&mut self, stream: &mut net::TcpStream) -> io::Result<()> {
        let (epoll, fd) = (self.epoll.as_raw_fd(), stream.as_raw_fd());
        // SAFETY: EPOLL_CTL_DEL ignores the event pointer (null is allowed since Linux 2.6.9).
        check(unsafe { libc::epoll_ctl(epoll, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) })
            .map(drop)
    }

    fn register_listener(
        &mut self,
        listener: &mut net::TcpListener,
        token: usize,
    ) -> io::Result<()> {
        self.add(listener.as_raw_fd(), READ_BITS, token)
    }

    fn register_fd(&mut self, fd: RawFd, token: usize) -> io::Result<()> {
        self.add(fd, READ_BITS, token)
    }

    /// An eventfd registered edge-triggered: each write of 1 is a new edge, so it is never read.
    fn waker(&mut self) -> io::Result<OwnedFd> {
        // SAFETY: eventfd takes no pointers; a non-negative result is a new fd we own.
        let fd = check(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: `fd` was just created and nothing else owns it.
        let eventfd = unsafe { OwnedFd::from_raw_fd(fd) };
        self.add(eventfd.as_raw_fd(), READ_BITS, WAKER_TOKEN)?;
        Ok(eventfd)
    }

    #[inline]
    fn wake(waker: &OwnedFd) -> io::Result<()> {
        let one = 1u64.to_ne_bytes();
        // SAFETY: the buffer is 8 readable bytes, the size an eventfd write requires, and the
        // eventfd is open because we borrow its owner.
        let written = unsafe { libc::write(waker.as_raw_fd(), one.as_ptr().cast(), one.len()) };
        if written < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    #[inline]
    fn poll(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: impl FnMut(Ready),
    ) -> io::Result<()> {
        let capacity = self.events.capacity() as libc::c_int;
        let ready = loop {
            // SAFETY: the pointer and capacity describe the vector's spare room; the kernel
            // writes at most `capacity` whole events there.
            let ready = unsafe {
                libc::epoll_wait(
                    self.epoll.as_raw_fd(),
                    self.events.as_mut_ptr(),
                    capacity,
                    timeout_ms(timeout),
                )
            };
            match check(ready) {
                Ok(ready) => break ready as usize,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        };
        // SAFETY: epoll_wait initialised the first `ready` (<= capacity) entries.
        unsafe { self.events.set_len(ready) };
        for event in &self.events {
            let bits = event.events;
            on_ready(Ready {
                token: event.u64 as usize,
                readable: bits & (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0,
                writable: bits & (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0,
            });
        }
        Ok(())
    }
}
