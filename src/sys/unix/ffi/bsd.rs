//! The system calls minimio makes on the kqueue systems: macOS and iOS (Darwin), FreeBSD,
//! NetBSD, OpenBSD and DragonFly, declared by hand against their C libraries.
//!
//! They share the 4.4BSD heritage: socket addresses start with a length byte, `SOL_SOCKET` is
//! 0xffff, and kqueue is the event interface. Where they differ, the item is declared once per
//! system, next to its siblings, so each difference can be read in one place:
//!
//! - `struct kevent`: Darwin packs it to 4 bytes; FreeBSD 12+ appends `ext[4]`; NetBSD widens
//!   `filter` and `flags` to 32 bits and numbers its filters from 0; Darwin and DragonFly type
//!   `data` as `intptr_t`.
//! - Darwin has no `SOCK_NONBLOCK`, `SOCK_CLOEXEC`, `accept4` or `pipe2`: its sockets and pipes
//!   are made first and then switched with `fcntl`, and its sockets get `SO_NOSIGPIPE` because it
//!   has no `MSG_NOSIGNAL` either.
//! - `AF_INET6` and `O_CLOEXEC` have a different value on almost every system.
//!
//! Only 64-bit targets are declared: `time_t`, `intptr_t` and `long` are 64 bits wide here.

#![allow(non_camel_case_types)]

#[cfg(not(target_pointer_width = "64"))]
compile_error!("minimio's BSD declarations have been checked for 64-bit targets only");

pub(crate) use std::ffi::{c_int, c_long, c_short, c_uint, c_void};

pub(crate) type sa_family_t = u8;
pub(crate) type socklen_t = u32;
pub(crate) type in_port_t = u16;
pub(crate) type nfds_t = c_uint;

// ---------------------------------------------------------------------------------------------
// kqueue(2), kevent(2)
// ---------------------------------------------------------------------------------------------

/// The type of `kevent::filter` on this system.
#[cfg(not(target_os = "netbsd"))]
pub(crate) type KeventFilter = i16;
/// The type of `kevent::flags` on this system.
#[cfg(not(target_os = "netbsd"))]
pub(crate) type KeventFlags = u16;
/// The type of the counts `kevent` takes.
#[cfg(not(target_os = "netbsd"))]
pub(crate) type KeventCount = c_int;

#[cfg(target_os = "netbsd")]
pub(crate) type KeventFilter = u32;
#[cfg(target_os = "netbsd")]
pub(crate) type KeventFlags = u32;
#[cfg(target_os = "netbsd")]
pub(crate) type KeventCount = usize;

/// One change (in the changelist) or one report (in the event list).
///
/// `udata` is a pointer-sized integer here rather than a `void *`: minimio stores a token in it,
/// never a pointer, and an integer keeps reports `Send` and `Sync`. The layout is the same.
/// Darwin packs the struct to 4 bytes (`#pragma pack(4)` in `<sys/event.h>`).
#[repr(C)]
#[cfg_attr(minimio_apple, repr(packed(4)))]
#[derive(Clone, Copy)]
pub(crate) struct kevent {
    /// What the filter watches: an fd for the read and write filters, any number for user events.
    pub(crate) ident: usize,
    pub(crate) filter: KeventFilter,
    pub(crate) flags: KeventFlags,
    /// Filter-specific: `NOTE_TRIGGER` for user events; a socket's errno with `EV_EOF`.
    pub(crate) fflags: u32,
    /// Filter-specific: bytes readable or writable; the errno of a receipt (`EV_ERROR`).
    pub(crate) data: i64,
    pub(crate) udata: usize,
    /// FreeBSD 12+ extensions, unused by minimio and zeroed.
    #[cfg(target_os = "freebsd")]
    pub(crate) ext: [u64; 4],
}

/// A wait time for `kevent`; nanosecond resolution.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct timespec {
    pub(crate) tv_sec: i64,
    pub(crate) tv_nsec: c_long,
}

#[cfg(not(target_os = "netbsd"))]
mod filters {
    use super::KeventFilter;

    pub(crate) const EVFILT_READ: KeventFilter = -1;
    pub(crate) const EVFILT_WRITE: KeventFilter = -2;
    pub(crate) const EVFILT_AIO: KeventFilter = -3;
    #[cfg(target_os = "freebsd")]
    pub(crate) const EVFILT_LIO: KeventFilter = -10;
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "openbsd"))]
    pub(crate) const EVFILT_USER: KeventFilter = -10;
    #[cfg(target_os = "freebsd")]
    pub(crate) const EVFILT_USER: KeventFilter = -11;
    #[cfg(target_os = "dragonfly")]
    pub(crate) const EVFILT_USER: KeventFilter = -9;
}

#[cfg(target_os = "netbsd")]
mod filters {
    use super::KeventFilter;

    pub(crate) const EVFILT_READ: KeventFilter = 0;
    pub(crate) const EVFILT_WRITE: KeventFilter = 1;
    pub(crate) const EVFILT_AIO: KeventFilter = 2;
    pub(crate) const EVFILT_USER: KeventFilter = 8;
}

#[allow(unused_imports)] // unused when the poll(2) backend is forced
pub(crate) use self::filters::*;

pub(crate) const EV_ADD: KeventFlags = 0x1;
pub(crate) const EV_DELETE: KeventFlags = 0x2;
pub(crate) const EV_ENABLE: KeventFlags = 0x4;
pub(crate) const EV_CLEAR: KeventFlags = 0x20;
pub(crate) const EV_RECEIPT: KeventFlags = 0x40;
pub(crate) const EV_ERROR: KeventFlags = 0x4000;
pub(crate) const EV_EOF: KeventFlags = 0x8000;
pub(crate) const NOTE_TRIGGER: u32 = 0x0100_0000;

// ---------------------------------------------------------------------------------------------
// poll(2)
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct pollfd {
    pub(crate) fd: c_int,
    pub(crate) events: c_short,
    pub(crate) revents: c_short,
}

pub(crate) const POLLIN: c_short = 0x001;
pub(crate) const POLLPRI: c_short = 0x002;
pub(crate) const POLLOUT: c_short = 0x004;
pub(crate) const POLLERR: c_short = 0x008;
pub(crate) const POLLHUP: c_short = 0x010;
pub(crate) const POLLNVAL: c_short = 0x020;
/// The peer shut down its writing side; only FreeBSD has it (sys/poll.h).
#[cfg(target_os = "freebsd")]
pub(crate) const POLLRDHUP: c_short = 0x4000;

// ---------------------------------------------------------------------------------------------
// errno, fcntl(2)
// ---------------------------------------------------------------------------------------------

pub(crate) const ENOENT: c_int = 2;
pub(crate) const EBADF: c_int = 9;
pub(crate) const EPIPE: c_int = 32;
pub(crate) const EINPROGRESS: c_int = 36;

pub(crate) const F_GETFD: c_int = 1;
pub(crate) const F_SETFD: c_int = 2;
pub(crate) const F_GETFL: c_int = 3;
pub(crate) const F_SETFL: c_int = 4;
pub(crate) const FD_CLOEXEC: c_int = 1;
pub(crate) const O_NONBLOCK: c_int = 0x4;

#[cfg(minimio_apple)]
pub(crate) const O_CLOEXEC: c_int = 0x0100_0000;
#[cfg(target_os = "freebsd")]
pub(crate) const O_CLOEXEC: c_int = 0x0010_0000;
#[cfg(target_os = "netbsd")]
pub(crate) const O_CLOEXEC: c_int = 0x0040_0000;
#[cfg(target_os = "openbsd")]
pub(crate) const O_CLOEXEC: c_int = 0x0001_0000;
#[cfg(target_os = "dragonfly")]
pub(crate) const O_CLOEXEC: c_int = 0x0002_0000;

// ---------------------------------------------------------------------------------------------
// Sockets
// ---------------------------------------------------------------------------------------------

pub(crate) const AF_UNIX: c_int = 1;
pub(crate) const AF_INET: c_int = 2;
#[cfg(minimio_apple)]
pub(crate) const AF_INET6: c_int = 30;
#[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
pub(crate) const AF_INET6: c_int = 28;
#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
pub(crate) const AF_INET6: c_int = 24;

pub(crate) const SOCK_STREAM: c_int = 1;
pub(crate) const SOCK_DGRAM: c_int = 2;
#[cfg(any(target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly"))]
pub(crate) const SOCK_CLOEXEC: c_int = 0x1000_0000;
#[cfg(any(target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly"))]
pub(crate) const SOCK_NONBLOCK: c_int = 0x2000_0000;
#[cfg(target_os = "openbsd")]
pub(crate) const SOCK_CLOEXEC: c_int = 0x8000;
#[cfg(target_os = "openbsd")]
pub(crate) const SOCK_NONBLOCK: c_int = 0x4000;

pub(crate) const SOL_SOCKET: c_int = 0xffff;
pub(crate) const SO_REUSEADDR: c_int = 0x0004;
#[cfg(minimio_apple)]
pub(crate) const SO_NOSIGPIPE: c_int = 0x1022;
pub(crate) const IPPROTO_IPV6: c_int = 41;
pub(crate) const IPV6_V6ONLY: c_int = 27;

/// The header every socket address starts with; functions take a pointer to it.
#[repr(C)]
pub(crate) struct sockaddr {
    pub(crate) sa_len: u8,
    pub(crate) sa_family: sa_family_t,
    pub(crate) sa_data: [u8; 14],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct in_addr {
    /// IPv4 address in network byte order.
    pub(crate) s_addr: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct sockaddr_in {
    /// The size of this struct.
    pub(crate) sin_len: u8,
    pub(crate) sin_family: sa_family_t,
    /// Port in network byte order.
    pub(crate) sin_port: in_port_t,
    pub(crate) sin_addr: in_addr,
    pub(crate) sin_zero: [u8; 8],
}

#[repr(C, align(4))]
#[derive(Clone, Copy)]
pub(crate) struct in6_addr {
    pub(crate) s6_addr: [u8; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct sockaddr_in6 {
    pub(crate) sin6_len: u8,
    pub(crate) sin6_family: sa_family_t,
    pub(crate) sin6_port: in_port_t,
    pub(crate) sin6_flowinfo: u32,
    pub(crate) sin6_addr: in6_addr,
    pub(crate) sin6_scope_id: u32,
}

/// A Unix-domain address: a path, or nothing (unnamed). The BSDs have no abstract names.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct sockaddr_un {
    pub(crate) sun_len: u8,
    pub(crate) sun_family: sa_family_t,
    pub(crate) sun_path: [u8; 104],
}

/// Room for any socket address the kernel may hand back, 8-byte aligned: 128 bytes, or 256 on
/// OpenBSD.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct sockaddr_storage {
    pub(crate) ss_len: u8,
    pub(crate) ss_family: sa_family_t,
    pub(crate) ss_padding: [u8; 6],
    pub(crate) ss_align: i64,
    pub(crate) ss_rest: [u8; STORAGE_REST],
}

#[cfg(not(target_os = "openbsd"))]
const STORAGE_REST: usize = 112;
#[cfg(target_os = "openbsd")]
const STORAGE_REST: usize = 240;

extern "C" {
    pub(crate) fn kqueue() -> c_int;
    // NetBSD keeps older ABIs under versioned names; `__kevent50` is the one whose
    // `struct kevent` is declared above (and the one the `libc` crate uses).
    #[cfg_attr(target_os = "netbsd", link_name = "__kevent50")]
    pub(crate) fn kevent(
        kq: c_int,
        changelist: *const kevent,
        nchanges: KeventCount,
        eventlist: *mut kevent,
        nevents: KeventCount,
        timeout: *const timespec,
    ) -> c_int;

    pub(crate) fn poll(fds: *mut pollfd, nfds: nfds_t, timeout: c_int) -> c_int;
    pub(crate) fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;

    // NetBSD keeps the old `socket` for binaries of before 3.0; today's is `__socket30`.
    #[cfg_attr(target_os = "netbsd", link_name = "__socket30")]
    pub(crate) fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    pub(crate) fn socketpair(domain: c_int, ty: c_int, protocol: c_int, fds: *mut c_int) -> c_int;
    pub(crate) fn bind(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int;
    pub(crate) fn listen(fd: c_int, backlog: c_int) -> c_int;
    pub(crate) fn connect(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int;
    pub(crate) fn getsockopt(
        fd: c_int,
        level: c_int,
        name: c_int,
        value: *mut c_void,
        len: *mut socklen_t,
    ) -> c_int;
    pub(crate) fn setsockopt(
        fd: c_int,
        level: c_int,
        name: c_int,
        value: *const c_void,
        len: socklen_t,
    ) -> c_int;
}

#[cfg(minimio_apple)]
extern "C" {
    pub(crate) fn pipe(fds: *mut c_int) -> c_int;
    pub(crate) fn accept(fd: c_int, addr: *mut sockaddr, len: *mut socklen_t) -> c_int;
}

#[cfg(not(minimio_apple))]
extern "C" {
    pub(crate) fn pipe2(fds: *mut c_int, flags: c_int) -> c_int;
    pub(crate) fn accept4(
        fd: c_int,
        addr: *mut sockaddr,
        len: *mut socklen_t,
        flags: c_int,
    ) -> c_int;
}

/// Compile-time proof that every declaration above matches the `libc` crate for the target being
/// compiled. Nothing here runs: if a size, an alignment, an offset, a constant or a signature
/// differs, the tests of that target do not compile.
#[cfg(test)]
mod layout_proof {
    use super::*;

    same_layout!(kevent, libc::kevent {
        ident = ident,
        filter = filter,
        flags = flags,
        fflags = fflags,
        data = data,
        udata = udata,
    });
    #[cfg(target_os = "freebsd")]
    same_layout!(kevent, libc::kevent { ext = ext });
    same_layout!(timespec, libc::timespec { tv_sec = tv_sec, tv_nsec = tv_nsec });
    same_layout!(pollfd, libc::pollfd { fd = fd, events = events, revents = revents });
    same_layout!(nfds_t, libc::nfds_t {});
    same_layout!(sockaddr, libc::sockaddr {
        sa_len = sa_len,
        sa_family = sa_family,
        sa_data = sa_data,
    });
    same_layout!(in_addr, libc::in_addr { s_addr = s_addr });
    same_layout!(in6_addr, libc::in6_addr { s6_addr = s6_addr });
    same_layout!(sockaddr_in, libc::sockaddr_in {
        sin_len = sin_len,
        sin_family = sin_family,
        sin_port = sin_port,
        sin_addr = sin_addr,
        sin_zero = sin_zero,
    });
    same_layout!(sockaddr_in6, libc::sockaddr_in6 {
        sin6_len = sin6_len,
        sin6_family = sin6_family,
        sin6_port = sin6_port,
        sin6_flowinfo = sin6_flowinfo,
        sin6_addr = sin6_addr,
        sin6_scope_id = sin6_scope_id,
    });
    same_layout!(sockaddr_un, libc::sockaddr_un {
        sun_len = sun_len,
        sun_family = sun_family,
        sun_path = sun_path,
    });
    same_layout!(sockaddr_storage, libc::sockaddr_storage {
        ss_len = ss_len,
        ss_family = ss_family,
    });
    same_layout!(sa_family_t, libc::sa_family_t {});
    same_layout!(socklen_t, libc::socklen_t {});
    same_layout!(in_port_t, libc::in_port_t {});

    // The kevent field types themselves, not just their sizes: a signed filter read as unsigned
    // would break every comparison with a negative EVFILT_* constant.
    const _: fn(libc::kevent) -> (KeventFilter, KeventFlags) = |k| (k.filter, k.flags);

    same_value!(
        EVFILT_READ,
        EVFILT_WRITE,
        EVFILT_AIO,
        EVFILT_USER,
        EV_ADD,
        EV_DELETE,
        EV_ENABLE,
        EV_CLEAR,
        EV_RECEIPT,
        EV_ERROR,
        EV_EOF,
        NOTE_TRIGGER,
        POLLIN,
        POLLPRI,
        POLLOUT,
        POLLERR,
        POLLHUP,
        POLLNVAL,
        ENOENT,
        EBADF,
        EPIPE,
        EINPROGRESS,
        F_GETFD,
        F_SETFD,
        F_GETFL,
        F_SETFL,
        FD_CLOEXEC,
        O_NONBLOCK,
        O_CLOEXEC,
        AF_UNIX,
        AF_INET,
        AF_INET6,
        SOCK_STREAM,
        SOCK_DGRAM,
        SOL_SOCKET,
        SO_REUSEADDR,
        IPPROTO_IPV6,
        IPV6_V6ONLY,
    );
    #[cfg(target_os = "freebsd")]
    same_value!(EVFILT_LIO, POLLRDHUP);
    #[cfg(minimio_apple)]
    same_value!(SO_NOSIGPIPE);
    #[cfg(not(minimio_apple))]
    same_value!(SOCK_CLOEXEC, SOCK_NONBLOCK);

    // Signatures: each of ours and libc's coerce to the same function-pointer shape, with our
    // structs in place of libc's (whose layouts are proven equal above).
    const _: unsafe extern "C" fn() -> c_int = kqueue;
    const _: unsafe extern "C" fn() -> c_int = libc::kqueue;
    const _: unsafe extern "C" fn(
        c_int,
        *const kevent,
        KeventCount,
        *mut kevent,
        KeventCount,
        *const timespec,
    ) -> c_int = kevent;
    const _: unsafe extern "C" fn(
        c_int,
        *const libc::kevent,
        KeventCount,
        *mut libc::kevent,
        KeventCount,
        *const libc::timespec,
    ) -> c_int = libc::kevent;
    const _: unsafe extern "C" fn(*mut pollfd, nfds_t, c_int) -> c_int = poll;
    const _: unsafe extern "C" fn(*mut libc::pollfd, libc::nfds_t, c_int) -> c_int = libc::poll;
    const _: unsafe extern "C" fn(c_int, c_int, ...) -> c_int = fcntl;
    const _: unsafe extern "C" fn(c_int, c_int, ...) -> c_int = libc::fcntl;
    const _: unsafe extern "C" fn(c_int, c_int, c_int) -> c_int = socket;
    const _: unsafe extern "C" fn(c_int, c_int, c_int) -> c_int = libc::socket;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *mut c_int) -> c_int = socketpair;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *mut c_int) -> c_int = libc::socketpair;
    const _: unsafe extern "C" fn(c_int, *const sockaddr, socklen_t) -> c_int = bind;
    const _: unsafe extern "C" fn(c_int, *const libc::sockaddr, libc::socklen_t) -> c_int =
        libc::bind;
    const _: unsafe extern "C" fn(c_int, c_int) -> c_int = listen;
    const _: unsafe extern "C" fn(c_int, c_int) -> c_int = libc::listen;
    const _: unsafe extern "C" fn(c_int, *const sockaddr, socklen_t) -> c_int = connect;
    const _: unsafe extern "C" fn(c_int, *const libc::sockaddr, libc::socklen_t) -> c_int =
        libc::connect;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *mut c_void, *mut socklen_t) -> c_int =
        getsockopt;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *mut c_void, *mut libc::socklen_t) -> c_int =
        libc::getsockopt;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *const c_void, socklen_t) -> c_int =
        setsockopt;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *const c_void, libc::socklen_t) -> c_int =
        libc::setsockopt;

    #[cfg(minimio_apple)]
    mod darwin {
        use super::super::*;

        const _: unsafe extern "C" fn(*mut c_int) -> c_int = pipe;
        const _: unsafe extern "C" fn(*mut c_int) -> c_int = libc::pipe;
        const _: unsafe extern "C" fn(c_int, *mut sockaddr, *mut socklen_t) -> c_int = accept;
        const _: unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> c_int =
            libc::accept;
    }

    #[cfg(not(minimio_apple))]
    mod with_flags {
        use super::super::*;

        const _: unsafe extern "C" fn(*mut c_int, c_int) -> c_int = pipe2;
        const _: unsafe extern "C" fn(*mut c_int, c_int) -> c_int = libc::pipe2;
        const _: unsafe extern "C" fn(c_int, *mut sockaddr, *mut socklen_t, c_int) -> c_int =
            accept4;
        const _: unsafe extern "C" fn(
            c_int,
            *mut libc::sockaddr,
            *mut libc::socklen_t,
            c_int,
        ) -> c_int = libc::accept4;
    }
}
