use std::io;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::net::UnixStream;
use crate::sys;

/// A non-blocking Unix-domain stream listener.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use minimio::net::{UnixListener, UnixStream};
/// use minimio::{Events, Interest, Poll, Token};
///
/// let path = std::env::temp_dir().join(format!("minimio-doc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// let mut listener = UnixListener::bind(&path)?;
///
/// let mut poll = Poll::new()?;
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
/// let _client = UnixStream::connect(&path)?;
///
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(10)))?;
/// let (_stream, _peer) = listener.accept()?;
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    inner: IoSource<net::UnixListener>,
}

impl UnixListener {
    /// Binds to the filesystem path `path` and listens. The path must not exist yet.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if the path exists; `InvalidInput` if it contains a NUL byte or is longer
    /// than a `sockaddr_un` holds (107 bytes on Linux, 103 on macOS and the BSDs).
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        sys::uds::listener_bind(path.as_ref()).map(UnixListener::from_std)
    }

    /// Binds to `address`, which may be a path or, on Linux, an abstract name
    /// (`std::os::linux::net::SocketAddrExt::from_abstract_name`).
    pub fn bind_addr(address: &SocketAddr) -> io::Result<UnixListener> {
        sys::uds::listener_bind_addr(address).map(UnixListener::from_std)
    }

    /// Wraps a listener from `std`. It must already be in non-blocking mode.
    pub fn from_std(listener: net::UnixListener) -> UnixListener {
        UnixListener {
            inner: IoSource::new(listener),
        }
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec [`UnixStream`].
    /// `WouldBlock` if none is waiting.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.inner.do_io(|listener| {
            sys::uds::listener_accept(listener)
                .map(|(stream, addr)| (UnixStream::from_std(stream), addr))
        })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error(|socket| socket.take_error())
    }
}

io_source_type!(UnixListener, net::UnixListener);

impl From<UnixListener> for net::UnixListener {
    fn from(listener: UnixListener) -> net::UnixListener {
        listener.inner.into_inner()
    }
}
