//! # The Windows backend: readiness from completion ports and the AFD driver
//!
//! epoll and kqueue say which sockets are *ready*. Windows' queue, the I/O completion port,
//! says which operations have *finished*. minimio builds readiness on it the way wepoll, libuv
//! and mio do: "tell me when this socket is ready" is itself an operation, an `IOCTL_AFD_POLL`
//! request to the socket driver, which finishes onto the port when the socket becomes ready.
//! Each request finishes once, so edge triggering is emulated per socket: an event reported is
//! left out of the socket's next requests until an I/O call on it returns `WouldBlock`.
//!
//! ## Reading order
//!
//! 1. [`iocp`]: the completion port, its packets, and the completion keys that tell them apart.
//! 2. [`afd`]: opening `\Device\Afd` and issuing poll requests through the NT native API. It
//!    explains `NTSTATUS`, `OBJECT_ATTRIBUTES`, and how a request's `ApcContext` comes back as
//!    its packet's `lpOverlapped`.
//! 3. [`base_socket`]: layered service providers, and finding the socket AFD knows beneath
//!    them.
//! 4. [`selector`]: registration, the update queue issued before each wait, the wait itself,
//!    AFD handles shared by groups of 32 sockets, and the drain when a `Poll` is dropped.
//! 5. [`sock_state`]: one socket's state machine (idle, pending, cancelled) and the memory the
//!    driver writes into.
//! 6. [`event`]: what the AFD bits of a report mean.
//! 7. This file's [`IoSourceState`]: a socket's registration, and `do_io`, where `WouldBlock`
//!    re-arms it.
//! 8. [`waker`] (a packet posted to the port) and [`net`] (sockets created non-blocking and
//!    not inheritable).
//!
//! [`ffi`] declares every call and type, to be looked up while reading the others. The tests'
//! `faults` module makes AFD refuse or fail requests, which no test could provoke otherwise.
//!
//! ## The same parts in mio
//!
//! mio 1.x uses the same technique, so its `src/sys/windows` maps onto these files:
//!
//! | mio | minimio |
//! |---|---|
//! | `Selector` / `SelectorInner` (selector.rs): the port, the update queue, `is_polling`, `select` | [`Selector`] in selector.rs, with the same roles. Where mio's `select` fails as a whole when one socket's update fails, minimio reports that socket's failure as its event and goes on. |
//! | `IoSourceState` (mod.rs), whose `do_io` re-registers the socket after `WouldBlock` | [`IoSourceState`] here, whose `do_io` re-arms it, and first returns a failed poll's error |
//! | `AfdGroup` (selector.rs): a new AFD handle for every 32 sockets | `Selector::poll_groups` and `POLL_GROUP_SIZE` (32), which also refills places freed by deregistered sockets |
//! | `SockState` (selector.rs): `Idle` / `Pending` / `Cancelled`, a reference-counted state whose pointer is the request's context | [`SockState`] in sock_state.rs: the same states, the same ownership (a request owns one `Arc` reference, given to the kernel with `Arc::into_raw`) |
//! | `Afd` (afd.rs), `CompletionPort` (iocp.rs), `Waker` (waker.rs) | [`afd::Afd`], [`iocp::CompletionPort`], [`Waker`] |

mod afd;
mod base_socket;
pub(crate) mod event;
#[cfg(test)]
mod faults;
mod ffi;
mod iocp;
pub(crate) mod net;
mod selector;
mod sock_state;
mod waker;

pub(crate) use self::event::{Event, Events};
pub(crate) use self::selector::Selector;
pub(crate) use self::waker::Waker;

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use self::sock_state::SockState;
use crate::{Interest, Token};

/// Locks a mutex, also after a thread panicked while holding it: every critical section here
/// leaves the data consistent between statements that could panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The error of the last Winsock call on this thread.
fn socket_error() -> io::Error {
    // SAFETY: WSAGetLastError only reads this thread's last error value.
    io::Error::from_raw_os_error(unsafe { ffi::WSAGetLastError() })
}

/// What a socket must offer to be registered: its Winsock handle.
pub(crate) use std::os::windows::io::AsRawSocket as AsRawSource;

/// Per-socket state: the socket's registration with a selector, if any. It is what lets
/// [`do_io`](IoSourceState::do_io) re-arm the socket's events after a `WouldBlock`.
#[derive(Debug)]
pub(crate) struct IoSourceState {
    registration: Option<Registration>,
}

#[derive(Debug)]
struct Registration {
    /// Weak, so that a registered socket does not keep its `Poll`'s queue alive.
    selector: Weak<Selector>,
    sock: Arc<SockState>,
}

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState { registration: None }
    }

    pub(crate) fn register(
        &mut self,
        selector: &Arc<Selector>,
        source: &impl AsRawSource,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        if let Some(registration) = &self.registration {
            if registration.selector.strong_count() > 0 {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "the source is already registered",
                ));
            }
        }
        let sock = selector.register(source.as_raw_socket(), token, interests)?;
        // A registration with a queue that has since been dropped is replaced.
        if let Some(old) = self.registration.replace(Registration {
            selector: Arc::downgrade(selector),
            sock,
        }) {
            old.sock.delete();
        }
        Ok(())
    }

    pub(crate) fn reregister(
        &mut self,
        selector: &Arc<Selector>,
        _source: &impl AsRawSource,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match &self.registration {
            Some(registration) if registration.selector.as_ptr() == Arc::as_ptr(selector) => {
                selector.reregister(&registration.sock, token, interests)
            }
            _ => Err(not_registered()),
        }
    }

    pub(crate) fn deregister(
        &mut self,
        selector: &Arc<Selector>,
        _source: &impl AsRawSource,
    ) -> io::Result<()> {
        match &self.registration {
            Some(registration) if registration.selector.as_ptr() == Arc::as_ptr(selector) => {
                registration.sock.delete();
                self.registration = None;
                Ok(())
            }
            _ => Err(not_registered()),
        }
    }

    /// Runs one I/O call on the source. A `WouldBlock` means the socket has been drained in
    /// that direction, so every event the registration wants is armed again: the next change
    /// is reported, as an edge-triggered epoll would.
    ///
    /// If a poll request for the socket failed (reported as an event that wakes every waiter),
    /// this call returns that failure instead of doing I/O: the socket itself may be fine, and
    /// its I/O would then answer `WouldBlock`, which tells nobody that the socket is no longer
    /// watched. The call after it does I/O again, and its `WouldBlock` asks for a new request.
    pub(crate) fn do_io<T, R>(
        &self,
        io: impl FnOnce(&T) -> io::Result<R>,
        source: &T,
    ) -> io::Result<R> {
        if let Some(registration) = &self.registration {
            if let Some(err) = registration.sock.take_error() {
                return Err(err);
            }
        }
        let result = io(source);
        if let Err(err) = &result {
            if err.kind() == io::ErrorKind::WouldBlock {
                if let Some(registration) = &self.registration {
                    if let Some(selector) = registration.selector.upgrade() {
                        // A request that cannot be issued now leaves the socket queued: the
                        // poll retries it and reports a failure there. An error here only says
                        // that a blocked poll could not be woken for that, so the retry waits
                        // for the next one.
                        let _ = selector.rearm(&registration.sock);
                    }
                }
            }
        }
        result
    }

    /// The program took the socket's pending error (`take_error`). Like a `WouldBlock`, that
    /// ends what was reported, so every wanted event is armed again.
    pub(crate) fn error_taken(&self) {
        if let Some(registration) = &self.registration {
            if let Some(selector) = registration.selector.upgrade() {
                // As in `do_io`: a failed request leaves the socket queued for the next poll.
                let _ = selector.rearm(&registration.sock);
            }
        }
    }
}

impl Drop for IoSourceState {
    /// A dropped socket reports nothing more; its request in flight, if any, is cancelled.
    fn drop(&mut self) {
        if let Some(registration) = self.registration.take() {
            registration.sock.delete();
        }
    }
}

fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "the source is not registered with this Registry",
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The number of handles this process has open.
    fn open_handle_count() -> usize {
        let mut count = 0;
        // SAFETY: the pseudo-handle of the current process needs no closing; `count` is a valid
        // out-parameter.
        let ok = unsafe { ffi::GetProcessHandleCount(ffi::GetCurrentProcess(), &mut count) };
        assert_ne!(
            ok,
            0,
            "GetProcessHandleCount: {}",
            io::Error::last_os_error()
        );
        if count != 0 {
            return count as usize;
        }
        // Wine answers 0 there, whatever is open: count our entries of the system's table.
        handles_in_system_table()
    }

    fn handles_in_system_table() -> usize {
        use std::mem::{align_of, size_of};
        // Counted in words so that the buffer is aligned for the table.
        const _: () =
            assert!(align_of::<ffi::SYSTEM_HANDLE_INFORMATION_EX>() <= align_of::<usize>());
        let mut buffer: Vec<usize> = vec![0; 1 << 14];
        loop {
            let bytes = (buffer.len() * size_of::<usize>()) as u32;
            let mut needed = 0u32;
            // SAFETY: the buffer is writable for `bytes` bytes and `needed` is a valid
            // out-parameter; the call is synchronous.
            let status = unsafe {
                ffi::NtQuerySystemInformation(
                    ffi::SYSTEM_EXTENDED_HANDLE_INFORMATION,
                    buffer.as_mut_ptr().cast(),
                    bytes,
                    &mut needed,
                )
            };
            if status == ffi::STATUS_INFO_LENGTH_MISMATCH {
                let words = (needed as usize / size_of::<usize>()).max(buffer.len() * 2);
                // Handles may be opened between two calls: leave some room.
                buffer.resize(words + 1024, 0);
                continue;
            }
            assert_eq!(status, ffi::STATUS_SUCCESS, "NtQuerySystemInformation");
            break;
        }
        let info = buffer.as_ptr().cast::<ffi::SYSTEM_HANDLE_INFORMATION_EX>();
        // SAFETY: the call succeeded, so the buffer starts with the table's header.
        let count = unsafe { (*info).NumberOfHandles };
        let header = std::mem::offset_of!(ffi::SYSTEM_HANDLE_INFORMATION_EX, Handles);
        let room = (buffer.len() * size_of::<usize>() - header)
            / size_of::<ffi::SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX>();
        assert!(
            count <= room,
            "the handle table claims more entries than it wrote"
        );
        // SAFETY: `count` entries follow the header inside the buffer (checked just above),
        // aligned like the header, and were written by the call.
        let entries = unsafe {
            std::slice::from_raw_parts(
                std::ptr::addr_of!((*info).Handles)
                    .cast::<ffi::SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX>(),
                count,
            )
        };
        // SAFETY: GetCurrentProcessId only reads this process's id.
        let pid = unsafe { ffi::GetCurrentProcessId() } as usize;
        entries
            .iter()
            .filter(|entry| entry.UniqueProcessId == pid)
            .count()
    }

    /// One queue's whole life: a waker, a socket with a poll request in flight, a wake packet
    /// still queued when it is dropped.
    fn queue_with_work_in_flight() {
        let selector = Arc::new(Selector::new().unwrap());
        let waker = Waker::new(&selector, Token(0)).unwrap();
        let socket = net::udp_bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let mut state = IoSourceState::new();
        state
            .register(&selector, &socket, Token(1), Interest::READABLE)
            .unwrap();
        waker.wake().unwrap();
        let mut events = Events::with_capacity(4);
        selector.select(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        waker.wake().unwrap();
        drop(selector);
        drop(state);
    }

    /// Whether child processes would inherit `socket`.
    fn is_inheritable(socket: &impl AsRawSource) -> bool {
        let mut flags = 0;
        // SAFETY: the socket is open (borrowed); `flags` is a valid out-parameter.
        let ok =
            unsafe { ffi::GetHandleInformation(socket.as_raw_socket() as ffi::HANDLE, &mut flags) };
        assert_ne!(
            ok,
            0,
            "GetHandleInformation: {}",
            io::Error::last_os_error()
        );
        flags & ffi::HANDLE_FLAG_INHERIT != 0
    }

    #[test]
    fn sockets_are_not_inheritable_and_do_not_block() {
        let localhost = "127.0.0.1:0".parse().unwrap();
        let listener = net::tcp_bind(&localhost).unwrap();
        let stream = net::tcp_connect(&listener.local_addr().unwrap()).unwrap();
        let accepted = loop {
            match net::tcp_accept(&listener) {
                Ok((accepted, _)) => break accepted,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(err) => panic!("accept: {err}"),
            }
        };
        let socket = net::udp_bind(&localhost).unwrap();
        assert!(!is_inheritable(&listener));
        assert!(!is_inheritable(&stream));
        assert!(!is_inheritable(&accepted));
        assert!(!is_inheritable(&socket));
        let would_block = |result: io::Result<usize>| {
            result.is_err_and(|err| err.kind() == io::ErrorKind::WouldBlock)
        };
        assert!(would_block(std::io::Read::read(
            &mut &accepted,
            &mut [0; 4]
        )));
        assert!(would_block(socket.recv(&mut [0; 4])));
        assert!(listener
            .accept()
            .is_err_and(|err| err.kind() == io::ErrorKind::WouldBlock));
    }

    /// Other tests' threads open and close a few handles meanwhile (the test harness runs them
    /// in parallel); a leak of even one handle per queue would show as thousands.
    const NOISE: usize = 10;

    #[test]
    fn two_thousand_queues_leak_no_handle() {
        // Whatever Winsock and the runtime open once per process is opened here.
        queue_with_work_in_flight();
        let before = open_handle_count();
        // The count is only worth comparing if it moves with our handles.
        let probes: Vec<Selector> = (0..5 * NOISE).map(|_| Selector::new().unwrap()).collect();
        let with_probes = open_handle_count();
        assert!(
            with_probes >= before + 4 * NOISE,
            "the handle count does not see new ports: {before} then {with_probes}"
        );
        drop(probes);
        for _ in 0..2000 {
            queue_with_work_in_flight();
        }
        let after = open_handle_count();
        assert!(
            after <= before + NOISE,
            "{before} handles open before 2000 queues, {after} after"
        );
    }
}
