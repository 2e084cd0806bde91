//! The hello server, written against mio 1.x's API under the name `library` (minimio here).
//!
//! Each connection keeps the bytes of a request whose headers have not all arrived, and the
//! responses the socket has not taken yet. It is registered for reading and writing at once: with
//! edge-triggered readiness a writable event then resumes a response that was cut short.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use super::library::net::{TcpListener, TcpStream};
use super::library::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);
/// Whether a read that fills less than the buffer may end the drain. Under epoll and kqueue a
/// short read on a stream socket means its receive queue was empty at that moment, and every
/// byte that arrives later makes a new edge, so stopping there loses nothing and saves the read
/// that would only return `WouldBlock`: one system call in three for a request-reply exchange.
/// minimio's poll(2) fallback re-arms a source only after `WouldBlock`, so there the drain must
/// go on until it.
const SHORT_READ_DRAINS: bool = cfg!(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)) && !cfg!(minimio_force_poll);
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
const TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const MAX_HEADER_LEN: usize = 64 * 1024;

/// Parses `--addr A` and `--exit-after N` (stop once N connections have closed) and serves.
pub fn main() -> io::Result<()> {
    let mut addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let mut exit_after = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--addr", Some(value)) => addr = value.parse().map_err(io::Error::other)?,
            ("--exit-after", Some(value)) => {
                exit_after = Some(value.parse::<u64>().map_err(io::Error::other)?)
            }
            _ => return Err(io::Error::other("usage: [--addr A] [--exit-after N]")),
        }
    }
    serve(addr, exit_after)
}

struct Connection {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    /// Body bytes of the current request still to be skipped.
    body_left: usize,
    /// Close once the output is flushed: the peer is done, asked for it, or misbehaved.
    closing: bool,
}

fn serve(addr: SocketAddr, exit_after: Option<u64>) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    eprintln!("http_hello listening on {}", listener.local_addr()?);

    let mut connections: Vec<Option<Connection>> = Vec::new();
    let mut free = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut closed = 0u64;
    while exit_after.is_none_or(|limit| closed < limit) {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    let mut stream = match listener.accept() {
                        Ok((stream, _)) => stream,
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                        Err(err) => return Err(err),
                    };
                    stream.set_nodelay(true)?;
                    let index = free.pop().unwrap_or_else(|| {
                        connections.push(None);
                        connections.len() - 1
                    });
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    poll.registry()
                        .register(&mut stream, Token(index), interest)?;
                    connections[index] = Some(Connection {
                        stream,
                        input: Vec::new(),
                        output: Vec::new(),
                        body_left: 0,
                        closing: false,
                    });
                }
                continue;
            }
            let index = event.token().0;
            let Some(connection) = connections.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            if !serve_connection(connection, &mut buf) {
                let mut connection = connections[index].take().expect("checked above");
                poll.registry().deregister(&mut connection.stream)?;
                free.push(index);
                closed += 1;
            }
        }
    }
    Ok(())
}

/// Reads what arrived, answers every complete request, writes what the socket takes.
/// Returns false when the connection is finished and should be closed.
fn serve_connection(connection: &mut Connection, buf: &mut [u8]) -> bool {
    loop {
        match connection.stream.read(buf) {
            Ok(0) => {
                connection.closing = true;
                break;
            }
            Ok(n) => {
                connection.input.extend_from_slice(&buf[..n]);
                if SHORT_READ_DRAINS && n < buf.len() {
                    break;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
            Err(_) => return false,
        }
    }
    answer_all(connection);
    while !connection.output.is_empty() {
        match connection.stream.write(&connection.output) {
            Ok(n) => drop(connection.output.drain(..n)),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
    !connection.closing
}

/// Answers every request whose headers are complete, skipping request bodies.
fn answer_all(connection: &mut Connection) {
    let input = &connection.input;
    let mut at = 0;
    while !connection.closing {
        let skip = connection.body_left.min(input.len() - at);
        connection.body_left -= skip;
        at += skip;
        if connection.body_left > 0 {
            break;
        }
        let Some(end) = find(&input[at..], b"\r\n\r\n") else {
            if input.len() - at > MAX_HEADER_LEN {
                connection.output.extend_from_slice(TOO_LARGE);
                connection.closing = true;
            }
            break;
        };
        let head = &input[at..at + end];
        connection.output.extend_from_slice(RESPONSE);
        connection.body_left = header(head, b"content-length")
            .and_then(|value| std::str::from_utf8(value).ok()?.trim().parse().ok())
            .unwrap_or(0);
        connection.closing = wants_close(head);
        at += end + 4;
    }
    connection.input.drain(..at);
}

/// HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes unless told otherwise.
fn wants_close(head: &[u8]) -> bool {
    let connection = header(head, b"connection").map(|value| value.trim_ascii());
    let says = |word: &[u8]| connection.is_some_and(|value| value.eq_ignore_ascii_case(word));
    let request_line = head.split(|&byte| byte == b'\n').next().unwrap_or_default();
    if request_line.trim_ascii_end().ends_with(b"HTTP/1.0") {
        !says(b"keep-alive")
    } else {
        says(b"close")
    }
}

/// The value of the first header called `name` (lower case), if any.
fn header<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|&byte| byte == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&byte| byte == b':')?;
        let (key, value) = (&line[..colon], &line[colon + 1..]);
        key.trim_ascii()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim_ascii())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
