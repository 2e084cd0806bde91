//! Stress tests: many connections carrying checksummed messages through one `Poll`, threads
//! registering, deregistering and waking while another polls, and wake storms that must not
//! starve sockets. Sizes are small by default; `MINIMIO_SOAK=1` makes them large.
//!
//! Every test prints its figures (connections, messages, bytes, events) so they can be quoted.

mod util;

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use minimio::net::{TcpListener, TcpStream, UdpSocket};
use minimio::{Events, Interest, Poll, Registry, Token, Waker};

use util::{any_local_address, raise_fd_limit, soak, DEADLINE};

// ---------------------------------------------------------------------------------------------
// (a) Many connections, many messages, one Poll.
// ---------------------------------------------------------------------------------------------

/// Bytes before the payload: total length, connection, sequence number, payload checksum.
const HEADER: usize = 16;

/// FNV-1a, enough to notice any changed byte.
fn checksum(data: &[u8]) -> u32 {
    data.iter().fold(0x811C_9DC5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Message `seq` of connection `conn`: its size and bytes depend on both.
fn message(conn: u32, seq: u32) -> Vec<u8> {
    let mix = (conn.wrapping_mul(0x9E37_79B1) ^ seq.wrapping_mul(0x85EB_CA6B)).rotate_left(13);
    let payload: Vec<u8> = (0..16 + (mix % 497))
        .map(|k| (mix.wrapping_add(k.wrapping_mul(31)) >> 3) as u8)
        .collect();
    let mut frame = Vec::with_capacity(HEADER + payload.len());
    frame.extend_from_slice(&((HEADER + payload.len()) as u32).to_le_bytes());
    frame.extend_from_slice(&conn.to_le_bytes());
    frame.extend_from_slice(&seq.to_le_bytes());
    frame.extend_from_slice(&checksum(&payload).to_le_bytes());
    frame.extend_from_slice(&payload);
    frame
}

fn field(frame: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(frame[at..at + 4].try_into().unwrap())
}

/// Takes one whole frame off the front of `input`, if there is one.
fn next_frame(input: &mut Vec<u8>) -> Option<Vec<u8>> {
    if input.len() < HEADER {
        return None;
    }
    let len = field(input, 0) as usize;
    assert!(
        (HEADER..=HEADER + 512).contains(&len),
        "bad frame length {len}"
    );
    if input.len() < len {
        return None;
    }
    let rest = input.split_off(len);
    Some(std::mem::replace(input, rest))
}

/// Writes from `out[*pos..]` until done or `WouldBlock`.
fn write_out(stream: &mut TcpStream, out: &mut Vec<u8>, pos: &mut usize) {
    while *pos < out.len() {
        match stream.write(&out[*pos..]) {
            Ok(n) => *pos += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("write failed: {e}"),
        }
    }
    if *pos == out.len() {
        out.clear();
        *pos = 0;
    }
}

/// Reads until `WouldBlock`, appending to `input`; returns the bytes read.
fn read_in(stream: &mut TcpStream, input: &mut Vec<u8>) -> usize {
    let mut buf = [0u8; 8192];
    let mut total = 0;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => panic!("unexpected end of stream"),
            Ok(n) => {
                input.extend_from_slice(&buf[..n]);
                total += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

struct Client {
    stream: TcpStream,
    connected: bool,
    next_send: u32,
    out: Vec<u8>,
    out_pos: usize,
    input: Vec<u8>,
    echoed: u32,
}

struct Server {
    stream: TcpStream,
    conn: Option<u32>,
    received: u32,
    input: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
}

const LISTENER: Token = Token(0);

fn client_token(i: usize) -> Token {
    Token(1 + 2 * i)
}

fn server_token(j: usize) -> Token {
    Token(2 + 2 * j)
}

/// Messages a client may have sent and not yet seen echoed: small, so that every connection
/// goes through many rounds of events.
const WINDOW: u32 = 3;

/// Sends what the client may send now (its window permitting), until done or `WouldBlock`.
fn client_send(client: &mut Client, conn: u32, messages: u32) {
    loop {
        while client.next_send < messages && client.next_send < client.echoed + WINDOW {
            client.out.extend(message(conn, client.next_send));
            client.next_send += 1;
        }
        let before = client.out.len();
        write_out(&mut client.stream, &mut client.out, &mut client.out_pos);
        if !client.out.is_empty() || before == 0 {
            return;
        }
    }
}

/// Many connections echo checksummed messages through one `Poll`: none lost, repeated or bent.
#[test]
fn many_connections_carry_checksummed_messages() {
    let (mut connections, messages) = if soak() { (10_000, 100) } else { (500, 20) };
    let limit = raise_fd_limit(2 * connections as u64 + 100);
    if limit < 2 * connections as u64 + 100 {
        connections = (limit as usize).saturating_sub(100) / 2;
        println!("RLIMIT_NOFILE is {limit}: using {connections} connections");
    }
    let started = Instant::now();

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(256);
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut clients: Vec<Client> = Vec::new();
    let mut servers: Vec<Server> = Vec::new();
    let mut done = 0usize;
    let (mut n_events, mut n_polls, mut bytes_up, mut bytes_down) = (0u64, 0u64, 0u64, 0u64);
    let deadline = Instant::now() + if soak() { 20 * DEADLINE } else { DEADLINE };

    while done < connections {
        assert!(
            Instant::now() < deadline,
            "{done} of {connections} connections finished, {} opened, {} accepted",
            clients.len(),
            servers.len()
        );
        // Keep at most 128 handshakes in flight, so the listen backlog never overflows.
        while clients.len() < connections && clients.len() - servers.len() < 128 {
            let mut stream = TcpStream::connect(addr).unwrap();
            poll.registry()
                .register(
                    &mut stream,
                    client_token(clients.len()),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .unwrap();
            clients.push(Client {
                stream,
                connected: false,
                next_send: 0,
                out: Vec::new(),
                out_pos: 0,
                input: Vec::new(),
                echoed: 0,
            });
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        n_polls += 1;
        for event in events.iter() {
            n_events += 1;
            let token = event.token();
            if token == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            poll.registry()
                                .register(
                                    &mut stream,
                                    server_token(servers.len()),
                                    Interest::READABLE | Interest::WRITABLE,
                                )
                                .unwrap();
                            servers.push(Server {
                                stream,
                                conn: None,
                                received: 0,
                                input: Vec::new(),
                                out: Vec::new(),
                                out_pos: 0,
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("accept failed: {e}"),
                    }
                }
                assert!(servers.len() <= clients.len(), "more accepted than opened");
            } else if token.0 % 2 == 0 {
                let server = &mut servers[token.0 / 2 - 1];
                bytes_up += read_in(&mut server.stream, &mut server.input) as u64;
                while let Some(frame) = next_frame(&mut server.input) {
                    let conn = field(&frame, 4);
                    let seq = field(&frame, 8);
                    assert_eq!(*server.conn.get_or_insert(conn), conn, "streams mixed up");
                    assert_eq!(
                        seq, server.received,
                        "conn {conn}: message lost or repeated"
                    );
                    assert_eq!(
                        field(&frame, 12),
                        checksum(&frame[HEADER..]),
                        "conn {conn} message {seq}: checksum mismatch"
                    );
                    server.received += 1;
                    server.out.extend_from_slice(&frame);
                }
                write_out(&mut server.stream, &mut server.out, &mut server.out_pos);
            } else {
                let i = (token.0 - 1) / 2;
                let client = &mut clients[i];
                if !client.connected {
                    if let Some(e) = client.stream.take_error().unwrap() {
                        panic!("connection {i} failed: {e}");
                    }
                    match client.stream.peer_addr() {
                        Ok(_) => client.connected = true,
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
                        Err(e) => panic!("peer_addr failed: {e}"),
                    }
                }
                client_send(client, i as u32, messages);
                bytes_down += read_in(&mut client.stream, &mut client.input) as u64;
                while let Some(frame) = next_frame(&mut client.input) {
                    assert_eq!(
                        frame,
                        message(i as u32, client.echoed),
                        "connection {i}: echo {} differs",
                        client.echoed
                    );
                    client.echoed += 1;
                    if client.echoed == messages {
                        done += 1;
                    }
                }
                assert!(client.echoed <= messages, "connection {i}: too many echoes");
                client_send(client, i as u32, messages);
            }
        }
    }
    assert_eq!(servers.len(), connections);
    for (j, server) in servers.iter().enumerate() {
        assert_eq!(server.received, messages, "server {j}");
        assert!(server.input.is_empty(), "server {j} has stray bytes");
    }
    assert_eq!(bytes_up, bytes_down, "bytes up and down differ");
    println!(
        "stress: {connections} connections x {messages} messages = {} messages each way, \
         {bytes_up} bytes each way, {n_events} events in {n_polls} polls, {:.2?}; \
         none lost, duplicated or corrupted",
        connections as u64 * u64::from(messages),
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// (b) Threads registering, deregistering and waking while another thread polls.
// ---------------------------------------------------------------------------------------------

const THREADS: usize = 8;
const WAKER: Token = Token(1);

/// A token unique to thread `t`: its number in the high bits, a counter in the low ones.
fn thread_token(t: usize, n: usize) -> Token {
    Token(((t + 1) << 24) | (n & 0xFF_FFFF))
}

#[derive(Default)]
struct ThreadReport {
    /// Registered ready and never deregistered: the poller must report each.
    kept: Vec<Token>,
    /// Only ever ready while deregistered, or replaced before becoming ready: never reported.
    never: Vec<Token>,
    /// Registered ready and deregistered at once: may be reported or not.
    maybe: Vec<Token>,
    registrations: u64,
    deregistrations: u64,
    reregistrations: u64,
    wakes: u64,
    sockets: Vec<UdpSocket>,
}

/// One churning thread: until `stop`, registers, reregisters, deregisters and wakes at random.
fn churn(
    t: usize,
    registry: Registry,
    waker: Arc<Waker>,
    stop: Arc<AtomicBool>,
    max_kept: usize,
) -> ThreadReport {
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut report = ThreadReport::default();
    let mut n = 0usize;
    let mut token = || {
        n += 1;
        thread_token(t, n)
    };
    let mut rng = 0x2545_F491_4F6C_DD1Du64 ^ (t as u64 + 1);
    let mut dead: Vec<UdpSocket> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        match rng % 8 {
            0 | 1 if report.kept.len() < max_kept => {
                // Register idle, maybe move to a second token, then make it ready.
                let mut socket = UdpSocket::bind(any_local_address()).unwrap();
                let first = token();
                registry
                    .register(&mut socket, first, Interest::READABLE)
                    .unwrap();
                report.registrations += 1;
                let mut last = first;
                if rng % 16 < 8 {
                    last = token();
                    registry
                        .reregister(&mut socket, last, Interest::READABLE)
                        .unwrap();
                    report.reregistrations += 1;
                    report.never.push(first);
                }
                sender.send_to(b"k", socket.local_addr().unwrap()).unwrap();
                report.kept.push(last);
                report.sockets.push(socket);
            }
            2 | 3 => {
                // Register and deregister while idle, then make it ready: must stay silent.
                let mut socket = UdpSocket::bind(any_local_address()).unwrap();
                let gone = token();
                registry
                    .register(&mut socket, gone, Interest::READABLE)
                    .unwrap();
                registry.deregister(&mut socket).unwrap();
                report.registrations += 1;
                report.deregistrations += 1;
                sender.send_to(b"d", socket.local_addr().unwrap()).unwrap();
                report.never.push(gone);
                dead.push(socket);
                if dead.len() > 32 {
                    dead.remove(0);
                }
            }
            4 => {
                // Register ready and deregister at once: a race the poller may or may not see.
                let mut socket = UdpSocket::bind(any_local_address()).unwrap();
                sender.send_to(b"r", socket.local_addr().unwrap()).unwrap();
                let raced = token();
                registry
                    .register(&mut socket, raced, Interest::READABLE)
                    .unwrap();
                registry.deregister(&mut socket).unwrap();
                report.registrations += 1;
                report.deregistrations += 1;
                report.maybe.push(raced);
            }
            _ => {
                waker.wake().unwrap();
                report.wakes += 1;
            }
        }
    }
    report.sockets.extend(dead);
    report
}

/// 8 threads churn registrations and wakes while one polls: every kept source seen, no gone one.
#[test]
fn threads_churn_registrations_while_polling() {
    let run_for = if soak() {
        Duration::from_secs(30)
    } else {
        Duration::from_secs(2)
    };
    let max_kept = if soak() { 1_000 } else { 150 };
    raise_fd_limit((THREADS * (max_kept + 40) + 100) as u64);

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let registry = poll.registry().try_clone().unwrap();
            let waker = Arc::clone(&waker);
            let stop = Arc::clone(&stop);
            thread::spawn(move || churn(t, registry, waker, stop, max_kept))
        })
        .collect();

    let mut seen: HashMap<Token, u64> = HashMap::new();
    let mut n_events = 0u64;
    let started = Instant::now();
    let mut poll_once = |poll: &mut Poll, seen: &mut HashMap<Token, u64>| {
        poll.poll(&mut events, Some(Duration::from_millis(20)))
            .unwrap();
        for event in events.iter() {
            n_events += 1;
            *seen.entry(event.token()).or_default() += 1;
        }
    };
    while started.elapsed() < run_for {
        poll_once(&mut poll, &mut seen);
    }
    stop.store(true, Ordering::Relaxed);
    let reports: Vec<ThreadReport> = handles
        .into_iter()
        .map(|h| h.join().expect("churning thread panicked"))
        .collect();

    // Everything is registered now; wait for every kept token, and for a wake made after the
    // threads finished.
    let kept: HashSet<Token> = reports.iter().flat_map(|r| r.kept.clone()).collect();
    seen.remove(&WAKER);
    waker.wake().unwrap();
    let deadline = Instant::now() + DEADLINE;
    while !kept.iter().all(|t| seen.contains_key(t)) || !seen.contains_key(&WAKER) {
        assert!(
            Instant::now() < deadline,
            "{} of {} kept sources never reported (waker seen: {})",
            kept.iter().filter(|t| !seen.contains_key(t)).count(),
            kept.len(),
            seen.contains_key(&WAKER)
        );
        poll_once(&mut poll, &mut seen);
    }
    // Let anything that should never come have its chance to show up.
    let quiet = Instant::now() + util::QUIET;
    while Instant::now() < quiet {
        poll_once(&mut poll, &mut seen);
    }

    let never: HashSet<Token> = reports.iter().flat_map(|r| r.never.clone()).collect();
    let maybe: HashSet<Token> = reports.iter().flat_map(|r| r.maybe.clone()).collect();
    for token in seen.keys() {
        assert!(
            !never.contains(token),
            "{token:?} reported, but it was ready only while deregistered or replaced"
        );
        assert!(
            *token == WAKER || kept.contains(token) || maybe.contains(token),
            "{token:?} reported, but it was never registered"
        );
    }
    let sum = |f: fn(&ThreadReport) -> u64| reports.iter().map(f).sum::<u64>();
    println!(
        "churn: {THREADS} threads for {run_for:?}: {} registrations, {} reregistrations, \
         {} deregistrations, {} wakes; {} kept sources all reported, {} silent ones never \
         reported, {} of {} raced ones reported; {n_events} events",
        sum(|r| r.registrations),
        sum(|r| r.reregistrations),
        sum(|r| r.deregistrations),
        sum(|r| r.wakes),
        kept.len(),
        never.len(),
        maybe.iter().filter(|t| seen.contains_key(t)).count(),
        maybe.len()
    );
}

// ---------------------------------------------------------------------------------------------
// (c) Wake storms.
// ---------------------------------------------------------------------------------------------

/// A wake storm, polled one event at a time, starves no socket and loses no later wake.
#[test]
fn wake_storm_starves_no_socket() {
    const STORMERS: usize = 4;
    const CONNECTIONS: usize = 32;
    let rounds: usize = if soak() { 2_000 } else { 100 };

    let mut poll = Poll::new().unwrap();
    // Capacity 1: the waker and the sockets compete for every slot.
    let mut events = Events::with_capacity(1);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    let mut echoers = Vec::new();
    let mut pingers = Vec::new();
    for i in 0..CONNECTIONS {
        let pinger = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        pinger.set_nodelay(true).unwrap();
        let (echoer, _) = listener.accept().unwrap();
        echoer.set_nonblocking(true).unwrap();
        echoer.set_nodelay(true).unwrap();
        let mut echoer = TcpStream::from_std(echoer);
        poll.registry()
            .register(&mut echoer, Token(100 + i), Interest::READABLE)
            .unwrap();
        echoers.push(echoer);
        pingers.push(pinger);
    }

    let storming = Arc::new(AtomicBool::new(true));
    let wakes = Arc::new(AtomicU64::new(0));
    let stormers: Vec<_> = (0..STORMERS)
        .map(|_| {
            let (waker, storming, wakes) = (
                Arc::clone(&waker),
                Arc::clone(&storming),
                Arc::clone(&wakes),
            );
            thread::spawn(move || {
                while storming.load(Ordering::Relaxed) {
                    waker.wake().unwrap();
                    wakes.fetch_add(1, Ordering::Relaxed);
                    // Where a wake is only an atomic flag while one is pending, a bare loop
                    // would take the CPU from the poller rather than test it.
                    thread::yield_now();
                }
            })
        })
        .collect();
    // Each round sends one byte on every connection and waits for all the echoes.
    let pinger = thread::spawn(move || {
        for round in 0..rounds {
            for pinger in &mut pingers {
                pinger.write_all(&[round as u8]).unwrap();
            }
            for pinger in &mut pingers {
                let mut echo = [0u8];
                pinger.read_exact(&mut echo).unwrap();
                assert_eq!(echo[0], round as u8, "echo of another round");
            }
        }
        pingers
    });

    let started = Instant::now();
    let mut echoed = vec![0usize; CONNECTIONS];
    let (mut waker_events, mut socket_events, mut polls) = (0u64, 0u64, 0u64);
    let deadline = Instant::now() + if soak() { 10 * DEADLINE } else { DEADLINE };
    while echoed.iter().any(|&n| n < rounds) {
        assert!(
            Instant::now() < deadline,
            "starved: echoed {echoed:?} of {rounds} rounds per connection"
        );
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        polls += 1;
        for event in events.iter() {
            if event.token() == WAKER {
                waker_events += 1;
                continue;
            }
            socket_events += 1;
            let i = event.token().0 - 100;
            let mut buf = [0u8; 16];
            loop {
                match echoers[i].read(&mut buf) {
                    Ok(0) => panic!("connection {i} ended early"),
                    Ok(n) => {
                        echoers[i].write_all(&buf[..n]).unwrap();
                        echoed[i] += n;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read failed: {e}"),
                }
            }
            assert!(echoed[i] <= rounds, "connection {i}: too many bytes");
        }
    }
    storming.store(false, Ordering::Relaxed);
    for stormer in stormers {
        stormer.join().unwrap();
    }
    let _pingers = pinger.join().expect("pinger failed");

    // Drain what the storm left, then one more wake must still be reported.
    while !util::poll_once(&mut poll, &mut events, Duration::ZERO).is_empty() {}
    waker.wake().unwrap();
    util::expect_events(&mut poll, &mut events, &[util::Expect::readable(WAKER)]);
    assert!(waker_events > 0, "the storm was never reported");
    println!(
        "wake storm: {} wakes from {STORMERS} threads -> {waker_events} waker events, while \
         {CONNECTIONS} connections x {rounds} ping-pong rounds completed in {socket_events} \
         socket events; {polls} polls with a capacity-1 buffer, {:.2?}",
        wakes.load(Ordering::Relaxed),
        started.elapsed()
    );
}
