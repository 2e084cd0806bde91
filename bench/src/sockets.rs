//! Sockets the scenarios are made of, created the same way whichever library is measured.

use std::io;
use std::net::{self, Ipv4Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A listener on a free loopback port, non-blocking.
pub fn loopback_listener() -> io::Result<net::TcpListener> {
    let listener = net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// One connected loopback TCP pair (connecting end, accepted end), both non-blocking and with
/// Nagle's algorithm off, so that a small message is sent at once.
pub fn connected_pair(listener: &net::TcpListener) -> io::Result<(net::TcpStream, net::TcpStream)> {
    let client = net::TcpStream::connect(listener.local_addr()?)?;
    let server = loop {
        match listener.accept() {
            Ok((server, _)) => break server,
            // The handshake completes in the kernel; the accept queue may lag a moment.
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(err) => return Err(err),
        }
    };
    for end in [&client, &server] {
        end.set_nonblocking(true)?;
        end.set_nodelay(true)?;
    }
    Ok((client, server))
}

/// Makes `close` send a reset instead of a FIN, so that the socket leaves no TIME_WAIT entry
/// behind: an accept storm would otherwise run out of loopback ports.
pub fn reset_on_close(stream: &net::TcpStream) -> io::Result<()> {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the option value points at a `linger` that lives across the call, with its size;
    // the fd is open because we borrow its owner.
    let result = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A socket that never becomes readable: an unbound UDP socket. It reports nothing when
/// registered for reading, which is what "idle" means to a poller.
pub fn idle_socket() -> io::Result<OwnedFd> {
    let kind = libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes no pointers; a non-negative result is a new fd we own.
    let fd = unsafe { libc::socket(libc::AF_INET, kind, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Raises the limit on open files as far as this process may: first both limits to the
/// kernel's ceiling (`fs.nr_open`, allowed with `CAP_SYS_RESOURCE`), else the soft limit to the
/// hard one. Returns the limit now in force.
pub fn raise_open_file_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let ceiling = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .unwrap_or(limit.rlim_max);
    for wanted in [ceiling.max(limit.rlim_max), limit.rlim_max] {
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: wanted,
        };
        // SAFETY: `raised` is a valid rlimit; the kernel refuses what we may not do.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(wanted);
        }
    }
    Err(io::Error::last_os_error())
}
