//! A small Redis-protocol (RESP) server on minimio: it answers `PING` and `ECHO`, inline or as
//! multibulk arrays, pipelined or not, from one thread.
//!
//! ```sh
//! cargo run --release --example resp_server -- --addr 127.0.0.1:6380
//! redis-cli -p 6380 ping
//! redis-benchmark -p 6380 -t ping -c 50 -n 100000 -P 16
//! ```
//!
//! `--exit-after N` ends the server once N connections have closed (for scripts).
//!
//! Each connection keeps the bytes of a request that has not fully arrived, and the replies
//! the socket did not take yet; it is registered for reading and writing at once, so that with
//! edge-triggered readiness a writable event resumes a reply that was cut short.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use minimio::net::{TcpListener, TcpStream};
use minimio::{Events, Interest, Poll, Token};

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
/// Largest multibulk element we accept; Redis's own default limit.
const MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// Largest inline request line, as in Redis.
const MAX_INLINE_LEN: usize = 64 * 1024;

fn main() -> io::Result<()> {
    let mut addr: SocketAddr = "127.0.0.1:6380".parse().unwrap();
    let mut exit_after = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--addr", Some(value)) => addr = value.parse().map_err(io::Error::other)?,
            ("--exit-after", Some(value)) => {
                exit_after = Some(value.parse::<u64>().map_err(io::Error::other)?)
            }
            _ => {
                return Err(io::Error::other(
                    "usage: resp_server [--addr A] [--exit-after N]",
                ))
            }
        }
    }
    serve(addr, exit_after)
}

struct Connection {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    /// The peer has finished sending, or sent something unparseable: close once flushed.
    closing: bool,
}

fn serve(addr: SocketAddr, exit_after: Option<u64>) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    eprintln!("resp_server listening on {}", listener.local_addr()?);

    let mut connections: Vec<Option<Connection>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut closed = 0u64;
    while exit_after.is_none_or(|limit| closed < limit) {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&poll, &listener, &mut connections, &mut free)?;
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

fn accept_all(
    poll: &Poll,
    listener: &TcpListener,
    connections: &mut Vec<Option<Connection>>,
    free: &mut Vec<usize>,
) -> io::Result<()> {
    loop {
        let mut stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
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
            closing: false,
        });
    }
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
    let consumed = answer_all(&connection.input, &mut connection.output);
    match consumed {
        Some(consumed) => drop(connection.input.drain(..consumed)),
        None => connection.closing = true,
    }
    while !connection.output.is_empty() {
        match connection.stream.write(&connection.output) {
            Ok(n) => drop(connection.output.drain(..n)),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
    !connection.closing
}

/// Answers every complete request at the start of `input`; returns the bytes consumed, or
/// `None` after a protocol error (whose reply is already in `output`).
fn answer_all(input: &[u8], output: &mut Vec<u8>) -> Option<usize> {
    let mut consumed = 0;
    loop {
        match parse(&input[consumed..]) {
            Parsed::Request { len, request } => {
                reply(&request, output);
                consumed += len;
            }
            Parsed::Incomplete => return Some(consumed),
            Parsed::Invalid(message) => {
                output.extend_from_slice(b"-ERR Protocol error: ");
                output.extend_from_slice(message.as_bytes());
                output.extend_from_slice(b"\r\n");
                return None;
            }
        }
    }
}

/// A request, by what PING and ECHO need: the command name, its first argument, and how many
/// arguments followed the name.
struct Request<'a> {
    name: &'a [u8],
    first: Option<&'a [u8]>,
    arguments: usize,
}

enum Parsed<'a> {
    Request { len: usize, request: Request<'a> },
    Incomplete,
    Invalid(&'static str),
}

fn parse(input: &[u8]) -> Parsed<'_> {
    match input.first() {
        None => Parsed::Incomplete,
        Some(b'*') => parse_multibulk(input),
        Some(_) => parse_inline(input),
    }
}

/// `*<count>\r\n` then `count` times `$<len>\r\n<len bytes>\r\n`.
fn parse_multibulk(input: &[u8]) -> Parsed<'_> {
    let Some((count, mut at)) = number_line(input, 1) else {
        return incomplete_or(input, "bad multibulk length");
    };
    let Some(count) = count.filter(|&count| (1..=1024 * 1024).contains(&count)) else {
        return Parsed::Invalid("bad multibulk length");
    };
    let mut request = Request {
        name: &[],
        first: None,
        arguments: count - 1,
    };
    for index in 0..count {
        if at >= input.len() {
            return Parsed::Incomplete;
        }
        if input[at] != b'$' {
            return Parsed::Invalid("expected '$'");
        }
        let Some((len, start)) = number_line(input, at + 1) else {
            return incomplete_or(&input[at..], "bad bulk length");
        };
        let Some(len) = len.filter(|&len| len <= MAX_BULK_LEN) else {
            return Parsed::Invalid("bad bulk length");
        };
        let end = start + len;
        if input.len() < end + 2 {
            return Parsed::Incomplete;
        }
        if &input[end..end + 2] != b"\r\n" {
            return Parsed::Invalid("bulk not followed by CRLF");
        }
        match index {
            0 => request.name = &input[start..end],
            1 => request.first = Some(&input[start..end]),
            _ => {}
        }
        at = end + 2;
    }
    Parsed::Request { len: at, request }
}

/// A line of words separated by spaces, ended by `\n` (with or without `\r`).
fn parse_inline(input: &[u8]) -> Parsed<'_> {
    let Some(newline) = input.iter().position(|&byte| byte == b'\n') else {
        return if input.len() > MAX_INLINE_LEN {
            Parsed::Invalid("too big inline request")
        } else {
            Parsed::Incomplete
        };
    };
    let line = input[..newline]
        .strip_suffix(b"\r")
        .unwrap_or(&input[..newline]);
    let mut words = line
        .split(|&byte| byte == b' ')
        .filter(|word| !word.is_empty());
    let request = Request {
        name: words.next().unwrap_or(&[]),
        first: words.next(),
        arguments: line
            .split(|&byte| byte == b' ')
            .filter(|word| !word.is_empty())
            .count()
            .saturating_sub(1),
    };
    Parsed::Request {
        len: newline + 1,
        request,
    }
}

/// Reads `<digits>\r\n` starting at `at`: `Some((value, index after the line))`, with `None`
/// as the value when the digits are not a number. `None` when the line is not complete yet.
fn number_line(input: &[u8], at: usize) -> Option<(Option<usize>, usize)> {
    let rest = input.get(at..)?;
    let end = rest.windows(2).position(|pair| pair == b"\r\n")?;
    let value = std::str::from_utf8(&rest[..end])
        .ok()
        .and_then(|digits| digits.parse().ok());
    Some((value, at + end + 2))
}

/// A line that is missing its CRLF is incomplete, unless it is already absurdly long.
fn incomplete_or<'a>(input: &[u8], message: &'static str) -> Parsed<'a> {
    if input.len() > 32 {
        Parsed::Invalid(message)
    } else {
        Parsed::Incomplete
    }
}

fn reply(request: &Request<'_>, output: &mut Vec<u8>) {
    let name = request.name;
    if name.is_empty() {
        // An empty inline line, which Redis ignores.
    } else if name.eq_ignore_ascii_case(b"PING") && request.arguments == 0 {
        output.extend_from_slice(b"+PONG\r\n");
    } else if (name.eq_ignore_ascii_case(b"PING") || name.eq_ignore_ascii_case(b"ECHO"))
        && request.arguments == 1
    {
        bulk(request.first.unwrap_or_default(), output);
    } else if name.eq_ignore_ascii_case(b"PING") || name.eq_ignore_ascii_case(b"ECHO") {
        output.extend_from_slice(b"-ERR wrong number of arguments for '");
        output.extend(name.iter().map(u8::to_ascii_lowercase));
        output.extend_from_slice(b"' command\r\n");
    } else {
        output.extend_from_slice(b"-ERR unknown command '");
        output.extend(name.iter().filter(|byte| byte.is_ascii_graphic()));
        output.extend_from_slice(b"'\r\n");
    }
}

fn bulk(value: &[u8], output: &mut Vec<u8>) {
    output.push(b'$');
    output.extend_from_slice(value.len().to_string().as_bytes());
    output.extend_from_slice(b"\r\n");
    output.extend_from_slice(value);
    output.extend_from_slice(b"\r\n");
}
