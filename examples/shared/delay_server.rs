//! A tiny HTTP/1.1 *delay server*, written with the standard library only.
//!
//! `GET /{delay_ms}/{message} HTTP/1.1` is answered with `200 OK` and the body `message`
//! (percent-decoded) once `delay_ms` milliseconds have passed; the connection is then closed.
//! Anything else gets `400 Bad Request`.
//!
//! This is the "slow remote service" of the minimio examples. It deliberately uses the simplest
//! possible design, one blocking thread per connection, so that all the interesting event-driven
//! code lives on the client side. It is still careful not to be an easy target: delays, the size
//! of a request head, the time a client may take to send it and the number of connections served
//! at once are all bounded.

#![allow(dead_code)] // each example that includes this module uses only part of it

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The longest delay a client may ask for.
pub const MAX_DELAY_MS: u64 = 60_000;

/// The largest request head (request line and headers) that is accepted.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// How many connections are served at the same time; more are turned away with `503`.
pub const MAX_CONNECTIONS: usize = 512;

/// How long a client may take to send its request head, and to take in the response.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds `addr` (port 0 picks a free port), serves it from a background thread, and returns the
/// address actually bound. The server runs quietly until the process exits.
pub fn spawn(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    thread::Builder::new()
        .name("delay-server".into())
        .spawn(move || {
            if let Err(err) = serve(listener, false) {
                eprintln!("delay server stopped: {err}");
            }
        })?;
    Ok(local)
}

/// Serves connections from `listener`, one thread each, until accepting fails for good.
/// With `log` set, one line per request is printed on standard output.
pub fn serve(listener: TcpListener, log: bool) -> io::Result<()> {
    let active = std::sync::Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) if is_transient_accept_error(&err) => {
                // Typically out of file descriptors: back off briefly instead of spinning.
                eprintln!("delay server: accept failed: {err}");
                thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(err) => return Err(err),
        };

        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            turn_away(stream);
            continue;
        }
        let slot = Slot(std::sync::Arc::clone(&active));
        let spawned = thread::Builder::new()
            .name("delay-conn".into())
            .stack_size(128 * 1024)
            .spawn(move || {
                let _slot = slot;
                handle(stream, peer, log);
            });
        if let Err(err) = spawned {
            // The closure, and with it the stream and its slot, has been dropped already.
            eprintln!("delay server: cannot start a connection thread: {err}");
        }
    }
}

/// Frees a connection slot when the thread that holds it ends, however it ends.
struct Slot(std::sync::Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn is_transient_accept_error(err: &io::Error) -> bool {
    !matches!(
        err.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::PermissionDenied
    )
}

fn turn_away(mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = stream.write_all(&response_bytes(
        503,
        "Service Unavailable",
        b"too many connections\n",
    ));
    let _ = stream.shutdown(Shutdown::Write);
}

fn handle(mut stream: TcpStream, peer: SocketAddr, log: bool) {
    // Errors on one connection only concern that client: set the timeouts, ignore failures to
    // send (the client may have gone), and let the thread end.
    if stream.set_write_timeout(Some(IO_TIMEOUT)).is_err() {
        return;
    }

    let outcome = read_head(&mut stream).and_then(|head| parse_request(&head));
    let response = match outcome {
        Ok(request) => {
            thread::sleep(Duration::from_millis(request.delay_ms));
            if log {
                println!(
                    "{peer}: waited {} ms, answering {:?}",
                    request.delay_ms,
                    String::from_utf8_lossy(&request.message)
                );
            }
            response_bytes(200, "OK", &request.message)
        }
        Err(reason) => {
            if log {
                println!("{peer}: bad request: {reason}");
            }
            response_bytes(400, "Bad Request", format!("{reason}\n").as_bytes())
        }
    };
    let _ = stream.write_all(&response);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
}

struct Request {
    delay_ms: u64,
    message: Vec<u8>,
}

/// Reads until the blank line that ends the request head. Whatever the client sends after it is
/// ignored: requests carry no body here.
/// The whole head must arrive within `IO_TIMEOUT`, so a client trickling bytes cannot keep a
/// thread busy for long.
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let end = find_head_end(&head);
        if end.unwrap_or(head.len()) > MAX_HEAD_BYTES {
            return Err(format!("request head larger than {MAX_HEAD_BYTES} bytes"));
        }
        if let Some(end) = end {
            head.truncate(end);
            return Ok(head);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("request head not received in time".into());
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|err| err.to_string())?;
        match stream.read(&mut chunk) {
            Ok(0) => return Err("connection closed before the end of the request head".into()),
            Ok(n) => head.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            // A read timeout shows up as one of these two, depending on the platform.
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err("request head not received in time".into());
            }
            Err(err) => return Err(format!("reading the request failed: {err}")),
        }
    }
}

/// Where the head ends: before the first empty line, accepting bare `\n` line endings too.
fn find_head_end(data: &[u8]) -> Option<usize> {
    let crlf = data.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = data.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn parse_request(head: &[u8]) -> Result<Request, String> {
    let head = std::str::from_utf8(head).map_err(|_| "request head is not UTF-8".to_string())?;
    let request_line = head.lines().next().unwrap_or("").trim_end_matches('\r');
    let mut parts = request_line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) => (m, t, v),
        _ => return Err(format!("malformed request line {request_line:?}")),
    };
    if method != "GET" {
        return Err(format!("only GET is supported, not {method:?}"));
    }
    if !version.starts_with("HTTP/1.") {
        return Err(format!("unsupported protocol version {version:?}"));
    }

    let path = target
        .strip_prefix('/')
        .ok_or_else(|| format!("target {target:?} does not start with '/'"))?;
    let (delay, message) = path
        .split_once('/')
        .ok_or_else(|| format!("target {target:?} is not /{{delay_ms}}/{{message}}"))?;
    if delay.is_empty() || !delay.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("delay {delay:?} is not a number of milliseconds"));
    }
    let delay_ms = match delay.parse::<u64>() {
        Ok(ms) if ms <= MAX_DELAY_MS => ms,
        _ => {
            return Err(format!(
                "delay {delay} ms is above the limit of {MAX_DELAY_MS} ms"
            ))
        }
    };
    let message = percent_decode(message)?;
    Ok(Request { delay_ms, message })
}

fn percent_decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = match bytes.get(i + 1..i + 3) {
                Some(&[hi, lo]) => hex_value(hi).zip(hex_value(lo)).map(|(h, l)| h * 16 + l),
                _ => None,
            };
            match byte {
                Some(byte) => out.push(byte),
                None => return Err(format!("bad percent-escape in {text:?}")),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

fn response_bytes(status: u16, reason: &str, body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}
