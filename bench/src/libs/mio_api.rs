//! minimio and mio, through one adapter: minimio offers mio's API, so the very same code drives
//! both, and any difference measured comes from the libraries, not from how they are called.

/// Defines `$adapter`, an [`EventLoop`](crate::event_loop::EventLoop) over the crate `$krate`,
/// which must offer mio 1.x's `Poll`, `Events`, `Waker`, `net` and `unix::SourceFd`.
macro_rules! mio_api_adapter {
    ($adapter:ident, $krate:ident) => {
        pub struct $adapter {
            poll: $krate::Poll,
            events: $krate::Events,
        }

        impl $crate::event_loop::EventLoop for $adapter {
            const NAME: &'static str = stringify!($krate);
            type Stream = $krate::net::TcpStream;
            type Listener = $krate::net::TcpListener;
            type Waker = $krate::Waker;

            fn new() -> ::std::io::Result<Self> {
                Ok($adapter {
                    poll: $krate::Poll::new()?,
                    events: $krate::Events::with_capacity($crate::event_loop::EVENT_CAPACITY),
                })
            }

            fn stream(stream: ::std::net::TcpStream) -> Self::Stream {
                $krate::net::TcpStream::from_std(stream)
            }

            fn listener(listener: ::std::net::TcpListener) -> Self::Listener {
                $krate::net::TcpListener::from_std(listener)
            }

            #[inline]
            fn accept(listener: &Self::Listener) -> ::std::io::Result<Self::Stream> {
                listener.accept().map(|(stream, _)| stream)
            }

            #[inline]
            fn register(
                &mut self,
                stream: &mut Self::Stream,
                token: usize,
                want: $crate::event_loop::Want,
            ) -> ::std::io::Result<()> {
                let interest = match want {
                    $crate::event_loop::Want::Read => $krate::Interest::READABLE,
                    $crate::event_loop::Want::Write => $krate::Interest::WRITABLE,
                };
                self.poll
                    .registry()
                    .register(stream, $krate::Token(token), interest)
            }

            #[inline]
            fn deregister(&mut self, stream: &mut Self::Stream) -> ::std::io::Result<()> {
                self.poll.registry().deregister(stream)
            }

            fn register_listener(
                &mut self,
                listener: &mut Self::Listener,
                token: usize,
            ) -> ::std::io::Result<()> {
                self.poll.registry().register(
                    listener,
                    $krate::Token(token),
                    $krate::Interest::READABLE,
                )
            }

            fn register_fd(
                &mut self,
                fd: ::std::os::fd::RawFd,
                token: usize,
            ) -> ::std::io::Result<()> {
                self.poll.registry().register(
                    &mut $krate::unix::SourceFd(&fd),
                    $krate::Token(token),
                    $krate::Interest::READABLE,
                )
            }

            fn waker(&mut self) -> ::std::io::Result<Self::Waker> {
                $krate::Waker::new(
                    self.poll.registry(),
                    $krate::Token($crate::event_loop::WAKER_TOKEN),
                )
            }

            #[inline]
            fn wake(waker: &Self::Waker) -> ::std::io::Result<()> {
                waker.wake()
            }

            #[inline]
            fn poll(
                &mut self,
                timeout: Option<::std::time::Duration>,
                mut on_ready: impl FnMut($crate::event_loop::Ready),
            ) -> ::std::io::Result<()> {
                self.poll.poll(&mut self.events, timeout)?;
                for event in self.events.iter() {
                    on_ready($crate::event_loop::Ready {
                        token: event.token().0,
                        readable: event.is_readable(),
                        writable: event.is_writable(),
                    });
                }
                Ok(())
            }
        }
    };
}

mio_api_adapter!(Minimio, minimio);
mio_api_adapter!(Mio, mio);
