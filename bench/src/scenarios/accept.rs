//! Accept storm: clients connect in batches, the loop accepts each connection and closes it.

use std::io;
use std::net;

use crate::event_loop::EventLoop;
use crate::sockets::{loopback_listener, reset_on_close};
use crate::stopwatch::{Stopwatch, Timing};

/// Connections a batch opens before the loop accepts them: well under the listen backlog.
pub const BATCH: usize = 64;
const LISTENER: usize = 0;

/// Connects, accepts and closes `batches * BATCH` connections.
pub fn run<L: EventLoop>(batches: usize) -> io::Result<Timing> {
    let listener = loopback_listener()?;
    let address = listener.local_addr()?;
    let mut listener = L::listener(listener);
    let mut event_loop = L::new()?;
    event_loop.register_listener(&mut listener, LISTENER)?;

    let stopwatch = Stopwatch::start()?;
    for _ in 0..batches {
        let mut clients = Vec::with_capacity(BATCH);
        for _ in 0..BATCH {
            let client = net::TcpStream::connect(address)?;
            reset_on_close(&client)?;
            clients.push(client);
        }
        let mut accepted = 0;
        while accepted < BATCH {
            let mut listener_ready = false;
            event_loop.poll(None, |ready| listener_ready |= ready.token == LISTENER)?;
            if !listener_ready {
                continue;
            }
            // Edge-triggered: accept until the queue is empty, or no new event may come.
            loop {
                match L::accept(&listener) {
                    Ok(stream) => {
                        drop(stream);
                        accepted += 1;
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) => return Err(err),
                }
            }
        }
    }
    stopwatch.stop()
}
