//! The I/O completion port: the one queue every packet minimio waits for arrives on.
//!
//! A completion port is a kernel queue of *completion packets*. A handle associated with it
//! (here: the `\Device\Afd` handles of [`afd`](super::afd)) delivers one packet for every
//! request it completes, tagged with the *completion key* given at association time, and anyone
//! may add a packet of their own with `PostQueuedCompletionStatus` (the waker does).
//! `GetQueuedCompletionStatusEx` takes up to a buffer's worth of packets at once, sleeping until
//! the first one arrives.

use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr;

use super::ffi;

/// What a completion packet is about, told by its completion key. Keys are per handle (or per
/// posted packet), so each kind of source gets its own and the selector dispatches on it; the
/// overlapped socket I/O and wait packets planned for later will take new keys here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum PacketKind {
    /// An `IOCTL_AFD_POLL` finished; its `lpOverlapped` is the polled socket's state.
    AfdPoll = 1,
    /// A [`Waker`](super::Waker) was woken; its `lpOverlapped` is the waker's state.
    Wake = 2,
    /// A thread that issued poll requests for the waiting one saw one fail: the wait goes round
    /// again to retry it. Its `lpOverlapped` is null.
    Retry = 3,
}

impl PacketKind {
    pub(crate) fn of(entry: &ffi::OVERLAPPED_ENTRY) -> Option<PacketKind> {
        match entry.lpCompletionKey {
            key if key == PacketKind::AfdPoll as usize => Some(PacketKind::AfdPoll),
            key if key == PacketKind::Wake as usize => Some(PacketKind::Wake),
            key if key == PacketKind::Retry as usize => Some(PacketKind::Retry),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct CompletionPort {
    handle: OwnedHandle,
}

impl CompletionPort {
    /// `CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0)`: a new port with no handle yet.
    pub(crate) fn new() -> io::Result<CompletionPort> {
        // SAFETY: with INVALID_HANDLE_VALUE and no existing port the call only creates a port;
        // it takes no pointers.
        let handle = unsafe {
            ffi::CreateIoCompletionPort(ffi::INVALID_HANDLE_VALUE, ptr::null_mut(), 0, 0)
        };
        if handle.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a non-null result is a new handle that nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
        Ok(CompletionPort { handle })
    }

    /// Associates `handle` with the port: each request it completes from now on queues a packet
    /// tagged `kind`.
    ///
    /// A handle is associated with at most one port at a time, but not necessarily for life:
    /// since Windows 8.1, `NtSetInformationFile(FileReplaceCompletionInformation)` moves it to
    /// another port or detaches it. minimio relies only on what it controls: it associates
    /// nothing but its own AFD handles, once each, right after opening them, and never shows
    /// them to anyone, so each keeps that association until it is closed. The sockets it polls
    /// are never associated with its port at all (their poll requests go through the AFD
    /// handles), and remain free for a program to associate with a port of its own.
    pub(crate) fn associate(&self, handle: &impl AsRawHandle, kind: PacketKind) -> io::Result<()> {
        // SAFETY: both handles are open for the duration of the call (borrowed from their
        // owners); an association is not a pointer the kernel keeps into our memory.
        let port = unsafe {
            ffi::CreateIoCompletionPort(
                handle.as_raw_handle(),
                self.handle.as_raw_handle(),
                kind as usize,
                0,
            )
        };
        if port.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Queues a packet of our own. `overlapped` is handed back untouched when it is dequeued;
    /// the kernel never dereferences it.
    pub(crate) fn post(
        &self,
        kind: PacketKind,
        overlapped: *const ffi::OVERLAPPED,
    ) -> io::Result<()> {
        // SAFETY: the port handle is open; `overlapped` is carried as an opaque value.
        let ok = unsafe {
            ffi::PostQueuedCompletionStatus(
                self.handle.as_raw_handle(),
                0,
                kind as usize,
                overlapped,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// `GetQueuedCompletionStatusEx`: dequeues up to `max` packets into `buffer` (replacing its
    /// contents), waiting at most `timeout_ms` (`INFINITE` for ever) for the first. A timeout
    /// leaves `buffer` empty and is not an error.
    pub(crate) fn dequeue(
        &self,
        buffer: &mut Vec<ffi::OVERLAPPED_ENTRY>,
        max: usize,
        timeout_ms: u32,
    ) -> io::Result<()> {
        buffer.clear();
        buffer.reserve(max);
        let capacity = max.min(u32::MAX as usize) as u32;
        let mut removed = 0u32;
        // SAFETY: the pointer and count describe the spare capacity of `buffer`, where the kernel
        // writes at most `capacity` whole entries; `removed` is a valid out-parameter.
        let ok = unsafe {
            ffi::GetQueuedCompletionStatusEx(
                self.handle.as_raw_handle(),
                buffer.as_mut_ptr(),
                capacity,
                &mut removed,
                timeout_ms,
                0,
            )
        };
        if ok == 0 {
            let err = io::Error::last_os_error();
            return match err.raw_os_error() {
                Some(code) if code as u32 == ffi::WAIT_TIMEOUT => Ok(()),
                _ => Err(err),
            };
        }
        // SAFETY: the call succeeded and initialised exactly `removed` (<= capacity) entries.
        unsafe { buffer.set_len(removed as usize) };
        Ok(())
    }
}

impl AsRawHandle for CompletionPort {
    fn as_raw_handle(&self) -> std::os::windows::io::RawHandle {
        self.handle.as_raw_handle()
    }
}
