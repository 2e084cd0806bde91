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
//! | Windows | I/O completion ports with `\Device\Afd` polling, edge triggering emulated; a completion packet waker | implemented; the test suite, less its Unix-only files, runs under Wine |
//! | other Unix systems | poll(2) | not yet: the backend exists, but their system calls are not declared, so compiling fails with a clear message |
//!
//! The kqueue backend relies on `EV_RECEIPT` (one answer per change); a release that lacks it is
//! not supported. The poll(2) backend emulates edge triggering: once an interest has been
//! reported, it is not reported again until an I/O call on the source returns `WouldBlock` or
//! the source is re-registered (for a `unix::SourceFd`, only re-registering re-arms it). A program
//! that follows the drain rule above sees the same events as under epoll. The Windows backend
//! emulates it the same way, for the `net` types.
//!
//! # Guarantees on misuse
//!
//! Every public entry point has been tried with bad input. None panics (except the one noted)
//! or has undefined behaviour; each answers as listed, and the named test proves it.
//!
//! [`Registry::register`]
//! - a source already registered with this queue: `AlreadyExists`, the first registration
//!   untouched (`tests/misuse.rs::register_twice_is_already_exists`);
//! - a minimio source registered with another queue that still exists: `AlreadyExists`
//!   (`tests/misuse.rs::register_in_second_poll_is_already_exists`);
//! - a source left registered with a queue that has been dropped (its `Poll` and every
//!   registry clone): accepted as a new registration
//!   (`tests/misuse.rs::source_from_dropped_poll_can_be_registered_again`);
//! - a [`SourceFd`](unix::SourceFd) registered twice: `AlreadyExists`, from the kernel
//!   (`tests/misuse.rs::source_fd_misuse_errors`);
//! - a `SourceFd` of a closed fd: an error whose `raw_os_error()` is `EBADF`; `reregister` and
//!   `deregister` answer `EBADF` (epoll) or `NotFound` (backends that look up their own record
//!   first) (`tests/misuse.rs::source_fd_of_closed_fd_is_ebadf`);
//! - a `SourceFd` of a regular file: `PermissionDenied` under epoll, which cannot watch
//!   files; a backend that can watch them (kqueue, poll(2)) accepts it and reports it readable
//!   while there are bytes to read
//!   (`tests/misuse.rs::source_fd_of_regular_file_is_refused_or_readable`);
//! - a `SourceFd` of the queue's own fd: `InvalidInput` (epoll, poll(2))
//!   (`tests/misuse.rs::registering_a_poll_in_itself_is_refused`);
//! - one token for several sources: allowed, each is reported with it
//!   (`tests/misuse.rs::shared_token_reports_both_sources`);
//! - `Token(usize::MAX)`: an ordinary token, for sources and wakers
//!   (`tests/misuse.rs::max_token_is_an_ordinary_token`).
//!
//! [`Registry::reregister`]
//! - a source not registered: `NotFound`
//!   (`tests/misuse.rs::reregister_unregistered_is_not_found`, and for `SourceFd`
//!   `tests/misuse.rs::source_fd_misuse_errors`);
//! - a source registered with another queue: `NotFound`, its registration unchanged
//!   (`tests/misuse.rs::reregister_with_wrong_poll_is_not_found`).
//!
//! [`Registry::deregister`]
//! - a source never registered, or deregistered already: `NotFound`
//!   (`tests/misuse.rs::deregister_unregistered_is_not_found`,
//!   `tests/misuse.rs::deregister_twice_is_not_found`);
//! - a source registered with another queue: `NotFound`, its registration keeps working
//!   (`tests/misuse.rs::deregister_from_wrong_poll_is_not_found`).
//!
//! A [`Registry`] clone used after its [`Poll`] was dropped
//! - keeps the queue alive: register, reregister, deregister and [`Waker::new`] succeed, and
//!   nothing is ever reported, since no `Poll` is left to ask. A source registered through it
//!   counts as registered (`AlreadyExists` with another queue) until it is deregistered or the
//!   last clone is dropped (`tests/misuse.rs::registry_outliving_its_poll_keeps_working_silently`).
//!
//! [`Waker`]
//! - `wake` after its `Poll` (and every registry clone) was dropped: `Ok`, and nobody is told
//!   (`tests/misuse.rs::waker_outliving_its_poll_wakes_ok`);
//! - several wakers on one `Poll`: allowed, each reports its own token (under epoll each
//!   costs an fd)
//!   (`tests/misuse.rs::two_wakers_on_one_poll_both_report`).
//!
//! [`Poll::poll`]
//! - an [`Events`] of zero capacity: `InvalidInput`, and the readiness waits for the next call
//!   (`tests/poll.rs::zero_capacity_events_is_an_error`);
//! - a timeout too long for the kernel (`Duration::MAX`, `u64::MAX / 2` seconds): no
//!   overflow; it waits for an event (`tests/poll.rs::max_duration_blocks_until_event`,
//!   `tests/misuse.rs::huge_timeout_is_woken`);
//! - a timeout below the kernel's granularity (1 ns, 999 µs): rounded up, never returns early
//!   (`tests/poll.rs::one_nanosecond_timeout_is_not_cut_short`,
//!   `tests/poll.rs::sub_millisecond_timeout_is_not_cut_short`);
//! - a signal handled during the wait (Unix): `Interrupted`, with no event reported, as under
//!   mio, so a flag set by the handler is seen at once
//!   (`tests/eintr.rs::a_handled_signal_ends_the_wait_as_interrupted`,
//!   `tests/eintr.rs::a_flag_set_by_a_signal_handler_stops_an_unbounded_loop`); a caller that
//!   polls again loses no event, even under a storm of signals without `SA_RESTART`, and an `Ok`
//!   return without events is never before its timeout
//!   (`tests/eintr.rs::signals_never_make_an_ok_return_early`,
//!   `tests/faults.rs::signal_storm_keeps_short_timeouts_whole`,
//!   `tests/faults.rs::signal_storm_loses_no_event_and_never_ends_an_unbounded_wait`).
//!
//! Sources
//! - dropped while registered, without `deregister`: allowed; their token is never reported
//!   again, also when a new source gets the same fd number, when a duplicate of their fd is
//!   still open, or when they are dropped while a batch of their events is being handled
//!   (`tests/registry.rs::reused_fd_reports_only_new_token`,
//!   `tests/faults.rs::reused_fd_numbers_report_only_the_new_token`,
//!   `tests/faults.rs::dropped_source_with_a_live_duplicate_is_never_reported`,
//!   `tests/faults.rs::sources_closed_mid_batch_are_never_reported_again`);
//! - created, or accepted, with no file descriptor left: the OS error (`EMFILE`), nothing
//!   leaked, the sources already registered unaffected
//!   (`tests/fd_exhaustion.rs::fd_exhaustion_gives_emfile_and_the_loop_recovers`);
//! - a peer resetting the connection: an event, then an `io::Error` from the I/O call
//!   (`tests/faults.rs::peer_resets_mid_write_surface_as_errors`).
//!
//! [`Interest`] cannot be empty: there is no constructor for it, and [`Interest::remove`]
//! returns `None` instead (`tests/interest_token.rs::interest_remove`).
//!
//! The one panic: [`Events::with_capacity`] allocates up front like `Vec::with_capacity`, so a
//! capacity whose size overflows panics with "capacity overflow"
//! (`tests/misuse.rs::events_capacity_overflow_panics_like_vec`).
//!
//! # Differences from mio
//!
//! - Registering a minimio socket that is still registered elsewhere is refused with
//!   `AlreadyExists` in release builds too (mio checks only in debug builds); a socket whose
//!   queue has been dropped may be registered again.
//! - Polling into an [`Events`] with zero capacity is `InvalidInput`.
//! - Under kqueue and poll(2) too, registering an fd twice (also through a
//!   `unix::SourceFd`) is `AlreadyExists`, and re-registering or deregistering one
//!   that is not registered is `NotFound`, as epoll says; mio's kqueue backend accepts both.
//! - Dropping a minimio socket or pipe that is still registered deregisters it (one more
//!   `epoll_ctl`), so a duplicate of its fd (made with `try_clone` before `from_std`, or held by
//!   a child between `fork` and `exec`) cannot keep its token alive; mio leaves that
//!   registration in the kernel.
//! - Several [`Waker`]s per [`Poll`] work, each reporting its own token; mio allows one and
//!   panics in debug builds when a second is made.
//! - A timeout longer than one kernel wait can express (about 24.8 days for epoll and poll(2),
//!   49.7 days on Windows) is waited out in full; mio returns early, with no event.
//! - [`Registry::try_clone`] shares the queue instead of duplicating its fd, so it cannot fail
//!   and every clone's `as_raw_fd` is the same number.
//! - The `net` types are larger than `std`'s: beside the socket they keep the record of the queue
//!   they are registered with, which is what makes the misuse errors above possible (a
//!   `TcpListener` is 16 bytes under epoll on 64-bit Linux, against 4 for `std`'s and mio's).
//! - Error messages are minimio's own; the [`ErrorKind`](std::io::ErrorKind)s are mio's (or,
//!   where mio has none, the ones documented on each method).

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
