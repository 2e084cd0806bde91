//! A small TCP client on minimio: sends one line to an echo server and waits for it to come back.
//!
//! ```text
//! cargo run --example tcp_client -- [--addr HOST:PORT] [--message TEXT]
//! ```
//!
//! Exits with status 1 if the echo has not come back completely within 10 seconds.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use minimio::net::TcpStream;
use minimio::{Events, Interest, Poll, Token};

const DEFAULT_ADDR: &str = "127.0.0.1:9000";
const DEFAULT_MESSAGE: &str = "hello minimio";
const TIMEOUT: Duration = Duration::from_secs(10);
const CLIENT: Token = Token(0);

const USAGE: &str = "\
usage: tcp_client [--addr HOST:PORT] [--message TEXT]

Sends TEXT and a newline to an echo server and prints what comes back.

options:
  --addr HOST:PORT  server to connect to (default 127.0.0.1:9000)
  --message TEXT    line to send (default \"hello minimio\")
  -h, --help        show this help";

struct Options {
    addr: SocketAddr,
    message: String,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("tcp_client: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match exchange(options.addr, &options.message) {
        Ok(echo) => {
            println!("echo from {}: {:?}", options.addr, echo);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("tcp_client: {}: {err}", options.addr);
            ExitCode::FAILURE
        }
    }
}

/// Sends `message` plus a newline and returns what the server sent back, without the newline.
fn exchange(addr: SocketAddr, message: &str) -> io::Result<String> {
    let deadline = Instant::now() + TIMEOUT;
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(8);

    let line = format!("{message}\n").into_bytes();
    let mut sent = 0;
    let mut received = Vec::with_capacity(line.len());

    // The connect is only started here. WRITABLE is the event that reports its outcome, and it is
    // also what writing the line needs, so that is the interest to begin with.
    let mut stream = TcpStream::connect(addr)?;
    poll.registry()
        .register(&mut stream, CLIENT, Interest::WRITABLE)?;
    let mut connected = false;

    while received.len() < line.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no complete echo within {} s", TIMEOUT.as_secs()),
            ));
        }
        match poll.poll(&mut events, Some(left)) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
        if events.is_empty() {
            continue; // timed out; the check above reports it
        }

        if !connected {
            // Writable means the connect has finished, not that it worked: a pending error says
            // it failed, and no peer address yet means the event came early.
            if let Some(err) = stream.take_error()? {
                return Err(err);
            }
            match stream.peer_addr() {
                Ok(_) => connected = true,
                Err(err) if err.kind() == io::ErrorKind::NotConnected => continue,
                Err(err) => return Err(err),
            }
        }

        if sent < line.len() {
            while sent < line.len() {
                match stream.write(&line[sent..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => sent += n,
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            if sent < line.len() {
                continue; // the next writable event lets us go on
            }
            // Everything is sent: from now on only the echo matters.
            poll.registry()
                .reregister(&mut stream, CLIENT, Interest::READABLE)?;
        }

        // Drain until WouldBlock: with edge-triggered readiness, bytes left unread now would not
        // be announced again.
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "connection closed after {} of {} bytes",
                            received.len(),
                            line.len()
                        ),
                    ));
                }
                Ok(n) => received.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
            if received.len() >= line.len() {
                break;
            }
        }
    }

    if received != line {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "sent {:?} but got back {:?}",
                message,
                String::from_utf8_lossy(&received)
            ),
        ));
    }
    received.pop(); // the newline
    String::from_utf8(received).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
}

/// Returns the options, or `None` when help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut addr = DEFAULT_ADDR.to_string();
    let mut message = DEFAULT_MESSAGE.to_string();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.into())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        if !matches!(flag.as_str(), "--addr" | "--message") {
            return Err(format!("unknown argument {arg:?}"));
        }
        let value: String = match inline.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(format!("{flag} needs a value")),
        };
        if flag == "--addr" {
            addr = value;
        } else {
            message = value;
        }
    }
    let addr = addr
        .to_socket_addrs()
        .map_err(|err| format!("--addr {addr:?}: {err}"))?
        .next()
        .ok_or_else(|| format!("--addr {addr:?}: no address found"))?;
    Ok(Some(Options { addr, message }))
}
