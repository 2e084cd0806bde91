//! `\Device\Afd`: asking the socket driver itself when a socket is ready.
//!
//! Winsock sockets are files of the *ancillary function driver* (AFD). Besides `select` and
//! `WSAPoll`, which block a thread, AFD answers an asynchronous request, `IOCTL_AFD_POLL`: "tell
//! me when one of these events happens on this socket". Issued through `NtDeviceIoControlFile`
//! on a handle to the driver that is associated with a completion port, the request completes
//! onto the port like any overlapped I/O, which turns IOCP's completion model into readiness.
//!
//! The sequence:
//!
//! 1. `NtCreateFile(\Device\Afd\minimio)` opens a handle to the driver (the part after
//!    `\Device\Afd` is a free name); it is associated with the completion port once.
//! 2. `NtDeviceIoControlFile(IOCTL_AFD_POLL)` with an [`ffi::AFD_POLL_INFO`] naming the socket
//!    and the events wanted. The driver keeps pointers to that block and to the
//!    [`ffi::IO_STATUS_BLOCK`] and writes the result into both when an event happens: both must
//!    stay where they are until the completion packet has been dequeued.
//! 3. `NtCancelIoFileEx` cancels a request that is no longer wanted; it then completes with
//!    `STATUS_CANCELLED`, and its memory is free only after *that* packet is dequeued.
//!
//! One AFD handle can carry the polls of many sockets; the selector shares each among a group.
//!
//! # The NT native API
//!
//! These three calls come from `ntdll`, the layer beneath Win32 that `kernel32` itself is built
//! on; Win32 has no way to open a device by its NT name or to issue AFD's request. Two things
//! differ from Win32 calls:
//!
//! - **`NTSTATUS`.** An NT call returns its outcome instead of setting a last error: a 32-bit
//!   value whose top two bits are a severity, `00` success, `01` informational, `10` warning,
//!   `11` error (then a customer bit, a facility and a code). Only the error severity
//!   (`NT_ERROR` in `ntdef.h`, [`is_nt_error`] here) means the call failed; `STATUS_PENDING`
//!   (`0x103`) is a success that says "under way". [`nt_error`] maps a failure to the Win32
//!   error that `io::Error` names.
//! - **`OBJECT_ATTRIBUTES`.** Where `CreateFileW` takes a path, `NtCreateFile` takes this
//!   block: the object's name in the NT object namespace (a counted UTF-16 `UNICODE_STRING`,
//!   here `\Device\Afd\minimio`, not a Win32 path), an optional directory handle the name is
//!   relative to, flags such as `OBJ_CASE_INSENSITIVE`, and security settings (none: the
//!   defaults).
//!
//! # From a request to its packet
//!
//! `NtDeviceIoControlFile` takes an `ApcContext` pointer. When the request names no APC routine
//! and its handle is associated with a completion port, the I/O manager puts that pointer into
//! the request's completion packet, and `GetQueuedCompletionStatusEx` hands it back as the
//! packet's `lpOverlapped`, beside the `Status` and `Information` of the request's
//! `IO_STATUS_BLOCK` (as `Internal` and `dwNumberOfBytesTransferred`) and the handle's
//! completion key. Win32's overlapped calls pass their `OVERLAPPED` there, hence the field's
//! name; minimio passes the polled socket's state, which is how a packet finds its socket.

use std::io;
use std::mem::size_of;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::ptr;

use super::ffi;
use super::iocp::{CompletionPort, PacketKind};

/// The device path opened for every AFD handle, as UTF-16.
const AFD_DEVICE_NAME: &str = "\\Device\\Afd\\minimio";

/// Turns an NT status into the Win32 error an `io::Error` knows how to name.
pub(crate) fn nt_error(status: ffi::NTSTATUS) -> io::Error {
    // SAFETY: RtlNtStatusToDosError is a pure mapping function; it takes no pointers.
    let code = unsafe { ffi::RtlNtStatusToDosError(status) };
    io::Error::from_raw_os_error(code as i32)
}

/// Whether `status` is an NT *error*: severity bits `11`, what `ntdef.h` calls `NT_ERROR`.
pub(crate) fn is_nt_error(status: ffi::NTSTATUS) -> bool {
    (status as u32) >> 30 == 0b11
}

/// Whether a request to a handle associated with a completion port, answered with `status`,
/// still queues a packet. The I/O manager queues one for every request the driver accepted,
/// which is every answer but an NT error: informational and warning statuses (say
/// `STATUS_BUFFER_OVERFLOW`) come with a packet as `STATUS_SUCCESS` and `STATUS_PENDING` do.
/// Taking such an answer for a refusal would release the request's context twice: once now,
/// once when its packet arrives.
fn packet_follows(status: ffi::NTSTATUS) -> bool {
    !is_nt_error(status)
}

/// A handle to the AFD driver, associated with a completion port.
#[derive(Debug)]
pub(crate) struct Afd {
    handle: OwnedHandle,
}

impl Afd {
    /// Opens `\Device\Afd\minimio` and associates it with `port` for [`PacketKind::AfdPoll`].
    pub(crate) fn new(port: &CompletionPort) -> io::Result<Afd> {
        let mut name: Vec<u16> = AFD_DEVICE_NAME.encode_utf16().collect();
        let name_bytes = (name.len() * size_of::<u16>()) as u16;
        let unicode_name = ffi::UNICODE_STRING {
            Length: name_bytes,
            MaximumLength: name_bytes,
            Buffer: name.as_mut_ptr(),
        };
        let attributes = ffi::OBJECT_ATTRIBUTES {
            Length: size_of::<ffi::OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: ptr::null_mut(),
            ObjectName: &unicode_name,
            Attributes: ffi::OBJ_CASE_INSENSITIVE,
            SecurityDescriptor: ptr::null(),
            SecurityQualityOfService: ptr::null(),
        };
        let mut handle: ffi::HANDLE = ptr::null_mut();
        let mut iosb = ffi::IO_STATUS_BLOCK {
            Anonymous: ffi::IO_STATUS_BLOCK_0 { Status: 0 },
            Information: 0,
        };
        // SAFETY: every pointer is to a live local (`name` outlives `unicode_name`, which
        // outlives `attributes`); the open is synchronous, so the kernel keeps none of them.
        let status = unsafe {
            ffi::NtCreateFile(
                &mut handle,
                ffi::SYNCHRONIZE,
                &attributes,
                &mut iosb,
                ptr::null(),
                0,
                ffi::FILE_SHARE_READ | ffi::FILE_SHARE_WRITE,
                ffi::FILE_OPEN,
                0,
                ptr::null(),
                0,
            )
        };
        if status != ffi::STATUS_SUCCESS {
            return Err(nt_error(status));
        }
        // SAFETY: NtCreateFile succeeded, so `handle` is a new handle nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
        let afd = Afd { handle };
        port.associate(&afd.handle, PacketKind::AfdPoll)?;
        // Nobody waits on the AFD handle itself, so the kernel need not signal it on every
        // completion. Failing to switch that off costs a little time and nothing else.
        // SAFETY: the handle is open; the call takes no pointers.
        unsafe {
            ffi::SetFileCompletionNotificationModes(
                afd.handle.as_raw_handle(),
                ffi::FILE_SKIP_SET_EVENT_ON_HANDLE,
            )
        };
        Ok(afd)
    }

    /// Issues `IOCTL_AFD_POLL` for the request in `info`; its completion packet will carry
    /// `context` as its `lpOverlapped`.
    ///
    /// `Ok` means the request is under way (or already done): exactly one completion packet
    /// will follow. An error means the driver refused it (an NT error), and no packet will
    /// come.
    ///
    /// # Safety
    ///
    /// `info` and `iosb` must be valid for reads and writes, and must neither move nor be freed
    /// nor be accessed by anyone else until the completion packet for `context` has been
    /// dequeued from the port.
    pub(crate) unsafe fn poll(
        &self,
        info: *mut ffi::AFD_POLL_INFO,
        iosb: *mut ffi::IO_STATUS_BLOCK,
        context: *const ffi::c_void,
    ) -> io::Result<()> {
        // Where the tests make the driver refuse a request (see `faults`).
        #[cfg(test)]
        {
            // SAFETY: the caller guarantees that `info` is valid for reads.
            let socket = unsafe { (*info).Handles[0].Handle } as ffi::SOCKET;
            if let Some(status) = super::faults::take_refusal(socket) {
                return Err(nt_error(status));
            }
        }
        let length = size_of::<ffi::AFD_POLL_INFO>() as u32;
        // SAFETY: the handle is open; the caller guarantees that `info` (used as both input and
        // output buffer, as AFD expects) and `iosb` stay valid until the completion is dequeued.
        let status = unsafe {
            ffi::NtDeviceIoControlFile(
                self.handle.as_raw_handle(),
                ptr::null_mut(),
                ptr::null(),
                context,
                iosb,
                ffi::IOCTL_AFD_POLL,
                info.cast(),
                length,
                info.cast(),
                length,
            )
        };
        if packet_follows(status) {
            Ok(())
        } else {
            Err(nt_error(status))
        }
    }

    /// Asks the driver to cancel the request whose status block is `iosb`. Its completion packet
    /// still arrives (with `STATUS_CANCELLED`, or with its result if it finished first).
    ///
    /// # Safety
    ///
    /// `iosb` must be null (cancel every request on this handle), or the status block of a
    /// request issued on this handle whose completion has not been dequeued yet (so it is still
    /// valid memory).
    pub(crate) unsafe fn cancel(&self, iosb: *const ffi::IO_STATUS_BLOCK) -> io::Result<()> {
        let mut cancel_iosb = ffi::IO_STATUS_BLOCK {
            Anonymous: ffi::IO_STATUS_BLOCK_0 { Status: 0 },
            Information: 0,
        };
        // SAFETY: the handle is open; `iosb` is only compared with the pending requests' status
        // blocks (the caller keeps it valid); `cancel_iosb` is a live local the synchronous call
        // writes into.
        let status =
            unsafe { ffi::NtCancelIoFileEx(self.handle.as_raw_handle(), iosb, &mut cancel_iosb) };
        // STATUS_NOT_FOUND: the request already completed; its packet is on the way.
        if status == ffi::STATUS_SUCCESS || status == ffi::STATUS_NOT_FOUND {
            Ok(())
        } else {
            Err(nt_error(status))
        }
    }

    /// Cancels every request pending on this handle, for a selector that is going away.
    pub(crate) fn cancel_all(&self) {
        // On failure the requests still complete by themselves; cancelling only hurries them.
        // SAFETY: a null status block selects every request on the handle.
        let _ = unsafe { self.cancel(ptr::null()) };
    }
}

impl AsRawHandle for Afd {
    fn as_raw_handle(&self) -> RawHandle {
        self.handle.as_raw_handle()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use windows_sys::Win32::Foundation as found;

    #[test]
    fn the_severity_bits_tell_an_nt_error() {
        assert!(is_nt_error(found::STATUS_CANCELLED));
        assert!(is_nt_error(-1));
        assert!(!is_nt_error(found::STATUS_BUFFER_OVERFLOW));
        assert!(!is_nt_error(found::STATUS_OBJECT_NAME_EXISTS));
        assert!(!is_nt_error(found::STATUS_SUCCESS));
    }

    #[test]
    fn every_status_but_an_nt_error_queues_a_packet() {
        let queued = [
            found::STATUS_SUCCESS,
            found::STATUS_PENDING,
            found::STATUS_ALERTED,
            found::STATUS_OBJECT_NAME_EXISTS,
            found::STATUS_BUFFER_OVERFLOW,
            found::STATUS_NO_MORE_ENTRIES,
            0x7FFF_FFFF,
            0xBFFF_FFFF_u32 as i32,
        ];
        for status in queued {
            assert!(packet_follows(status), "{:#010x}", status as u32);
        }
        let refused = [
            found::STATUS_CANCELLED,
            found::STATUS_INVALID_HANDLE,
            found::STATUS_INSUFFICIENT_RESOURCES,
            0xC000_0000_u32 as i32,
            -1,
        ];
        for status in refused {
            assert!(!packet_follows(status), "{:#010x}", status as u32);
        }
    }
}
