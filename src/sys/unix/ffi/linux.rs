//! The Linux system calls minimio makes, declared by hand against glibc/musl's C ABI.
//!
//! Constant values are the "asm-generic" ones, which the five architectures allowed below share
//! (x86_64, x86, aarch64, arm, riscv64). Every other architecture is refused at compile time, not
//! only those known to renumber some of these constants (MIPS, SPARC, Alpha, PA-RISC): powerpc,
//! s390x, loongarch64 and the rest are refused too, until the layout proof at the bottom of this
//! file has been compiled for them.

#![allow(non_camel_case_types)]

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64",
)))]
compile_error!("minimio's Linux declarations have not been checked for this architecture");

pub(crate) use std::ffi::{c_int, c_short, c_uint, c_ulong, c_void};

pub(crate) type sa_family_t = u16;
pub(crate) type socklen_t = u32;
pub(crate) type in_port_t = u16;

// ---------------------------------------------------------------------------------------------
// epoll(7)
// ---------------------------------------------------------------------------------------------

/// One registration or one readiness report.
///
/// The kernel's `<linux/eventpoll.h>` packs it on x86_64 only (`EPOLL_PACKED`), so that a 64-bit
/// kernel shares the layout of 32-bit x86: `data` at offset 4, 12 bytes in all. Elsewhere the
/// layout is natural: `data` at offset 8, 16 bytes.
///
/// On 32-bit x86 the natural layout is that same one, because the i386 ABI aligns a `u64` to 4
/// bytes; packing there changes only the struct's own alignment (1 instead of 4). glibc packs it
/// on i386 too (its x86 `bits/epoll.h`) and musl does not, and the `libc` crate follows each;
/// so does this declaration, so that the layout proof compares equal alignments as well.
#[repr(C)]
#[cfg_attr(
    any(target_arch = "x86_64", all(target_arch = "x86", target_env = "gnu")),
    repr(packed)
)]
#[derive(Clone, Copy)]
pub(crate) struct epoll_event {
    /// `EPOLL*` bits: what to watch for (in `epoll_ctl`) or what happened (from `epoll_wait`).
    pub(crate) events: u32,
    /// Opaque to the kernel; minimio stores the [`Token`](crate::Token) here.
    pub(crate) data: u64,
}

pub(crate) const EPOLL_CLOEXEC: c_int = O_CLOEXEC;
pub(crate) const EPOLL_CTL_ADD: c_int = 1;
pub(crate) const EPOLL_CTL_DEL: c_int = 2;
pub(crate) const EPOLL_CTL_MOD: c_int = 3;

pub(crate) const EPOLLIN: u32 = 0x001;
pub(crate) const EPOLLPRI: u32 = 0x002;
pub(crate) const EPOLLOUT: u32 = 0x004;
pub(crate) const EPOLLERR: u32 = 0x008;
pub(crate) const EPOLLHUP: u32 = 0x010;
pub(crate) const EPOLLRDHUP: u32 = 0x2000;
pub(crate) const EPOLLET: u32 = 1 << 31;

// ---------------------------------------------------------------------------------------------
// poll(2)
// ---------------------------------------------------------------------------------------------

pub(crate) type nfds_t = c_ulong;

/// One entry of the array `poll` examines: which fd, what to wait for, what happened.
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
pub(crate) const POLLRDHUP: c_short = 0x2000;

// ---------------------------------------------------------------------------------------------
// eventfd(2), pipe2(2), fcntl(2)
// ---------------------------------------------------------------------------------------------

pub(crate) const O_NONBLOCK: c_int = 0o4000;
pub(crate) const O_CLOEXEC: c_int = 0o2000000;
pub(crate) const EFD_NONBLOCK: c_int = O_NONBLOCK;
pub(crate) const EFD_CLOEXEC: c_int = O_CLOEXEC;
pub(crate) const F_GETFL: c_int = 3;
pub(crate) const F_SETFL: c_int = 4;

// ---------------------------------------------------------------------------------------------
// Sockets
// ---------------------------------------------------------------------------------------------

pub(crate) const AF_UNIX: c_int = 1;
pub(crate) const AF_INET: c_int = 2;
pub(crate) const AF_INET6: c_int = 10;
pub(crate) const SOCK_STREAM: c_int = 1;
pub(crate) const SOCK_DGRAM: c_int = 2;
pub(crate) const SOCK_NONBLOCK: c_int = O_NONBLOCK;
pub(crate) const SOCK_CLOEXEC: c_int = O_CLOEXEC;
pub(crate) const SOL_SOCKET: c_int = 1;
pub(crate) const SO_REUSEADDR: c_int = 2;
pub(crate) const IPPROTO_IPV6: c_int = 41;
pub(crate) const IPV6_V6ONLY: c_int = 26;
pub(crate) const EINPROGRESS: c_int = 115;

/// The header every socket address starts with; functions take a pointer to it.
#[repr(C)]
pub(crate) struct sockaddr {
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
    pub(crate) sin6_family: sa_family_t,
    pub(crate) sin6_port: in_port_t,
    pub(crate) sin6_flowinfo: u32,
    pub(crate) sin6_addr: in6_addr,
    pub(crate) sin6_scope_id: u32,
}

/// A Unix-domain address: a path, an abstract name (first byte NUL), or nothing (unnamed).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct sockaddr_un {
    pub(crate) sun_family: sa_family_t,
    pub(crate) sun_path: [u8; 108],
}

/// Room for any socket address the kernel may hand back: 128 bytes, aligned like a pointer.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct sockaddr_storage {
    pub(crate) ss_family: sa_family_t,
    pub(crate) ss_padding: [u8; 128 - 2 - std::mem::size_of::<usize>()],
    pub(crate) ss_align: usize,
}

extern "C" {
    pub(crate) fn epoll_create1(flags: c_int) -> c_int;
    pub(crate) fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut epoll_event) -> c_int;
    pub(crate) fn epoll_wait(
        epfd: c_int,
        events: *mut epoll_event,
        maxevents: c_int,
        timeout: c_int,
    ) -> c_int;

    pub(crate) fn poll(fds: *mut pollfd, nfds: nfds_t, timeout: c_int) -> c_int;

    pub(crate) fn eventfd(initval: c_uint, flags: c_int) -> c_int;
    pub(crate) fn pipe2(fds: *mut c_int, flags: c_int) -> c_int;
    pub(crate) fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;

    pub(crate) fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    pub(crate) fn socketpair(domain: c_int, ty: c_int, protocol: c_int, fds: *mut c_int) -> c_int;
    pub(crate) fn bind(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int;
    pub(crate) fn listen(fd: c_int, backlog: c_int) -> c_int;
    pub(crate) fn connect(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int;
    pub(crate) fn accept4(
        fd: c_int,
        addr: *mut sockaddr,
        len: *mut socklen_t,
        flags: c_int,
    ) -> c_int;
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

/// Compile-time proof that every declaration above matches the `libc` crate for the target being
/// compiled. Nothing here runs: if a size, an alignment, an offset, a constant or a signature
/// differs, the tests of that target do not compile.
#[cfg(test)]
mod layout_proof {
    use super::*;

    same_layout!(epoll_event, libc::epoll_event { events = events, data = u64 });
    same_layout!(sockaddr, libc::sockaddr { sa_family = sa_family, sa_data = sa_data });
    same_layout!(in_addr, libc::in_addr { s_addr = s_addr });
    same_layout!(in6_addr, libc::in6_addr { s6_addr = s6_addr });
    same_layout!(sockaddr_in, libc::sockaddr_in {
        sin_family = sin_family,
        sin_port = sin_port,
        sin_addr = sin_addr,
        sin_zero = sin_zero,
    });
    same_layout!(sockaddr_in6, libc::sockaddr_in6 {
        sin6_family = sin6_family,
        sin6_port = sin6_port,
        sin6_flowinfo = sin6_flowinfo,
        sin6_addr = sin6_addr,
        sin6_scope_id = sin6_scope_id,
    });
    same_layout!(sockaddr_un, libc::sockaddr_un { sun_family = sun_family, sun_path = sun_path });
    same_layout!(sockaddr_storage, libc::sockaddr_storage { ss_family = ss_family });
    same_layout!(pollfd, libc::pollfd { fd = fd, events = events, revents = revents });
    same_layout!(nfds_t, libc::nfds_t {});
    same_layout!(sa_family_t, libc::sa_family_t {});
    same_layout!(socklen_t, libc::socklen_t {});
    same_layout!(in_port_t, libc::in_port_t {});

    same_value!(
        EPOLL_CLOEXEC,
        EPOLL_CTL_ADD,
        EPOLL_CTL_DEL,
        EPOLL_CTL_MOD,
        EPOLLIN,
        EPOLLPRI,
        EPOLLOUT,
        EPOLLERR,
        EPOLLHUP,
        EPOLLRDHUP,
        EPOLLET,
        POLLIN,
        POLLPRI,
        POLLOUT,
        POLLERR,
        POLLHUP,
        POLLNVAL,
        POLLRDHUP,
        O_NONBLOCK,
        O_CLOEXEC,
        EFD_NONBLOCK,
        EFD_CLOEXEC,
        F_GETFL,
        F_SETFL,
        AF_UNIX,
        AF_INET,
        AF_INET6,
        SOCK_STREAM,
        SOCK_DGRAM,
        SOCK_NONBLOCK,
        SOCK_CLOEXEC,
        SOL_SOCKET,
        SO_REUSEADDR,
        IPPROTO_IPV6,
        IPV6_V6ONLY,
        EINPROGRESS,
    );

    // Signatures: each of ours and libc's coerce to the same function-pointer shape, with our
    // structs in place of libc's (whose layouts are proven equal above).
    const _: unsafe extern "C" fn(c_int) -> c_int = epoll_create1;
    const _: unsafe extern "C" fn(c_int) -> c_int = libc::epoll_create1;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *mut epoll_event) -> c_int = epoll_ctl;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *mut libc::epoll_event) -> c_int =
        libc::epoll_ctl;
    const _: unsafe extern "C" fn(c_int, *mut epoll_event, c_int, c_int) -> c_int = epoll_wait;
    const _: unsafe extern "C" fn(c_int, *mut libc::epoll_event, c_int, c_int) -> c_int =
        libc::epoll_wait;
    const _: unsafe extern "C" fn(*mut pollfd, nfds_t, c_int) -> c_int = poll;
    const _: unsafe extern "C" fn(*mut libc::pollfd, libc::nfds_t, c_int) -> c_int = libc::poll;
    const _: unsafe extern "C" fn(c_uint, c_int) -> c_int = eventfd;
    const _: unsafe extern "C" fn(c_uint, c_int) -> c_int = libc::eventfd;
    const _: unsafe extern "C" fn(*mut c_int, c_int) -> c_int = pipe2;
    const _: unsafe extern "C" fn(*mut c_int, c_int) -> c_int = libc::pipe2;
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
    const _: unsafe extern "C" fn(c_int, *mut sockaddr, *mut socklen_t, c_int) -> c_int = accept4;
    const _: unsafe extern "C" fn(
        c_int,
        *mut libc::sockaddr,
        *mut libc::socklen_t,
        c_int,
    ) -> c_int = libc::accept4;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *mut c_void, *mut socklen_t) -> c_int =
        getsockopt;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *mut c_void, *mut libc::socklen_t) -> c_int =
        libc::getsockopt;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *const c_void, socklen_t) -> c_int =
        setsockopt;
    const _: unsafe extern "C" fn(c_int, c_int, c_int, *const c_void, libc::socklen_t) -> c_int =
        libc::setsockopt;
}
