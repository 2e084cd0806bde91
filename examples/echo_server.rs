//! A single-threaded TCP echo server on minimio.
//!
//! ```text
//! cargo run --example echo_server -- [--addr HOST:PORT] [--exit-after N]
//! cargo run --example tcp_client -- --message "hi there"     # in another terminal
//! ```
//!
//! One [`Poll`] watches the listening socket and every connection. Each connection keeps the
//! bytes it has received but not yet written back; while that buffer is non-empty the connection
//! is also registered for `WRITABLE`, and as soon as it drains it goes back to `READABLE` only.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use minimio::net::{TcpListener, TcpStream};
use minimio::{Events, Interest, Poll, Registry, Token};

const DEFAULT_ADDR: &str = "127.0.0.1:9000";

/// The listening socket's token; connections get 1, 2, 3, ... and tokens are never reused, so a
/// late event for a connection that was just closed cannot be mistaken for a newer one.
const LISTENER: Token = Token(0);

/// Connections beyond this are closed as soon as they are accepted.
const MAX_CONNECTIONS: usize = 1024;

/// How much not-yet-echoed data a connection may hold. When a client sends faster than it reads,
/// the server stops reading from it until the backlog has been written out.
const MAX_PENDING: usize = 64 * 1024;

const USAGE: &str = "\
usage: echo_server [--addr HOST:PORT] [--exit-after N]

Echoes back whatever each client sends, all connections served by one thread.

options:
  --addr HOST:PORT  address to listen on (default 127.0.0.1:9000; port 0 picks a free port)
  --exit-after N    exit once N connections have been closed
  -h, --help        show this help";

struct Options {
    addr: SocketAddr,
    exit_after: Option<usize>,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("echo_server: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("echo_server: {err}");
            ExitCode::FAILURE
        }
    }
}

struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    /// Received but not yet written back.
    pending: Vec<u8>,
    /// What the connection is currently registered for, so that `reregister` is only called
    /// when this actually changes.
    interest: Interest,
    /// The client has shut down its sending side; once `pending` is written, we are done.
    peer_finished: bool,
    echoed: usize,
}

fn serve(options: &Options) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(256);

    let mut listener = TcpListener::bind(options.addr)?;
    println!("echo server listening on {}", listener.local_addr()?);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;

    let mut connections: HashMap<Token, Connection> = HashMap::new();
    let mut next_token = 1;
    let mut closed = 0;

    loop {
        if let Err(err) = poll.poll(&mut events, None) {
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }

        for event in events.iter() {
            let token = event.token();
            if token == LISTENER {
                accept_all(
                    &listener,
                    poll.registry(),
                    &mut connections,
                    &mut next_token,
                );
                continue;
            }
            // Events for a connection closed earlier in this same batch find nothing here.
            let Some(connection) = connections.get_mut(&token) else {
                continue;
            };
            let outcome = connection.on_ready(poll.registry(), token);
            if matches!(outcome, Ok(true)) {
                continue;
            }
            if let Some(mut connection) = connections.remove(&token) {
                // Deregistering before the socket is dropped keeps the poll's bookkeeping
                // exact; dropping the socket alone would also stop its events.
                if let Err(err) = poll.registry().deregister(&mut connection.stream) {
                    eprintln!("echo_server: deregistering {}: {err}", connection.peer);
                }
                match outcome {
                    Err(err) => println!(
                        "closed {} after echoing {} bytes: {err}",
                        connection.peer, connection.echoed
                    ),
                    _ => println!(
                        "closed {} after echoing {} bytes",
                        connection.peer, connection.echoed
                    ),
                }
                closed += 1;
            }
        }

        if options.exit_after.is_some_and(|limit| closed >= limit) {
            println!(
                "{closed} {} closed, exiting",
                if closed == 1 {
                    "connection"
                } else {
                    "connections"
                }
            );
            return Ok(());
        }
    }
}

/// Accepts every connection that is waiting. The listener's readiness is an edge too: one
/// READABLE event may stand for several queued connections, so keep accepting until WouldBlock.
fn accept_all(
    listener: &TcpListener,
    registry: &Registry,
    connections: &mut HashMap<Token, Connection>,
    next_token: &mut usize,
) {
    loop {
        let (mut stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                ) =>
            {
                continue;
            }
            Err(err) => {
                // For example out of file descriptors. Stop for now; the next connection
                // attempt brings a new event and another try.
                eprintln!("echo_server: accept failed: {err}");
                return;
            }
        };
        if connections.len() >= MAX_CONNECTIONS {
            eprintln!("echo_server: too many connections, closing the one from {peer}");
            continue;
        }
        let token = Token(*next_token);
        *next_token += 1;
        // A new connection has nothing to write yet, so it starts out READABLE only.
        if let Err(err) = registry.register(&mut stream, token, Interest::READABLE) {
            eprintln!("echo_server: cannot register the connection from {peer}: {err}");
            continue;
        }
        println!("connection from {peer}");
        connections.insert(
            token,
            Connection {
                stream,
                peer,
                pending: Vec::new(),
                interest: Interest::READABLE,
                peer_finished: false,
                echoed: 0,
            },
        );
    }
}

impl Connection {
    /// Moves data as far as the socket allows in both directions. Returns `Ok(false)` once the
    /// connection is finished and should be closed.
    fn on_ready(&mut self, registry: &Registry, token: Token) -> io::Result<bool> {
        let mut chunk = [0u8; 4096];
        loop {
            self.flush()?;
            if self.peer_finished || self.pending.len() >= MAX_PENDING {
                // When the backlog is full we stop reading even though more may be waiting.
                // That is safe only because `pending` is non-empty, which keeps WRITABLE in the
                // interest: the writable event that comes once the client catches up brings us
                // back here, and reading resumes.
                break;
            }
            // Edge-triggered: keep reading until WouldBlock, otherwise bytes that are already
            // in the socket would wait for an event that never comes.
            match self.stream.read(&mut chunk) {
                Ok(0) => self.peer_finished = true,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }

        if self.peer_finished && self.pending.is_empty() {
            return Ok(false);
        }

        // Ask for WRITABLE only while there is something to write. A socket is writable almost
        // all the time, so keeping that interest with an empty buffer would only cause useless
        // wake-ups. It is added only after a write has hit WouldBlock, which guarantees that a
        // writable event will follow once there is room again.
        let wanted = if self.peer_finished {
            Interest::WRITABLE
        } else if self.pending.is_empty() {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        if wanted != self.interest {
            registry.reregister(&mut self.stream, token, wanted)?;
            self.interest = wanted;
        }
        Ok(true)
    }

    /// Writes out as much of `pending` as the socket takes.
    fn flush(&mut self) -> io::Result<()> {
        while !self.pending.is_empty() {
            match self.stream.write(&self.pending) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.pending.drain(..n);
                    self.echoed += n;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }
}

/// Returns the options, or `None` when help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut addr = DEFAULT_ADDR.to_string();
    let mut exit_after = None;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.into())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        if !matches!(flag.as_str(), "--addr" | "--exit-after") {
            return Err(format!("unknown argument {arg:?}"));
        }
        let value: String = match inline.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(format!("{flag} needs a value")),
        };
        if flag == "--addr" {
            addr = value;
        } else {
            match value.parse::<usize>() {
                Ok(n) if n > 0 => exit_after = Some(n),
                _ => {
                    return Err(format!(
                        "--exit-after must be a positive number, not {value:?}"
                    ))
                }
            }
        }
    }
    let addr = addr
        .to_socket_addrs()
        .map_err(|err| format!("--addr {addr:?}: {err}"))?
        .next()
        .ok_or_else(|| format!("--addr {addr:?}: no address found"))?;
    Ok(Some(Options { addr, exit_after }))
}
