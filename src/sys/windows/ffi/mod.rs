//! The Win32, Winsock and NT calls minimio makes, declared by hand.
//!
//! Everything here is as the Windows SDK and the NT driver kit define it, except the AFD poll
//! request, which Microsoft does not document: its layout is the one the ancillary function
//! driver (`afd.sys`) has accepted since Windows XP, as used by every readiness library on
//! Windows. Each type, constant and signature is proven equal to `windows-sys` at the bottom of
//! this file; the AFD items, which `windows-sys` lacks, are proven from their parts.

#![allow(non_camel_case_types, non_snake_case, clippy::upper_case_acronyms)]

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86")))]
compile_error!("minimio's Windows declarations have not been checked for this architecture");

pub(crate) use std::ffi::c_void;

pub(crate) type BOOL = i32;
pub(crate) type HANDLE = *mut c_void;
/// What every NT native call returns and every NT request ends with: the top two bits are a
/// severity (success, informational, warning, error), only the last of which is a failure.
/// [`afd`](super::afd) explains it where minimio first meets one.
pub(crate) type NTSTATUS = i32;
pub(crate) type SOCKET = usize;

// ---------------------------------------------------------------------------------------------
// I/O completion ports (kernel32)
// ---------------------------------------------------------------------------------------------

/// The block a Win32 overlapped operation starts from. minimio never makes one: it only sees
/// the pointer-sized `lpOverlapped` value of a completion packet, which for minimio's requests
/// and posted packets is a pointer to its own state, or null. (The packet's *completion key*
/// is another value, which tells what kind of packet it is.) So it stays opaque here.
#[repr(C)]
pub(crate) struct OVERLAPPED {
    _opaque: [u8; 0],
}

/// One dequeued completion packet.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct OVERLAPPED_ENTRY {
    /// The key the handle was associated with, or the one given to `PostQueuedCompletionStatus`.
    pub(crate) lpCompletionKey: usize,
    /// For NT I/O, the `ApcContext` the request was issued with (Win32's overlapped calls pass
    /// their `OVERLAPPED` there, hence the name); for posted packets, the value given to
    /// `PostQueuedCompletionStatus`.
    pub(crate) lpOverlapped: *mut OVERLAPPED,
    /// The NT status the operation ended with (its `IO_STATUS_BLOCK`'s `Status`).
    pub(crate) Internal: usize,
    pub(crate) dwNumberOfBytesTransferred: u32,
}

pub(crate) const INFINITE: u32 = u32::MAX;
pub(crate) const WAIT_TIMEOUT: u32 = 258;
pub(crate) const ERROR_INVALID_HANDLE: u32 = 6;
/// For `SetFileCompletionNotificationModes`: do not signal the file handle itself on completion
/// (nobody waits on it; the completion port is told).
pub(crate) const FILE_SKIP_SET_EVENT_ON_HANDLE: u8 = 2;
pub(crate) const INVALID_HANDLE_VALUE: HANDLE = -1isize as HANDLE;
/// For `SetHandleInformation`: whether child processes inherit the handle.
pub(crate) const HANDLE_FLAG_INHERIT: u32 = 1;

// ---------------------------------------------------------------------------------------------
// NT native API (ntdll): opening \Device\Afd and talking to it
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) union IO_STATUS_BLOCK_0 {
    pub(crate) Status: NTSTATUS,
    pub(crate) Pointer: *mut c_void,
}

/// Where the kernel reports the outcome of an NT I/O request.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct IO_STATUS_BLOCK {
    pub(crate) Anonymous: IO_STATUS_BLOCK_0,
    pub(crate) Information: usize,
}

/// A counted UTF-16 string; lengths are in bytes.
#[repr(C)]
pub(crate) struct UNICODE_STRING {
    pub(crate) Length: u16,
    pub(crate) MaximumLength: u16,
    pub(crate) Buffer: *mut u16,
}

/// Names the object an NT call opens or creates: a path in the NT object namespace, relative to
/// `RootDirectory` if that is not null, with flags and security settings. See
/// [`Afd::new`](super::afd::Afd::new), its one use.
#[repr(C)]
pub(crate) struct OBJECT_ATTRIBUTES {
    pub(crate) Length: u32,
    pub(crate) RootDirectory: HANDLE,
    pub(crate) ObjectName: *const UNICODE_STRING,
    pub(crate) Attributes: u32,
    pub(crate) SecurityDescriptor: *const c_void,
    pub(crate) SecurityQualityOfService: *const c_void,
}

pub(crate) const STATUS_SUCCESS: NTSTATUS = 0;
pub(crate) const STATUS_PENDING: NTSTATUS = 0x103;
pub(crate) const STATUS_CANCELLED: NTSTATUS = 0xC000_0120_u32 as i32;
pub(crate) const STATUS_NOT_FOUND: NTSTATUS = 0xC000_0225_u32 as i32;
pub(crate) const SYNCHRONIZE: u32 = 0x0010_0000;
pub(crate) const FILE_SHARE_READ: u32 = 1;
pub(crate) const FILE_SHARE_WRITE: u32 = 2;
pub(crate) const FILE_OPEN: u32 = 1;
pub(crate) const OBJ_CASE_INSENSITIVE: u32 = 0x40;

// ---------------------------------------------------------------------------------------------
// The AFD poll request (undocumented; see the module docs)
// ---------------------------------------------------------------------------------------------

pub(crate) const FILE_DEVICE_NETWORK: u32 = 0x12;
pub(crate) const METHOD_BUFFERED: u32 = 0;
/// AFD's request number for "poll"; AFD builds its control codes as
/// `FILE_DEVICE_NETWORK << 12 | request << 2 | method`.
const AFD_POLL: u32 = 9;
pub(crate) const IOCTL_AFD_POLL: u32 = FILE_DEVICE_NETWORK << 12 | AFD_POLL << 2 | METHOD_BUFFERED;

pub(crate) const AFD_POLL_RECEIVE: u32 = 0x0001;
pub(crate) const AFD_POLL_RECEIVE_EXPEDITED: u32 = 0x0002;
pub(crate) const AFD_POLL_SEND: u32 = 0x0004;
pub(crate) const AFD_POLL_DISCONNECT: u32 = 0x0008;
pub(crate) const AFD_POLL_ABORT: u32 = 0x0010;
pub(crate) const AFD_POLL_LOCAL_CLOSE: u32 = 0x0020;
pub(crate) const AFD_POLL_ACCEPT: u32 = 0x0080;
pub(crate) const AFD_POLL_CONNECT_FAIL: u32 = 0x0100;

/// One socket of a poll request: what to wait for, and (on completion) what happened.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct AFD_POLL_HANDLE_INFO {
    pub(crate) Handle: HANDLE,
    pub(crate) Events: u32,
    pub(crate) Status: NTSTATUS,
}

/// A poll request over one socket. AFD reads it as input and writes the result over it.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct AFD_POLL_INFO {
    /// Absolute NT time at which the poll gives up; `i64::MAX` for never.
    pub(crate) Timeout: i64,
    pub(crate) NumberOfHandles: u32,
    /// Non-zero would make this poll replace other polls on the same socket; minimio never
    /// issues two on one socket, so it stays 0.
    pub(crate) Exclusive: u32,
    pub(crate) Handles: [AFD_POLL_HANDLE_INFO; 1],
}

// ---------------------------------------------------------------------------------------------
// Counting this process's handles, for the tests that prove minimio leaks none
// ---------------------------------------------------------------------------------------------

/// `NtQuerySystemInformation` class: every open handle of the system, with its process id.
#[cfg(test)]
pub(crate) const SYSTEM_EXTENDED_HANDLE_INFORMATION: i32 = 64;
#[cfg(test)]
pub(crate) const STATUS_INFO_LENGTH_MISMATCH: NTSTATUS = 0xC000_0004_u32 as i32;

/// One handle of the system handle table (undocumented, stable since Windows XP).
#[cfg(test)]
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX {
    pub(crate) Object: *mut c_void,
    pub(crate) UniqueProcessId: usize,
    pub(crate) HandleValue: usize,
    pub(crate) GrantedAccess: u32,
    pub(crate) CreatorBackTraceIndex: u16,
    pub(crate) ObjectTypeIndex: u16,
    pub(crate) HandleAttributes: u32,
    pub(crate) Reserved: u32,
}

/// The header of the system handle table; `NumberOfHandles` entries follow it.
#[cfg(test)]
#[repr(C)]
pub(crate) struct SYSTEM_HANDLE_INFORMATION_EX {
    pub(crate) NumberOfHandles: usize,
    pub(crate) Reserved: usize,
    pub(crate) Handles: [SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX; 1],
}

// ---------------------------------------------------------------------------------------------
// Winsock (ws2_32)
// ---------------------------------------------------------------------------------------------

/// Filled in by `WSAStartup`; minimio reads none of it.
#[repr(C)]
pub(crate) struct WSADATA {
    pub(crate) wVersion: u16,
    pub(crate) wHighVersion: u16,
    #[cfg(target_pointer_width = "64")]
    pub(crate) iMaxSockets: u16,
    #[cfg(target_pointer_width = "64")]
    pub(crate) iMaxUdpDg: u16,
    #[cfg(target_pointer_width = "64")]
    pub(crate) lpVendorInfo: *mut u8,
    pub(crate) szDescription: [u8; 257],
    pub(crate) szSystemStatus: [u8; 129],
    #[cfg(target_pointer_width = "32")]
    pub(crate) iMaxSockets: u16,
    #[cfg(target_pointer_width = "32")]
    pub(crate) iMaxUdpDg: u16,
    #[cfg(target_pointer_width = "32")]
    pub(crate) lpVendorInfo: *mut u8,
}

/// The header every socket address starts with; functions take a pointer to it.
#[repr(C)]
pub(crate) struct SOCKADDR {
    pub(crate) sa_family: u16,
    pub(crate) sa_data: [u8; 14],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct IN_ADDR {
    /// IPv4 address in network byte order.
    pub(crate) S_addr: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct SOCKADDR_IN {
    pub(crate) sin_family: u16,
    /// Port in network byte order.
    pub(crate) sin_port: u16,
    pub(crate) sin_addr: IN_ADDR,
    pub(crate) sin_zero: [u8; 8],
}

/// Aligned to 2 like the SDK's, which is a union of 16 bytes and 8 16-bit words.
#[repr(C, align(2))]
#[derive(Clone, Copy)]
pub(crate) struct IN6_ADDR {
    pub(crate) Byte: [u8; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct SOCKADDR_IN6 {
    pub(crate) sin6_family: u16,
    pub(crate) sin6_port: u16,
    pub(crate) sin6_flowinfo: u32,
    pub(crate) sin6_addr: IN6_ADDR,
    pub(crate) sin6_scope_id: u32,
}

pub(crate) const AF_INET: i32 = 2;
pub(crate) const AF_INET6: i32 = 23;
pub(crate) const SOCK_STREAM: i32 = 1;
pub(crate) const SOCK_DGRAM: i32 = 2;
pub(crate) const IPPROTO_IPV6: i32 = 41;
pub(crate) const IPV6_V6ONLY: i32 = 27;
pub(crate) const INVALID_SOCKET: SOCKET = !0;
pub(crate) const SOCKET_ERROR: i32 = -1;
pub(crate) const WSAEWOULDBLOCK: i32 = 10035;
pub(crate) const WSA_FLAG_OVERLAPPED: u32 = 0x01;
pub(crate) const WSA_FLAG_NO_HANDLE_INHERIT: u32 = 0x80;
/// `_IOW('f', 126, u_long)`: set (non-zero) or clear non-blocking mode.
pub(crate) const FIONBIO: i32 = 0x8004_667E_u32 as i32;
/// The socket the base provider created, beneath any layered service providers.
pub(crate) const SIO_BASE_HANDLE: u32 = 0x4800_0022;
/// What a layered provider hands to `select` / `WSAPoll`; fallbacks when `SIO_BASE_HANDLE`
/// is refused by a provider that intercepts it.
pub(crate) const SIO_BSP_HANDLE_SELECT: u32 = 0x4800_001C;
pub(crate) const SIO_BSP_HANDLE_POLL: u32 = 0x4800_001D;
/// The version minimio asks `WSAStartup` for: 2.2, the only one in use since Windows 98.
pub(crate) const WINSOCK_VERSION_2_2: u16 = 0x0202;

#[link(name = "kernel32")]
extern "system" {
    pub(crate) fn CreateIoCompletionPort(
        FileHandle: HANDLE,
        ExistingCompletionPort: HANDLE,
        CompletionKey: usize,
        NumberOfConcurrentThreads: u32,
    ) -> HANDLE;
    pub(crate) fn GetQueuedCompletionStatusEx(
        CompletionPort: HANDLE,
        lpCompletionPortEntries: *mut OVERLAPPED_ENTRY,
        ulCount: u32,
        ulNumEntriesRemoved: *mut u32,
        dwMilliseconds: u32,
        fAlertable: BOOL,
    ) -> BOOL;
    pub(crate) fn PostQueuedCompletionStatus(
        CompletionPort: HANDLE,
        dwNumberOfBytesTransferred: u32,
        dwCompletionKey: usize,
        lpOverlapped: *const OVERLAPPED,
    ) -> BOOL;
    pub(crate) fn SetFileCompletionNotificationModes(FileHandle: HANDLE, Flags: u8) -> BOOL;
    pub(crate) fn SetHandleInformation(hObject: HANDLE, dwMask: u32, dwFlags: u32) -> BOOL;
    #[cfg(test)]
    pub(crate) fn GetHandleInformation(hObject: HANDLE, lpdwFlags: *mut u32) -> BOOL;
    /// For the tests that prove minimio leaks no handle.
    #[cfg(test)]
    pub(crate) fn GetCurrentProcess() -> HANDLE;
    #[cfg(test)]
    pub(crate) fn GetProcessHandleCount(hProcess: HANDLE, pdwHandleCount: *mut u32) -> BOOL;
    #[cfg(test)]
    pub(crate) fn GetCurrentProcessId() -> u32;
}

#[link(name = "ntdll")]
extern "system" {
    pub(crate) fn NtCreateFile(
        FileHandle: *mut HANDLE,
        DesiredAccess: u32,
        ObjectAttributes: *const OBJECT_ATTRIBUTES,
        IoStatusBlock: *mut IO_STATUS_BLOCK,
        AllocationSize: *const i64,
        FileAttributes: u32,
        ShareAccess: u32,
        CreateDisposition: u32,
        CreateOptions: u32,
        EaBuffer: *const c_void,
        EaLength: u32,
    ) -> NTSTATUS;
    /// With no APC routine, on a handle associated with a completion port, `ApcContext`
    /// becomes the completion packet's `lpOverlapped`.
    pub(crate) fn NtDeviceIoControlFile(
        FileHandle: HANDLE,
        Event: HANDLE,
        ApcRoutine: *const c_void,
        ApcContext: *const c_void,
        IoStatusBlock: *mut IO_STATUS_BLOCK,
        IoControlCode: u32,
        InputBuffer: *const c_void,
        InputBufferLength: u32,
        OutputBuffer: *mut c_void,
        OutputBufferLength: u32,
    ) -> NTSTATUS;
    pub(crate) fn NtCancelIoFileEx(
        FileHandle: HANDLE,
        IoRequestToCancel: *const IO_STATUS_BLOCK,
        IoStatusBlock: *mut IO_STATUS_BLOCK,
    ) -> NTSTATUS;
    pub(crate) fn RtlNtStatusToDosError(Status: NTSTATUS) -> u32;
    #[cfg(test)]
    pub(crate) fn NtQuerySystemInformation(
        SystemInformationClass: i32,
        SystemInformation: *mut c_void,
        SystemInformationLength: u32,
        ReturnLength: *mut u32,
    ) -> NTSTATUS;
}

#[link(name = "ws2_32")]
extern "system" {
    pub(crate) fn WSAStartup(wVersionRequested: u16, lpWSAData: *mut WSADATA) -> i32;
    pub(crate) fn WSAGetLastError() -> i32;
    pub(crate) fn WSASocketW(
        af: i32,
        r#type: i32,
        protocol: i32,
        lpProtocolInfo: *const c_void,
        g: u32,
        dwFlags: u32,
    ) -> SOCKET;
    pub(crate) fn WSAIoctl(
        s: SOCKET,
        dwIoControlCode: u32,
        lpvInBuffer: *const c_void,
        cbInBuffer: u32,
        lpvOutBuffer: *mut c_void,
        cbOutBuffer: u32,
        lpcbBytesReturned: *mut u32,
        lpOverlapped: *mut OVERLAPPED,
        lpCompletionRoutine: *const c_void,
    ) -> i32;
    pub(crate) fn ioctlsocket(s: SOCKET, cmd: i32, argp: *mut u32) -> i32;
    pub(crate) fn bind(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32;
    pub(crate) fn listen(s: SOCKET, backlog: i32) -> i32;
    pub(crate) fn connect(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32;
    pub(crate) fn getsockopt(
        s: SOCKET,
        level: i32,
        optname: i32,
        optval: *mut u8,
        optlen: *mut i32,
    ) -> i32;
}

#[cfg(test)]
mod layout_proof;
