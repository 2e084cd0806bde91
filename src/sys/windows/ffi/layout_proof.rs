//! Compile-time proof that every declaration in `ffi` matches `windows-sys` for the target
//! being compiled: sizes, alignments, field offsets, constants and function signatures (see
//! `src/macros.rs` for what these checks prove and what they cannot).

use super::*;
use std::mem::{align_of, offset_of, size_of};
use windows_sys::Wdk::Foundation as wdk;
use windows_sys::Wdk::Storage::FileSystem as wdk_fs;
use windows_sys::Win32::Foundation as found;
use windows_sys::Win32::Networking::WinSock as ws;
use windows_sys::Win32::Storage::FileSystem as fs;
use windows_sys::Win32::System::Ioctl as ioctl;
use windows_sys::Win32::System::Threading as threading;
use windows_sys::Win32::System::WindowsProgramming as wp;
use windows_sys::Win32::System::IO as io;

same_layout!(BOOL, windows_sys::core::BOOL {});
same_layout!(HANDLE, found::HANDLE {});
same_layout!(NTSTATUS, found::NTSTATUS {});
same_layout!(SOCKET, ws::SOCKET {});
same_layout!(OVERLAPPED_ENTRY, io::OVERLAPPED_ENTRY {
    lpCompletionKey = lpCompletionKey,
    lpOverlapped = lpOverlapped,
    Internal = Internal,
    dwNumberOfBytesTransferred = dwNumberOfBytesTransferred,
});
same_layout!(IO_STATUS_BLOCK_0, io::IO_STATUS_BLOCK_0 { Status = Status, Pointer = Pointer });
same_layout!(IO_STATUS_BLOCK, io::IO_STATUS_BLOCK {
    Anonymous = Anonymous,
    Information = Information,
});
same_layout!(UNICODE_STRING, found::UNICODE_STRING {
    Length = Length,
    MaximumLength = MaximumLength,
    Buffer = Buffer,
});
same_layout!(OBJECT_ATTRIBUTES, wdk::OBJECT_ATTRIBUTES {
    Length = Length,
    RootDirectory = RootDirectory,
    ObjectName = ObjectName,
    Attributes = Attributes,
    SecurityDescriptor = SecurityDescriptor,
    SecurityQualityOfService = SecurityQualityOfService,
});
same_layout!(WSADATA, ws::WSADATA {
    wVersion = wVersion,
    wHighVersion = wHighVersion,
    iMaxSockets = iMaxSockets,
    iMaxUdpDg = iMaxUdpDg,
    lpVendorInfo = lpVendorInfo,
    szDescription = szDescription,
    szSystemStatus = szSystemStatus,
});
same_layout!(SOCKADDR, ws::SOCKADDR { sa_family = sa_family, sa_data = sa_data });
same_layout!(IN_ADDR, ws::IN_ADDR { S_addr = S_un });
same_layout!(IN6_ADDR, ws::IN6_ADDR { Byte = u });
same_layout!(SOCKADDR_IN, ws::SOCKADDR_IN {
    sin_family = sin_family,
    sin_port = sin_port,
    sin_addr = sin_addr,
    sin_zero = sin_zero,
});
same_layout!(SOCKADDR_IN6, ws::SOCKADDR_IN6 {
    sin6_family = sin6_family,
    sin6_port = sin6_port,
    sin6_flowinfo = sin6_flowinfo,
    sin6_addr = sin6_addr,
    sin6_scope_id = Anonymous,
});

// The AFD request is not in windows-sys. It is proven from its parts: a HANDLE-sized,
// HANDLE-aligned socket followed by two 32-bit fields, and a header of an NT time
// (LARGE_INTEGER) and two 32-bit fields, padded at the end to the NT time's alignment (which
// adds 4 bytes on 32-bit x86 only).
same_layout!(AFD_POLL_HANDLE_INFO, (found::HANDLE, u32, i32) {});
const _: () = {
    assert!(offset_of!(AFD_POLL_HANDLE_INFO, Events) == size_of::<found::HANDLE>());
    assert!(offset_of!(AFD_POLL_HANDLE_INFO, Status) == size_of::<found::HANDLE>() + 4);
    assert!(offset_of!(AFD_POLL_INFO, Timeout) == 0);
    assert!(offset_of!(AFD_POLL_INFO, NumberOfHandles) == 8);
    assert!(offset_of!(AFD_POLL_INFO, Exclusive) == 12);
    assert!(offset_of!(AFD_POLL_INFO, Handles) == 16);
    let unpadded = 16 + size_of::<AFD_POLL_HANDLE_INFO>();
    assert!(size_of::<AFD_POLL_INFO>() == unpadded.next_multiple_of(align_of::<i64>()));
    assert!(align_of::<AFD_POLL_INFO>() == align_of::<i64>());
};
// The handle table is not in windows-sys either: pointer-sized fields, then four 32-bit
// ones (two of them as 16-bit halves), with no padding.
const _: () = {
    type Entry = SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX;
    let word = size_of::<usize>();
    assert!(offset_of!(Entry, UniqueProcessId) == word);
    assert!(offset_of!(Entry, HandleValue) == 2 * word);
    assert!(offset_of!(Entry, GrantedAccess) == 3 * word);
    assert!(offset_of!(Entry, CreatorBackTraceIndex) == 3 * word + 4);
    assert!(offset_of!(Entry, ObjectTypeIndex) == 3 * word + 6);
    assert!(offset_of!(Entry, HandleAttributes) == 3 * word + 8);
    assert!(size_of::<Entry>() == 3 * word + 16);
    assert!(offset_of!(SYSTEM_HANDLE_INFORMATION_EX, Handles) == 2 * word);
};

// AFD builds its codes like CTL_CODE does, with the access bits left at zero.
const _: () = assert!(IOCTL_AFD_POLL == 0x0001_2024);

same_value!(
    INFINITE = threading::INFINITE,
    HANDLE_FLAG_INHERIT = found::HANDLE_FLAG_INHERIT,
    WAIT_TIMEOUT = found::WAIT_TIMEOUT,
    ERROR_INVALID_HANDLE = found::ERROR_INVALID_HANDLE,
    FILE_SKIP_SET_EVENT_ON_HANDLE = wp::FILE_SKIP_SET_EVENT_ON_HANDLE,
    STATUS_SUCCESS = found::STATUS_SUCCESS,
    STATUS_PENDING = found::STATUS_PENDING,
    STATUS_CANCELLED = found::STATUS_CANCELLED,
    STATUS_NOT_FOUND = found::STATUS_NOT_FOUND,
    SYNCHRONIZE = fs::SYNCHRONIZE,
    FILE_SHARE_READ = fs::FILE_SHARE_READ,
    FILE_SHARE_WRITE = fs::FILE_SHARE_WRITE,
    FILE_OPEN = wdk_fs::FILE_OPEN,
    OBJ_CASE_INSENSITIVE = found::OBJ_CASE_INSENSITIVE,
    FILE_DEVICE_NETWORK = ioctl::FILE_DEVICE_NETWORK,
    METHOD_BUFFERED = ioctl::METHOD_BUFFERED,
    AF_INET = ws::AF_INET,
    AF_INET6 = ws::AF_INET6,
    SOCK_STREAM = ws::SOCK_STREAM,
    SOCK_DGRAM = ws::SOCK_DGRAM,
    IPPROTO_IPV6 = ws::IPPROTO_IPV6,
    IPV6_V6ONLY = ws::IPV6_V6ONLY,
    INVALID_SOCKET = ws::INVALID_SOCKET,
    SOCKET_ERROR = ws::SOCKET_ERROR,
    WSAEWOULDBLOCK = ws::WSAEWOULDBLOCK,
    WSA_FLAG_OVERLAPPED = ws::WSA_FLAG_OVERLAPPED,
    WSA_FLAG_NO_HANDLE_INHERIT = ws::WSA_FLAG_NO_HANDLE_INHERIT,
    FIONBIO = ws::FIONBIO,
    SIO_BASE_HANDLE = ws::SIO_BASE_HANDLE,
    SIO_BSP_HANDLE_SELECT = ws::SIO_BSP_HANDLE_SELECT,
    SIO_BSP_HANDLE_POLL = ws::SIO_BSP_HANDLE_POLL,
    STATUS_INFO_LENGTH_MISMATCH = found::STATUS_INFO_LENGTH_MISMATCH,
);
// A pointer's value cannot be read in a constant, so this one is checked when tests run.
#[test]
fn invalid_handle_value_is_minus_one() {
    assert_eq!(INVALID_HANDLE_VALUE, found::INVALID_HANDLE_VALUE);
}

// Signatures: ours and windows-sys's coerce to the same function-pointer shape, with our
// structs in place of theirs (whose layouts are proven equal above). Where windows-sys
// types a pointer to a struct we keep opaque (OVERLAPPED, WSAPROTOCOL_INFOW, callbacks),
// the pointer's size is what the ABI sees.
const _: unsafe extern "system" fn(HANDLE, HANDLE, usize, u32) -> HANDLE = CreateIoCompletionPort;
const _: unsafe extern "system" fn(HANDLE, HANDLE, usize, u32) -> HANDLE =
    io::CreateIoCompletionPort;
const _: unsafe extern "system" fn(
    HANDLE,
    *mut OVERLAPPED_ENTRY,
    u32,
    *mut u32,
    u32,
    BOOL,
) -> BOOL = GetQueuedCompletionStatusEx;
const _: unsafe extern "system" fn(
    HANDLE,
    *mut io::OVERLAPPED_ENTRY,
    u32,
    *mut u32,
    u32,
    BOOL,
) -> BOOL = io::GetQueuedCompletionStatusEx;
const _: unsafe extern "system" fn(HANDLE, u32, usize, *const OVERLAPPED) -> BOOL =
    PostQueuedCompletionStatus;
const _: unsafe extern "system" fn(HANDLE, u32, usize, *const io::OVERLAPPED) -> BOOL =
    io::PostQueuedCompletionStatus;
const _: unsafe extern "system" fn(HANDLE, u8) -> BOOL = SetFileCompletionNotificationModes;
const _: unsafe extern "system" fn(HANDLE, u8) -> BOOL = fs::SetFileCompletionNotificationModes;
const _: unsafe extern "system" fn(HANDLE, u32, u32) -> BOOL = SetHandleInformation;
const _: unsafe extern "system" fn(HANDLE, u32, found::HANDLE_FLAGS) -> BOOL =
    found::SetHandleInformation;
const _: unsafe extern "system" fn(HANDLE, *mut u32) -> BOOL = GetHandleInformation;
const _: unsafe extern "system" fn(HANDLE, *mut u32) -> BOOL = found::GetHandleInformation;
const _: unsafe extern "system" fn() -> HANDLE = GetCurrentProcess;
const _: unsafe extern "system" fn() -> HANDLE = threading::GetCurrentProcess;
const _: unsafe extern "system" fn(HANDLE, *mut u32) -> BOOL = GetProcessHandleCount;
const _: unsafe extern "system" fn(HANDLE, *mut u32) -> BOOL = threading::GetProcessHandleCount;
const _: unsafe extern "system" fn(
    *mut HANDLE,
    u32,
    *const OBJECT_ATTRIBUTES,
    *mut IO_STATUS_BLOCK,
    *const i64,
    u32,
    u32,
    u32,
    u32,
    *const c_void,
    u32,
) -> NTSTATUS = NtCreateFile;
const _: unsafe extern "system" fn(
    *mut HANDLE,
    u32,
    *const wdk::OBJECT_ATTRIBUTES,
    *mut io::IO_STATUS_BLOCK,
    *const i64,
    u32,
    u32,
    u32,
    u32,
    *const c_void,
    u32,
) -> NTSTATUS = wdk_fs::NtCreateFile;
const _: unsafe extern "system" fn(
    HANDLE,
    HANDLE,
    *const c_void,
    *const c_void,
    *mut IO_STATUS_BLOCK,
    u32,
    *const c_void,
    u32,
    *mut c_void,
    u32,
) -> NTSTATUS = NtDeviceIoControlFile;
const _: unsafe extern "system" fn(
    HANDLE,
    HANDLE,
    io::PIO_APC_ROUTINE,
    *const c_void,
    *mut io::IO_STATUS_BLOCK,
    u32,
    *const c_void,
    u32,
    *mut c_void,
    u32,
) -> NTSTATUS = windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
// The APC routine is an optional function pointer there, a nullable pointer here.
const _: () = assert!(size_of::<io::PIO_APC_ROUTINE>() == size_of::<*const c_void>());
const _: unsafe extern "system" fn(
    HANDLE,
    *const IO_STATUS_BLOCK,
    *mut IO_STATUS_BLOCK,
) -> NTSTATUS = NtCancelIoFileEx;
const _: unsafe extern "system" fn(
    HANDLE,
    *const io::IO_STATUS_BLOCK,
    *mut io::IO_STATUS_BLOCK,
) -> NTSTATUS = wdk_fs::NtCancelIoFileEx;
const _: unsafe extern "system" fn() -> u32 = GetCurrentProcessId;
const _: unsafe extern "system" fn() -> u32 = threading::GetCurrentProcessId;
const _: unsafe extern "system" fn(i32, *mut c_void, u32, *mut u32) -> NTSTATUS =
    NtQuerySystemInformation;
const _: unsafe extern "system" fn(
    windows_sys::Wdk::System::SystemInformation::SYSTEM_INFORMATION_CLASS,
    *mut c_void,
    u32,
    *mut u32,
) -> NTSTATUS = windows_sys::Wdk::System::SystemInformation::NtQuerySystemInformation;
const _: unsafe extern "system" fn(NTSTATUS) -> u32 = RtlNtStatusToDosError;
const _: unsafe extern "system" fn(NTSTATUS) -> u32 = found::RtlNtStatusToDosError;
const _: unsafe extern "system" fn(u16, *mut WSADATA) -> i32 = WSAStartup;
const _: unsafe extern "system" fn(u16, *mut ws::WSADATA) -> i32 = ws::WSAStartup;
const _: unsafe extern "system" fn() -> i32 = WSAGetLastError;
const _: unsafe extern "system" fn() -> ws::WSA_ERROR = ws::WSAGetLastError;
const _: unsafe extern "system" fn(i32, i32, i32, *const c_void, u32, u32) -> SOCKET = WSASocketW;
const _: unsafe extern "system" fn(
    i32,
    i32,
    i32,
    *const ws::WSAPROTOCOL_INFOW,
    u32,
    u32,
) -> SOCKET = ws::WSASocketW;
const _: unsafe extern "system" fn(
    SOCKET,
    u32,
    *const c_void,
    u32,
    *mut c_void,
    u32,
    *mut u32,
    *mut OVERLAPPED,
    *const c_void,
) -> i32 = WSAIoctl;
const _: unsafe extern "system" fn(
    SOCKET,
    u32,
    *const c_void,
    u32,
    *mut c_void,
    u32,
    *mut u32,
    *mut io::OVERLAPPED,
    ws::LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 = ws::WSAIoctl;
const _: () =
    assert!(size_of::<ws::LPWSAOVERLAPPED_COMPLETION_ROUTINE>() == size_of::<*const c_void>());
const _: unsafe extern "system" fn(SOCKET, i32, *mut u32) -> i32 = ioctlsocket;
const _: unsafe extern "system" fn(SOCKET, i32, *mut u32) -> i32 = ws::ioctlsocket;
const _: unsafe extern "system" fn(SOCKET, *const SOCKADDR, i32) -> i32 = bind;
const _: unsafe extern "system" fn(SOCKET, *const ws::SOCKADDR, i32) -> i32 = ws::bind;
const _: unsafe extern "system" fn(SOCKET, i32) -> i32 = listen;
const _: unsafe extern "system" fn(SOCKET, i32) -> i32 = ws::listen;
const _: unsafe extern "system" fn(SOCKET, *const SOCKADDR, i32) -> i32 = connect;
const _: unsafe extern "system" fn(SOCKET, *const ws::SOCKADDR, i32) -> i32 = ws::connect;
const _: unsafe extern "system" fn(SOCKET, i32, i32, *mut u8, *mut i32) -> i32 = getsockopt;
const _: unsafe extern "system" fn(SOCKET, i32, i32, *mut u8, *mut i32) -> i32 = ws::getsockopt;
