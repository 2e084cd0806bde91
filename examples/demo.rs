//! # Many slow requests, one thread
//!
//! This demo sends several HTTP requests to a *delay server*, a server that answers each request
//! only after a delay the request asks for. Request `i` (counting from 0) of `N` asks for
//! `(N - i) * step` milliseconds, so the request sent last is the first to be answered.
//!
//! A single thread drives every connection through one [`Poll`]. It sleeps until some socket can
//! make progress, does exactly that bit of work, and goes back to sleep. Responses are printed
//! the moment they complete, so they come out in completion order, and the whole run takes about
//! as long as the slowest request instead of the sum of all of them.
//!
//! ```text
//! cargo run --example demo                          # 5 requests, in-process delay server
//! cargo run --example demo -- --count 20 --step-ms 50
//! cargo run --example delay_server -- --addr 127.0.0.1:8080    # in another terminal
//! cargo run --example demo -- --server 127.0.0.1:8080
//! ```
//!
//! Every connection goes through three phases, and the [`Interest`] it is registered with always
//! names the one thing it is waiting for:
//!
//! 1. **Connecting** (interest `WRITABLE`): `TcpStream::connect` only *starts* connecting and
//!    returns at once. The socket becomes writable when the handshake has finished, successfully
//!    or not.
//! 2. **Sending** (still `WRITABLE`): the request is written as far as the socket accepts it;
//!    when it accepts no more, the next writable event tells us to go on.
//! 3. **Receiving** (interest `READABLE`): the response is read as it arrives. The server closes
//!    the connection after its response, so a read returning 0 bytes means it is complete.

#[path = "shared/delay_server.rs"]
mod delay_server;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use minimio::net::TcpStream;
use minimio::{Events, Interest, Poll, Registry, Token};

const DEFAULT_COUNT: usize = 5;
const DEFAULT_STEP_MS: u64 = 400;
const MAX_COUNT: usize = 500;

/// How long after the longest delay the demo gives up on whatever is still outstanding.
const GRACE: Duration = Duration::from_secs(10);

/// A response larger than this is not what the delay server sends; stop reading.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

const USAGE: &str = "\
usage: demo [--server HOST:PORT] [--count N] [--step-ms MS]

Sends N requests at once to a delay server, request i (from 0) asking for a delay of
(N - i) * MS milliseconds, and prints the responses as they complete, all from one thread.

options:
  --server HOST:PORT  use this delay server instead of starting one in-process
  --count N           number of requests, 1 to 500 (default 5)
  --step-ms MS        delay step in milliseconds (default 400); N * MS must not exceed 60000
  -h, --help          show this help";

struct Options {
    server: Option<SocketAddr>,
    count: usize,
    step_ms: u64,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("demo: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let server = match options.server {
        Some(addr) => {
            println!("delay server: {addr}");
            addr
        }
        None => match delay_server::spawn("127.0.0.1:0") {
            Ok(addr) => {
                println!("delay server: {addr} (in-process)");
                addr
            }
            Err(err) => {
                eprintln!("demo: cannot start the delay server: {err}");
                return ExitCode::FAILURE;
            }
        },
    };
    println!(
        "sending {} requests at once; request i asks for a delay of ({} - i) x {} ms",
        options.count, options.count, options.step_ms
    );

    match run(server, options.count, options.step_ms) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("demo: {err}");
            ExitCode::FAILURE
        }
    }
}

/// What one connection is waiting for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Sending,
    Receiving,
    Finished,
}

/// One request and its connection.
struct Exchange {
    index: usize,
    delay_ms: u64,
    phase: Phase,
    stream: Option<TcpStream>,
    request: Vec<u8>,
    /// How much of `request` the socket has accepted so far.
    sent: usize,
    response: Vec<u8>,
}

/// Sends all requests and prints the responses as they come. Returns whether every request was
/// answered; an error is returned only when the poll itself fails.
fn run(server: SocketAddr, count: usize, step_ms: u64) -> io::Result<bool> {
    let start = Instant::now();
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(128);

    let mut exchanges: Vec<Exchange> = (0..count)
        .map(|index| {
            let delay_ms = (count - index) as u64 * step_ms;
            let message = format!("hello from request {index}");
            Exchange {
                index,
                delay_ms,
                phase: Phase::Connecting,
                stream: None,
                request: http_request(server, delay_ms, &message),
                sent: 0,
                response: Vec::new(),
            }
        })
        .collect();

    let mut report = Report {
        start,
        count,
        answered: 0,
        failed: 0,
    };

    for exchange in &mut exchanges {
        // The token is simply the request's index: when an event arrives, `event.token().0`
        // leads straight back to the request it concerns.
        let token = Token(exchange.index);
        let connected = TcpStream::connect(server).and_then(|mut stream| {
            // Only WRITABLE for now: a connecting socket turns writable once the handshake is
            // over, and there is nothing to read before the request has even been sent.
            poll.registry()
                .register(&mut stream, token, Interest::WRITABLE)?;
            Ok(stream)
        });
        match connected {
            Ok(stream) => exchange.stream = Some(stream),
            Err(err) => report.failure(exchange, &format!("cannot connect: {err}")),
        }
    }

    let longest = Duration::from_millis(count as u64 * step_ms);
    let deadline = start + longest + GRACE;

    while report.answered + report.failed < count {
        let now = Instant::now();
        if now >= deadline {
            for exchange in exchanges.iter_mut().filter(|e| e.phase != Phase::Finished) {
                exchange.close(poll.registry());
                report.failure(exchange, "no complete response before the deadline");
            }
            break;
        }

        // The one place where this thread waits: until at least one registered socket is
        // ready, or the deadline comes.
        if let Err(err) = poll.poll(&mut events, Some(deadline - now)) {
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }

        // What an event says (readable, writable, ...) is only a hint here: the exchange's phase
        // decides what to attempt, and attempting something the socket is not ready for merely
        // ends in WouldBlock, after which the next event brings us back.
        for event in events.iter() {
            let Some(exchange) = exchanges.get_mut(event.token().0) else {
                continue;
            };
            if exchange.phase == Phase::Finished {
                continue;
            }
            match exchange.on_ready(poll.registry()) {
                Ok(None) => {} // more to come
                Ok(Some(body)) => {
                    exchange.close(poll.registry());
                    report.response(exchange, &body);
                }
                Err(reason) => {
                    exchange.close(poll.registry());
                    report.failure(exchange, &reason);
                }
            }
        }
    }

    report.summary(step_ms);
    Ok(report.failed == 0)
}

impl Exchange {
    /// Makes as much progress as the socket allows. Returns the response body once the response
    /// is complete, `None` while more events are needed, or why this request failed.
    fn on_ready(&mut self, registry: &Registry) -> Result<Option<String>, String> {
        let Some(stream) = self.stream.as_mut() else {
            return Err("no connection".into());
        };

        if self.phase == Phase::Connecting {
            // Being writable is how a socket says its connect has *finished*; whether it
            // succeeded is a separate question. A pending socket error means it failed (e.g.
            // refused). Without one, a socket that has a peer address is connected; if it has
            // none yet, the event was early and another one will follow.
            if let Some(err) = stream.take_error().map_err(|e| e.to_string())? {
                return Err(format!("cannot connect: {err}"));
            }
            match stream.peer_addr() {
                Ok(_) => self.phase = Phase::Sending,
                Err(err) if err.kind() == io::ErrorKind::NotConnected => return Ok(None),
                Err(err) => return Err(format!("cannot connect: {err}")),
            }
        }

        if self.phase == Phase::Sending {
            while self.sent < self.request.len() {
                match stream.write(&self.request[self.sent..]) {
                    Ok(0) => return Err("connection closed while sending the request".into()),
                    Ok(n) => self.sent += n,
                    // The send buffer is full. Readiness is reported as an edge: the next
                    // WRITABLE event comes when there is room again, so just return and wait.
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(format!("sending the request failed: {err}")),
                }
            }
            // The request is out. From now on only incoming data matters, so switch the
            // interest; staying registered for WRITABLE would only bring useless wake-ups.
            registry
                .reregister(stream, Token(self.index), Interest::READABLE)
                .map_err(|err| format!("cannot switch to reading: {err}"))?;
            self.phase = Phase::Receiving;
            // Fall through and try reading right away: it costs at most one WouldBlock, and
            // it means a response that was already waiting cannot be overlooked.
        }

        // Receiving. Events are edge-triggered: one READABLE event may stand for many bytes,
        // and no new event comes for bytes that are already there. So read until the socket
        // says WouldBlock; stopping earlier could leave data behind that nobody is told about.
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk) {
                // The server has closed its side: the response is complete.
                Ok(0) => return parse_response(&self.response).map(Some),
                Ok(n) => {
                    self.response.extend_from_slice(&chunk[..n]);
                    if self.response.len() > MAX_RESPONSE_BYTES {
                        return Err("response too large".into());
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(format!("receiving the response failed: {err}")),
            }
        }
    }

    /// Deregisters and drops the connection.
    fn close(&mut self, registry: &Registry) {
        self.phase = Phase::Finished;
        let Some(mut stream) = self.stream.take() else {
            return;
        };
        if let Err(err) = registry.deregister(&mut stream) {
            eprintln!("demo: request {}: deregistering failed: {err}", self.index);
        }
    }
}

/// Prints one line per finished request, and the summary.
struct Report {
    start: Instant,
    count: usize,
    answered: usize,
    failed: usize,
}

impl Report {
    fn response(&mut self, exchange: &Exchange, body: &str) {
        self.answered += 1;
        println!(
            "response {:>width$} of {} after {:6.2} s: request {} (delay {} ms) -> {:?}",
            self.answered + self.failed,
            self.count,
            self.start.elapsed().as_secs_f64(),
            exchange.index,
            exchange.delay_ms,
            body,
            width = self.count.to_string().len()
        );
    }

    fn failure(&mut self, exchange: &mut Exchange, reason: &str) {
        exchange.phase = Phase::Finished;
        self.failed += 1;
        println!(
            "failure  {:>width$} of {} after {:6.2} s: request {} (delay {} ms): {}",
            self.answered + self.failed,
            self.count,
            self.start.elapsed().as_secs_f64(),
            exchange.index,
            exchange.delay_ms,
            reason,
            width = self.count.to_string().len()
        );
    }

    fn summary(&self, step_ms: u64) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let n = self.count as u64;
        let total_delay = (step_ms * n * (n + 1) / 2) as f64 / 1000.0;
        if self.failed == 0 {
            println!(
                "{} {} in {:.2} s; the delays add up to {:.2} s: \
                 one thread waited for all of them at once.",
                self.answered,
                if self.answered == 1 {
                    "response"
                } else {
                    "responses"
                },
                elapsed,
                total_delay
            );
        } else {
            println!(
                "{} of {} requests answered, {} failed, in {:.2} s.",
                self.answered, self.count, self.failed, elapsed
            );
        }
    }
}

/// The request for one exchange. The message travels in the path, so it is percent-encoded.
fn http_request(server: SocketAddr, delay_ms: u64, message: &str) -> Vec<u8> {
    format!(
        "GET /{delay_ms}/{} HTTP/1.1\r\nHost: {server}\r\nUser-Agent: minimio-demo\r\n\
         Connection: close\r\n\r\n",
        percent_encode(message)
    )
    .into_bytes()
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Checks the status line and the length, and returns the body.
fn parse_response(raw: &[u8]) -> Result<String, String> {
    if raw.is_empty() {
        return Err("the server closed the connection without a response".into());
    }
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("the server closed the connection mid-response")?;
    let status_line = head.lines().next().unwrap_or("");
    let status = status_line.split(' ').nth(1).unwrap_or("");
    if status != "200" {
        return Err(format!(
            "server answered {status_line:?}: {:?}",
            body.trim_end()
        ));
    }
    let content_length = head.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>())
    });
    match content_length {
        Some(Ok(len)) if len != body.len() => Err(format!(
            "body has {} bytes, Content-Length says {len}",
            body.len()
        )),
        Some(Err(_)) => Err("bad Content-Length".into()),
        _ => Ok(body.to_string()),
    }
}

/// Returns the options, or `None` when help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        server: None,
        count: DEFAULT_COUNT,
        step_ms: DEFAULT_STEP_MS,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.into())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        if !matches!(flag.as_str(), "--server" | "--count" | "--step-ms") {
            return Err(format!("unknown argument {arg:?}"));
        }
        let value: String = match inline.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(format!("{flag} needs a value")),
        };
        match flag.as_str() {
            "--server" => {
                let addr = value
                    .to_socket_addrs()
                    .map_err(|err| format!("--server {value:?}: {err}"))?
                    .next()
                    .ok_or_else(|| format!("--server {value:?}: no address found"))?;
                options.server = Some(addr);
            }
            "--count" => {
                options.count = match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
                    _ => return Err(format!("--count must be 1 to {MAX_COUNT}, not {value:?}")),
                }
            }
            _ => {
                options.step_ms = value.parse::<u64>().map_err(|_| {
                    format!("--step-ms must be a number of milliseconds, not {value:?}")
                })?
            }
        }
    }
    let longest = options.step_ms.saturating_mul(options.count as u64);
    if longest > delay_server::MAX_DELAY_MS {
        return Err(format!(
            "the longest delay, count x step = {longest} ms, exceeds the server's limit of {} ms",
            delay_server::MAX_DELAY_MS
        ));
    }
    Ok(Some(options))
}
