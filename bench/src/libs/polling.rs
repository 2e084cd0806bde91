//! polling 3.x in edge-triggered mode, with `std::net` sockets: the way its documentation
//! shows, and the mode that matches minimio's and mio's semantics.

use std::io;
use std::net;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use polling::{Event, Events, PollMode, Poller};

use super::std_socket::accept_nonblocking;
use crate::event_loop::{EventLoop, Ready, Want, EVENT_CAPACITY};

pub struct Polling {
    poller: Arc<Poller>,
    events: Events,
}

impl Polling {
    fn add(&self, fd: RawFd, event: Event) -> io::Result<()> {
        // SAFETY: polling requires a registered fd to be deleted before it is closed, so that
        // a reused fd number can never receive another source's events. Scenarios that close
        // sockets while they keep polling (churn) deregister them first; the others close their
        // sockets only once the measurement is over, after the last wait.
        unsafe { self.poller.add_with_mode(fd, event, PollMode::Edge) }
    }
}

impl EventLoop for Polling {
    const NAME: &'static str = "polling";
    type Stream = net::TcpStream;
    type Listener = net::TcpListener;
    type Waker = Arc<Poller>;

    fn new() -> io::Result<Self> {
        let capacity = NonZeroUsize::new(EVENT_CAPACITY).expect("capacity is not zero");
        Ok(Polling {
            poller: Arc::new(Poller::new()?),
            events: Events::with_capacity(capacity),
        })
    }

    fn stream(stream: net::TcpStream) -> net::TcpStream {
        stream
    }

    fn listener(listener: net::TcpListener) -> net::TcpListener {
        listener
    }

    #[inline]
    fn accept(listener: &net::TcpListener) -> io::Result<net::TcpStream> {
        accept_nonblocking(listener)
    }

    #[inline]
    fn register(
        &mut self,
        stream: &mut net::TcpStream,
        token: usize,
        want: Want,
    ) -> io::Result<()> {
        let event = match want {
            Want::Read => Event::readable(token),
            Want::Write => Event::writable(token),
        };
        self.add(stream.as_raw_fd(), event)
    }

    #[inline]
    fn deregister(&mut self, stream: &mut net::TcpStream) -> io::Result<()> {
        self.poller.delete(&*stream)
    }

    fn register_listener(
        &mut self,
        listener: &mut net::TcpListener,
        token: usize,
    ) -> io::Result<()> {
        self.add(listener.as_raw_fd(), Event::readable(token))
    }

    fn register_fd(&mut self, fd: RawFd, token: usize) -> io::Result<()> {
        self.add(fd, Event::readable(token))
    }

    fn waker(&mut self) -> io::Result<Arc<Poller>> {
        Ok(Arc::clone(&self.poller))
    }

    #[inline]
    fn wake(waker: &Arc<Poller>) -> io::Result<()> {
        waker.notify()
    }

    #[inline]
    fn poll(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: impl FnMut(Ready),
    ) -> io::Result<()> {
        // polling appends to `events` until it is full, so it is emptied before each wait.
        self.events.clear();
        self.poller.wait(&mut self.events, timeout)?;
        for event in self.events.iter() {
            on_ready(Ready {
                token: event.key,
                readable: event.readable,
                writable: event.writable,
            });
        }
        Ok(())
    }
}
