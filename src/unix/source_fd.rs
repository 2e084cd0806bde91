use std::io;
use std::os::fd::RawFd;

use crate::event::Source;
use crate::{Interest, Registry, Token};

/// Any raw file descriptor as a [`Source`]: an eventfd, a timerfd, a signalfd, a terminal, a
/// socket made by another library.
///
/// `SourceFd` only borrows the number; it does not own or close the fd. The fd should be in
/// non-blocking mode, and it must be deregistered before it is closed if it has duplicates (epoll
/// keeps the registration while any duplicate is open). With the poll(2) backend, always
/// deregister before closing: its table lives in user space, and an fd number reused before the
/// next `poll` would be taken for the old registration. The poll(2) backend also cannot see the
/// I/O done on a raw fd, so after an event it reports that interest again only once the fd is
/// re-registered.
///
/// Since no record is kept beside a raw fd, misuse is reported by the kernel: registering twice
/// gives `AlreadyExists`, reregistering or deregistering an fd that is not registered gives
/// `NotFound`, a closed fd gives `EBADF`, and a regular file gives `PermissionDenied` under epoll,
/// which cannot watch regular files (kqueue and poll(2) accept them and report them ready).
///
/// # Examples
///
/// ```
/// use std::os::fd::AsRawFd;
/// use minimio::unix::SourceFd;
/// use minimio::{Interest, Poll, Token};
///
/// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// socket.set_nonblocking(true)?;
/// let fd = socket.as_raw_fd();
///
/// let poll = Poll::new()?;
/// poll.registry().register(&mut SourceFd(&fd), Token(0), Interest::READABLE)?;
/// poll.registry().deregister(&mut SourceFd(&fd))?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct SourceFd<'a>(pub &'a RawFd);

impl Source for SourceFd<'_> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        registry.selector().register(*self.0, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        registry.selector().reregister(*self.0, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        registry.selector().deregister(*self.0)
    }
}
