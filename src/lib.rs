//! minimio: a small, dependency-free I/O event queue with the API of mio 1.x.
//!
//! A program that serves many sockets with one thread needs the kernel to say *which* sockets are
//! ready, so that it never blocks on one while another has work. Every OS has its own way:
//! epoll on Linux, kqueue on macOS and the BSDs, I/O completion ports on Windows. minimio puts
//! one small API over them, declaring every system call by hand (no `libc`, no `windows-sys`),
//! so that reading one backend file is a lesson in that kernel interface.
//!
//! The API is the one mio 1.x offers with its `os-poll`, `net` and `os-ext` features, so code
//! written for mio compiles and runs with `use minimio as mio;`.
//!
//! # The loop
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//! use std::time::Duration;
//! use minimio::net::{TcpListener, TcpStream};
//! use minimio::{Events, Interest, Poll, Token};
//!
//! const SERVER: Token = Token(0);
//! const CLIENT: Token = Token(1);
//! const ACCEPTED: Token = Token(2);
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(64);
//!
//! let mut server = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//! poll.registry().register(&mut server, SERVER, Interest::READABLE)?;
//!
//! let mut client = TcpStream::connect(server.local_addr()?)?;
//! poll.registry().register(&mut client, CLIENT, Interest::WRITABLE)?;
//!
//! let mut accepted = None;
//! let mut sent = false;
//! let mut received = Vec::new();
//! while received != b"ping" {
//!     poll.poll(&mut events, Some(Duration::from_secs(10)))?;
//!     for event in events.iter() {
//!         match event.token() {
//!             SERVER => {
//!                 let (mut stream, _peer) = server.accept()?;
//!                 poll.registry().register(&mut stream, ACCEPTED, Interest::READABLE)?;
//!                 accepted = Some(stream);
//!             }
//!             // Writable means connected, and a fresh socket has room for 4 bytes. More
//!             // writable events may follow as buffer space frees up: send only once.
//!             CLIENT if !sent => {
//!                 client.write_all(b"ping")?;
//!                 sent = true;
//!             }
//!             // Read until WouldBlock: the next event comes only for data that arrives later.
//!             ACCEPTED => {
//!                 let stream = accepted.as_mut().unwrap();
//!                 let mut buf = [0; 64];
//!                 loop {
//!                     match stream.read(&mut buf) {
//!                         Ok(0) => break,
//!                         Ok(n) => received.extend_from_slice(&buf[..n]),
//!                         Err(e) if e.kind() == ErrorKind::WouldBlock => break,
//!                         Err(e) => return Err(e),
//!                     }
//!                 }
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What readiness means
//!
//! A socket is *readable* when a read would not block (there is data, a connection to accept,
//! an end of stream or an error), and *writable* when a write would not block. minimio does no
//! I/O itself: it tells you when to try, and the `net` types do the I/O without ever blocking,
//! answering [`WouldBlock`](std::io::ErrorKind::WouldBlock) instead.
//!
//! # Edge-triggered, and the drain rule
//!
//! Events are *edge-triggered*: a source is reported when it becomes ready, not for as long as it
//! stays ready. So after an event, **keep doing I/O until it returns `WouldBlock`**: read until
//! `WouldBlock` (or 0 bytes, end of stream), accept until `WouldBlock`, write until you are done
//! or `WouldBlock`. Stopping while data is still buffered means no new event will come for it.
//!
//! # Spurious events
//!
//! An event is a hint. A source may be reported when it is not ready after all, so every I/O
//! call must cope with `WouldBlock`, and the event's flags tell what the kernel saw, not what
//! the next call will return.
//!
//! # Threads
//!
//! One thread owns the [`Poll`] and calls [`Poll::poll`]. Other threads hold a clone of its
//! [`Registry`] to (re)register and deregister sources at any time, also while the owner is
//! blocked in `poll`, and a [`Waker`] to interrupt it.
//!
//! # Platforms
//!
//! | OS | mechanism | state |
//! |---|---|---|
//! | Linux | epoll, eventfd waker | implemented and tested |
//! | Linux with `RUSTFLAGS="--cfg minimio_force_poll"` | poll(2), edge triggering emulated, pipe waker | implemented; the whole test suite runs against it |
//! | macOS, iOS, FreeBSD 12+, DragonFly | kqueue, `EVFILT_USER` waker | implemented; compiled with clippy and the FFI layout proof, never run |
//! | NetBSD, OpenBSD | kqueue, pipe waker | implemented; compiled with clippy and the FFI layout proof (OpenBSD on nightly with `-Zbuild-std`), never run |
//! | Windows | I/O completion ports with `\Device\Afd` polling, edge triggering emulated; a completion packet waker | implemented; the whole test suite runs under Wine |
//! | other Unix systems | poll(2) | not yet: the backend exists, but their system calls are not declared, so compiling fails with a clear message |
//!
//! The kqueue backend relies on `EV_RECEIPT` (one answer per change); a release that lacks it is
//! not supported. The poll(2) backend emulates edge triggering: once an interest has been reported, it is not
//! reported again until an I/O call on the source returns `WouldBlock` or the source is
//! re-registered (for a `unix::SourceFd`, only re-registering re-arms it). A program
//! that follows the drain rule above sees the same events as under epoll. The Windows backend
//! emulates it the same way, for the `net` types.
//!
//! # Differences from mio
//!
//! - [`Poll::poll`] never returns [`Interrupted`](std::io::ErrorKind::Interrupted): a signal
//!   during the wait resumes it with the time left.
//! - Registering a minimio socket that is still registered elsewhere is refused with
//!   `AlreadyExists` in release builds too (mio checks only in debug builds); a socket whose
//!   queue has been dropped may be registered again.
//! - Polling into an [`Events`] with zero capacity is `InvalidInput`.
//! - Under kqueue and poll(2) too, registering an fd twice (also through a
//!   `unix::SourceFd`) is `AlreadyExists`, and re-registering or deregistering one
//!   that is not registered is `NotFound`, as epoll says; mio's kqueue backend accepts both.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs, missing_debug_implementations)]
#![warn(rust_2018_idioms)]

#[macro_use]
mod macros;

pub mod event;
mod interest;
mod io_source;
pub mod net;
mod poll;
mod sys;
mod token;
mod waker;

pub use event::Events;
pub use interest::Interest;
pub use poll::{Poll, Registry};
pub use token::Token;
pub use waker::Waker;

#[cfg(unix)]
pub mod unix;

/// Compiles the README's example as a doctest, so the README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
