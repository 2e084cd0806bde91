use std::io;

use crate::{Interest, Registry, Token};

/// Something a [`Registry`] can watch: a socket, a pipe, any file descriptor.
///
/// Users call [`Registry::register`], [`Registry::reregister`] and [`Registry::deregister`],
/// which call these methods; a type implements them by forwarding to a source it owns. All
/// minimio's `net` types and `unix::SourceFd` (Unix only) implement `Source`.
///
/// # Examples
///
/// A connection type that wraps a stream and forwards registration to it:
///
/// ```
/// use std::io;
/// use minimio::event::Source;
/// use minimio::net::TcpStream;
/// use minimio::{Interest, Registry, Token};
///
/// pub struct Connection {
///     stream: TcpStream,
///     bytes_read: usize,
/// }
///
/// impl Source for Connection {
///     fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
///         self.stream.register(registry, token, interests)
///     }
///
///     fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
///         self.stream.reregister(registry, token, interests)
///     }
///
///     fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
///         self.stream.deregister(registry)
///     }
/// }
/// ```
pub trait Source {
    /// Registers `self` with `registry`. Called by [`Registry::register`]; see there for errors.
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Changes the token and interest of a registration. Called by [`Registry::reregister`].
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Removes the registration. Called by [`Registry::deregister`].
    fn deregister(&mut self, registry: &Registry) -> io::Result<()>;
}

impl<T: Source + ?Sized> Source for Box<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        (**self).deregister(registry)
    }
}
