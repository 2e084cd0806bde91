//! Fault injection: signal storms during long waits, peers that reset connections while
//! minimio writes, sources closed in the middle of an event batch, and fd numbers reused by new
//! sources. Running out of file descriptors lives in `tests/fd_exhaustion.rs`, its own process,
//! because it lowers a process-wide limit.
//!
//! Sizes are small by default; `MINIMIO_SOAK=1` makes them large.

// Signals, SO_LINGER through libc and fd numbers are Unix-only; the rest runs everywhere.
#![cfg_attr(not(unix), allow(unused_imports))]

mod util;

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use minimio::net::{TcpStream, UdpSocket};
use minimio::{Events, Interest, Poll, Token};

use util::{
    any_local_address, expect_events, expect_no_events, readable_socket, soak, Expect, DEADLINE,
};

// ---------------------------------------------------------------------------------------------
// Signal storms.
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
mod signals {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Once};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    /// Signals the handler has run for, in this process.
    pub static HANDLED: AtomicU64 = AtomicU64::new(0);

    extern "C" fn on_signal(_: libc::c_int) {
        HANDLED.fetch_add(1, Ordering::Relaxed);
    }

    /// A SIGUSR2 handler that does nothing but count, installed without `SA_RESTART` so that
    /// every signal interrupts a blocking system call with `EINTR`.
    fn install_handler() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: a zeroed sigaction is a valid starting point; the handler only touches an
            // atomic, which is async-signal-safe.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = 0;
                libc::sigemptyset(&mut action.sa_mask);
                assert_eq!(
                    libc::sigaction(libc::SIGUSR2, &action, std::ptr::null_mut()),
                    0
                );
            }
        });
    }

    /// A thread that sends SIGUSR2 to one thread every `period` until stopped. Dropping it
    /// stops and joins it, so no signal outlives the test.
    pub struct Storm {
        stop: Arc<AtomicBool>,
        handle: Option<JoinHandle<u64>>,
    }

    impl Storm {
        /// Starts storming the calling thread.
        pub fn at_current_thread(period: Duration) -> Storm {
            install_handler();
            // SAFETY: pthread_self has no preconditions.
            let target = unsafe { libc::pthread_self() };
            let stop = Arc::new(AtomicBool::new(false));
            let stopping = Arc::clone(&stop);
            let handle = thread::spawn(move || {
                let mut sent = 0u64;
                while !stopping.load(Ordering::Relaxed) {
                    // SAFETY: the target thread outlives the storm: `Storm` is stopped and
                    // joined (at the latest when dropped) before the storming test returns.
                    assert_eq!(unsafe { libc::pthread_kill(target, libc::SIGUSR2) }, 0);
                    sent += 1;
                    // Paces the storm; nothing waits on it.
                    thread::sleep(period);
                }
                sent
            });
            Storm {
                stop,
                handle: Some(handle),
            }
        }

        /// Stops the storm and returns how many signals were sent.
        pub fn stop(mut self) -> u64 {
            self.finish()
        }

        fn finish(&mut self) -> u64 {
            self.stop.store(true, Ordering::Relaxed);
            self.handle
                .take()
                .map_or(0, |h| h.join().expect("storm thread panicked"))
        }
    }

    impl Drop for Storm {
        fn drop(&mut self) {
            self.finish();
        }
    }
}

/// Under a signal storm, `poll(None)` returns only with events or `Interrupted`, and a caller
/// that polls again after each `Interrupted` loses no event or wake.
#[cfg(unix)]
#[test]
fn signal_storm_loses_no_event_and_never_ends_an_unbounded_wait() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use std::thread;

    use minimio::Waker;

    const CONNECTIONS: usize = 8;
    const WAKER: Token = Token(100);
    const FALLBACK: Token = Token(101);
    let rounds = if soak() { 20_000 } else { 1_000 };

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    /// Wakes the poller under FALLBACK if the driver fails, so the test fails instead of hanging.
    struct Fallback(Waker);
    impl Drop for Fallback {
        fn drop(&mut self) {
            if thread::panicking() {
                let _ = self.0.wake();
            }
        }
    }
    let fallback = Fallback(Waker::new(poll.registry(), FALLBACK).unwrap());
    let listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..CONNECTIONS {
        let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, _) = listener.accept().unwrap();
        stream.set_nonblocking(true).unwrap();
        let mut stream = TcpStream::from_std(stream);
        poll.registry()
            .register(&mut stream, Token(i), Interest::READABLE)
            .unwrap();
        ours.push(stream);
        theirs.push(peer);
    }

    // The driver makes one thing ready per round (a byte on a random connection, or a wake)
    // and waits for the poller to confirm it saw exactly that.
    let (seen_tx, seen_rx) = mpsc::channel::<usize>();
    let done = Arc::new(AtomicBool::new(false));
    let driver = {
        let (waker, done) = (Arc::clone(&waker), Arc::clone(&done));
        thread::spawn(move || {
            let _fallback = fallback;
            let mut rng = 0x9E37_79B9_7F4A_7C15u64;
            for round in 0..rounds {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let what = (rng % (CONNECTIONS as u64 + 1)) as usize;
                if round % 100 == 99 {
                    // Now and then leave the poller in a long wait under the storm.
                    thread::sleep(Duration::from_millis(30));
                }
                if what == CONNECTIONS {
                    waker.wake().unwrap();
                } else {
                    theirs[what].write_all(&[round as u8]).unwrap();
                }
                let deadline = std::time::Instant::now() + DEADLINE;
                // Extra waker confirmations (a spurious event) are allowed; a missing one is not.
                loop {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    match seen_rx.recv_timeout(left) {
                        Ok(seen) if seen == what => break,
                        Ok(seen) if seen == CONNECTIONS => {}
                        Ok(seen) => panic!("round {round}: made {what} ready, poller saw {seen}"),
                        Err(_) => panic!("round {round}: the event for {what} was lost"),
                    }
                }
            }
            done.store(true, Ordering::SeqCst);
            waker.wake().unwrap();
            theirs
        })
    };

    let storm = signals::Storm::at_current_thread(Duration::from_micros(200));
    let handled_before = signals::HANDLED.load(Ordering::Relaxed);
    let mut n_events = 0u64;
    let mut interruptions = 0u64;
    'outer: loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                assert!(events.is_empty(), "Interrupted with events: {events:?}");
                interruptions += 1;
                continue;
            }
            Err(e) => panic!("poll(None) failed under signals: {e} ({:?})", e.kind()),
        }
        assert!(!events.is_empty(), "poll(None) returned without an event");
        for event in events.iter() {
            n_events += 1;
            match event.token() {
                FALLBACK => break 'outer,
                WAKER if done.load(Ordering::SeqCst) => break 'outer,
                WAKER => seen_tx.send(CONNECTIONS).unwrap(),
                Token(i) => {
                    let mut buf = [0u8; 8];
                    loop {
                        match ours[i].read(&mut buf) {
                            Ok(0) => panic!("connection {i} ended"),
                            Ok(n) => (0..n).for_each(|_| seen_tx.send(i).unwrap()),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => panic!("read failed: {e}"),
                        }
                    }
                }
            }
        }
    }
    let sent = storm.stop();
    let handled = signals::HANDLED.load(Ordering::Relaxed) - handled_before;
    let _theirs = driver.join().expect("driver failed");
    assert!(handled > 0, "no signal reached the polling thread");
    println!(
        "signal storm: {rounds} rounds (data on {CONNECTIONS} connections or a wake), \
         {n_events} events, none lost; {sent} signals sent, {handled} handled, \
         {interruptions} waits interrupted"
    );
}

/// Under a signal storm, short and sub-millisecond timeouts end in `Ok` never before their time,
/// or in `Interrupted`.
#[cfg(unix)]
#[test]
fn signal_storm_keeps_short_timeouts_whole() {
    use std::sync::atomic::Ordering;

    let timeouts = [
        Duration::from_nanos(1),
        Duration::from_micros(999),
        Duration::from_millis(1),
        Duration::from_micros(1_500),
        Duration::from_millis(5),
        Duration::from_millis(20),
        Duration::from_millis(60),
    ];
    let repeats = if soak() { 200 } else { 3 };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let storm = signals::Storm::at_current_thread(Duration::from_micros(100));
    let handled_before = signals::HANDLED.load(Ordering::Relaxed);
    let (mut waits, mut interrupted) = (0, 0);
    for _ in 0..repeats {
        for &timeout in &timeouts {
            let start = Instant::now();
            let result = poll.poll(&mut events, Some(timeout));
            let elapsed = start.elapsed();
            assert!(events.is_empty(), "events from nowhere: {events:?}");
            match result {
                Ok(()) => assert!(
                    elapsed >= timeout,
                    "poll({timeout:?}) returned Ok after {elapsed:?}"
                ),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => interrupted += 1,
                Err(e) => panic!("poll({timeout:?}) failed under signals: {e}"),
            }
            waits += 1;
        }
    }
    let sent = storm.stop();
    let handled = signals::HANDLED.load(Ordering::Relaxed) - handled_before;
    assert!(handled > 0, "no signal reached the polling thread");
    println!(
        "signal storm: {waits} timed waits, {interrupted} interrupted, the rest whole; \
         {sent} signals sent, {handled} handled"
    );
}

// ---------------------------------------------------------------------------------------------
// Peers resetting connections.
// ---------------------------------------------------------------------------------------------

/// Makes closing `stream` send a reset (RST) instead of a FIN.
#[cfg(unix)]
fn set_linger_zero(stream: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the option value is a valid `linger` of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(
        rc,
        0,
        "setsockopt(SO_LINGER): {}",
        io::Error::last_os_error()
    );
}

/// Peers resetting (SO_LINGER 0) mid-write surface as events and `io::Error`s, never a panic.
#[cfg(unix)]
#[test]
fn peer_resets_mid_write_surface_as_errors() {
    use std::thread;

    const HEALTHY: Token = Token(usize::MAX);
    let connections = if soak() { 2_000 } else { 40 };

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    let mut ours = Vec::new();
    let mut peers = Vec::new();
    for i in 0..=connections {
        let (stream, _) = {
            let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            peers.push(peer);
            listener.accept().unwrap()
        };
        stream.set_nonblocking(true).unwrap();
        let mut stream = TcpStream::from_std(stream);
        let token = if i == connections { HEALTHY } else { Token(i) };
        poll.registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            .unwrap();
        ours.push(stream);
    }
    let mut healthy_peer = peers.pop().unwrap();

    // Each peer reads a random amount of what minimio writes, then resets the connection.
    let resetter = thread::spawn(move || {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut buf = vec![0u8; 16 * 1024];
        for mut peer in peers {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let mut budget = (rng % (256 * 1024)) as usize;
            while budget > 0 {
                let n = peer.read(&mut buf[..budget.min(16 * 1024)]).unwrap();
                assert!(n > 0, "minimio closed the connection");
                budget -= n;
            }
            set_linger_zero(&peer);
            drop(peer);
        }
    });

    let chunk = vec![0x5Au8; 32 * 1024];
    let mut surfaced: HashMap<usize, io::ErrorKind> = HashMap::new();
    let mut error_events = 0u64;
    let mut written = 0u64;
    let mut healthy_got = Vec::new();
    let deadline = Instant::now() + if soak() { 10 * DEADLINE } else { DEADLINE };
    healthy_peer.write_all(b"still here").unwrap();
    while surfaced.len() < connections || healthy_got.len() < 10 {
        assert!(
            Instant::now() < deadline,
            "{} of {connections} resets surfaced; healthy got {healthy_got:?}",
            surfaced.len()
        );
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        for event in events.iter() {
            if event.token() == HEALTHY {
                let stream = ours.last_mut().unwrap();
                healthy_got.extend(util::read_until_would_block(stream).unwrap());
                continue;
            }
            let i = event.token().0;
            if event.is_error() || event.is_read_closed() || event.is_write_closed() {
                error_events += 1;
            }
            if surfaced.contains_key(&i) {
                continue;
            }
            let stream = &mut ours[i];
            // Keep writing until the kernel refuses; then read, which must also fail or end.
            let outcome = loop {
                match stream.write(&chunk) {
                    Ok(n) => written += n as u64,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break None,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Some(e),
                }
            };
            if let Some(e) = outcome {
                assert!(
                    matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset
                            | io::ErrorKind::BrokenPipe
                            | io::ErrorKind::ConnectionAborted
                    ),
                    "connection {i}: unexpected write error {e} ({:?})",
                    e.kind()
                );
                // The error is now reported; reading must not hang or panic either.
                let mut buf = [0u8; 64];
                match stream.read(&mut buf) {
                    Ok(0) => {}
                    Ok(n) => panic!("connection {i}: {n} bytes from a peer that never wrote"),
                    Err(e) if e.kind() != io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("connection {i}: read after reset: {e}"),
                }
                surfaced.insert(i, e.kind());
            }
        }
    }
    resetter.join().expect("resetting peer thread panicked");
    assert_eq!(healthy_got, b"still here");
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for kind in surfaced.values() {
        *kinds.entry(format!("{kind:?}")).or_default() += 1;
    }
    println!(
        "resets: {connections} peers reset mid-write after minimio wrote {written} bytes; \
         every one surfaced as an error ({kinds:?}), {error_events} error/closed events; \
         the healthy connection kept working"
    );
}

// ---------------------------------------------------------------------------------------------
// Closing sources while a batch of their events is being handled.
// ---------------------------------------------------------------------------------------------

/// Sources closed or deregistered mid-batch are never reported by a later poll, fds reused or not.
#[test]
fn sources_closed_mid_batch_are_never_reported_again() {
    const N: usize = 24;
    let rounds = if soak() { 500 } else { 10 };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut next_token = 0usize;
    let mut stale_in_batch = 0u64;
    let mut closed_total = 0u64;

    for round in 0..rounds {
        let mut live: HashMap<Token, UdpSocket> = HashMap::new();
        for _ in 0..N {
            let token = Token(next_token);
            next_token += 1;
            live.insert(
                token,
                readable_socket(poll.registry(), token, &sender, b"x"),
            );
        }
        let mut pending: HashSet<Token> = live.keys().copied().collect();
        let mut gone: HashSet<Token> = HashSet::new();
        let mut deregistered: Vec<UdpSocket> = Vec::new();
        let deadline = Instant::now() + DEADLINE;
        // Handle batches; in each, the first event's handler closes or deregisters others.
        while !pending.is_empty() {
            assert!(
                Instant::now() < deadline,
                "round {round}: never saw {pending:?}"
            );
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap();
            let batch: Vec<Token> = events.iter().map(|e| e.token()).collect();
            for (k, token) in batch.iter().enumerate() {
                if gone.contains(token) {
                    // A later event of this batch for a source closed earlier in it: ignored.
                    stale_in_batch += 1;
                    continue;
                }
                assert!(live.contains_key(token), "unknown token {token:?}");
                pending.remove(token);
                if k == 0 {
                    for (j, later) in batch.iter().enumerate().skip(1) {
                        if j % 2 == 1 && !gone.contains(later) {
                            let mut socket = live.remove(later).unwrap();
                            if j % 4 == 1 {
                                drop(socket);
                            } else {
                                poll.registry().deregister(&mut socket).unwrap();
                                deregistered.push(socket);
                            }
                            gone.insert(*later);
                            pending.remove(later);
                            closed_total += 1;
                        }
                    }
                }
            }
        }
        // New sources, likely on the fd numbers just freed, and fresh data for the deregistered
        // ones: only the new tokens may be reported.
        let mut fresh: HashMap<Token, UdpSocket> = HashMap::new();
        for _ in 0..gone.len() {
            let token = Token(next_token);
            next_token += 1;
            fresh.insert(
                token,
                readable_socket(poll.registry(), token, &sender, b"y"),
            );
        }
        for socket in &deregistered {
            sender.send_to(b"z", socket.local_addr().unwrap()).unwrap();
        }
        let expected: Vec<Expect> = fresh.keys().map(|&t| Expect::readable(t)).collect();
        let seen = expect_events(&mut poll, &mut events, &expected);
        for s in &seen {
            assert!(
                !gone.contains(&s.token),
                "closed {:?} reported again",
                s.token
            );
        }
        if round + 1 == rounds {
            let gone: Vec<Token> = gone.into_iter().collect();
            expect_no_events(&mut poll, &mut events, &gone);
        }
        for (_, mut socket) in live.into_iter().chain(fresh) {
            poll.registry().deregister(&mut socket).unwrap();
        }
    }
    println!(
        "mid-batch closes: {rounds} rounds, {closed_total} sources closed or deregistered inside \
         a batch, {stale_in_batch} stale events later in the same batch, none reported after"
    );
}

// ---------------------------------------------------------------------------------------------
// fd numbers reused by new pipes and Unix sockets.
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
mod reuse {
    use std::io::Write;
    use std::os::fd::{AsRawFd, RawFd};

    use minimio::event::Source;
    use minimio::net::UnixStream;
    use minimio::unix::pipe;

    /// A source to watch and the end that makes it readable.
    pub enum Pair {
        Pipe(pipe::Receiver, pipe::Sender),
        Unix(UnixStream, UnixStream),
    }

    impl Pair {
        pub fn new(pipe: bool) -> Pair {
            if pipe {
                let (sender, receiver) = pipe::new().unwrap();
                Pair::Pipe(receiver, sender)
            } else {
                let (ours, theirs) = UnixStream::pair().unwrap();
                Pair::Unix(ours, theirs)
            }
        }

        pub fn source(&mut self) -> &mut dyn Source {
            match self {
                Pair::Pipe(receiver, _) => receiver,
                Pair::Unix(ours, _) => ours,
            }
        }

        pub fn fd(&self) -> RawFd {
            match self {
                Pair::Pipe(receiver, _) => receiver.as_raw_fd(),
                Pair::Unix(ours, _) => ours.as_raw_fd(),
            }
        }

        pub fn send(&mut self, data: &[u8]) {
            match self {
                Pair::Pipe(_, sender) => sender.write_all(data).unwrap(),
                Pair::Unix(_, theirs) => theirs.write_all(data).unwrap(),
            }
        }

        pub fn receive(&mut self) -> Vec<u8> {
            match self {
                Pair::Pipe(receiver, _) => super::util::read_until_would_block(receiver),
                Pair::Unix(ours, _) => super::util::read_until_would_block(ours),
            }
            .unwrap()
        }
    }
}

/// A pipe or Unix socket closed while ready: a new one on its fd number reports only its token.
#[cfg(unix)]
#[test]
fn reused_fd_numbers_report_only_the_new_token() {
    use reuse::Pair;

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut next = 0usize;
    let mut reused = 0;
    for (old_is_pipe, new_is_pipe) in [(true, true), (false, false), (true, false), (false, true)] {
        // Other tests open fds concurrently and may take the freed number: retry until it is
        // really reused.
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(attempts <= 100, "the fd number was never reused");
            let (old_token, new_token) = (Token(next), Token(next + 1));
            next += 2;
            let mut old = Pair::new(old_is_pipe);
            poll.registry()
                .register(old.source(), old_token, Interest::READABLE)
                .unwrap();
            old.send(b"old");
            let old_fd = old.fd();
            drop(old);

            let mut new = Pair::new(new_is_pipe);
            if new.fd() != old_fd {
                continue;
            }
            poll.registry()
                .register(new.source(), new_token, Interest::READABLE)
                .unwrap();
            new.send(b"new");
            let seen = expect_events(&mut poll, &mut events, &[Expect::readable(new_token)]);
            assert!(
                seen.iter().all(|s| s.token == new_token),
                "stale token after fd reuse: {seen:?}"
            );
            expect_no_events(&mut poll, &mut events, &[old_token]);
            assert_eq!(new.receive(), b"new");
            reused += 1;
            break;
        }
    }
    assert_eq!(reused, 4);
}

// ---------------------------------------------------------------------------------------------
// Sources whose fd has a duplicate.
// ---------------------------------------------------------------------------------------------

/// A source dropped while a duplicate of its fd lives on is never reported again.
#[test]
fn dropped_source_with_a_live_duplicate_is_never_reported() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);

    let listener = std::net::TcpListener::bind(any_local_address()).unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    client.set_nonblocking(true).unwrap();
    let tcp_duplicate = client.try_clone().unwrap();
    let mut stream = TcpStream::from_std(client);
    poll.registry()
        .register(&mut stream, Token(1), Interest::READABLE)
        .unwrap();

    let socket = std::net::UdpSocket::bind(any_local_address()).unwrap();
    socket.set_nonblocking(true).unwrap();
    let udp_duplicate = socket.try_clone().unwrap();
    let mut socket = UdpSocket::from_std(socket);
    poll.registry()
        .register(&mut socket, Token(2), Interest::READABLE)
        .unwrap();

    drop(stream);
    drop(socket);
    peer.write_all(b"after the drop").unwrap();
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    sender
        .send_to(b"after the drop", udp_duplicate.local_addr().unwrap())
        .unwrap();

    // A live source beside them proves the poll is looking.
    let mut witness = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut witness, Token(3), Interest::READABLE)
        .unwrap();
    sender
        .send_to(b"witness", witness.local_addr().unwrap())
        .unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(3))]);
    assert!(seen.iter().all(|s| s.token == Token(3)), "{seen:?}");
    expect_no_events(&mut poll, &mut events, &[Token(1), Token(2)]);

    // The duplicates still hold the data: it was the registration that went away.
    let mut buf = [0u8; 32];
    let n = util::retry_would_block(|| (&tcp_duplicate).read(&mut buf));
    assert_eq!(&buf[..n], b"after the drop");
    let n = util::retry_would_block(|| udp_duplicate.recv(&mut buf));
    assert_eq!(&buf[..n], b"after the drop");
}
