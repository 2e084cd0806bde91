//! Tests of a `Registry` shared between threads while another thread polls.

mod util;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use minimio::net::UdpSocket;
use minimio::{Events, Interest, Poll, Registry, Token};

use util::{any_local_address, count_events_while_quiet, readable_socket, DEADLINE};

const THREADS: usize = 4;
const PER_THREAD: usize = 40;

/// Token of the `i`-th socket that thread `t` keeps registered.
fn kept(t: usize, i: usize) -> Token {
    Token(t * 10_000 + i)
}

/// Token of the `i`-th socket that thread `t` registers and then deregisters before it is ready.
fn churned(t: usize, i: usize) -> Token {
    Token(t * 10_000 + 5_000 + i)
}

/// What one registering thread does: keeps `PER_THREAD` sockets registered and made ready, and
/// registers, reregisters and deregisters as many others that are only made ready afterwards.
fn register_many(registry: Arc<Registry>, t: usize) -> Vec<UdpSocket> {
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut keep = Vec::new();
    for i in 0..PER_THREAD {
        keep.push(readable_socket(&registry, kept(t, i), &sender, b"k"));

        let mut gone = UdpSocket::bind(any_local_address()).unwrap();
        registry
            .register(&mut gone, churned(t, i), Interest::READABLE)
            .unwrap();
        registry
            .reregister(&mut gone, churned(t, i), Interest::READABLE)
            .unwrap();
        registry.deregister(&mut gone).unwrap();
        let addr: SocketAddr = gone.local_addr().unwrap();
        sender.send_to(b"c", addr).unwrap();
        // Kept open (returned with the others) so its readiness would be visible if it leaked.
        keep.push(gone);
        if i % 8 == 0 {
            thread::yield_now();
        }
    }
    keep
}

/// Concurrent (de)registration via `Arc<Registry>`: each kept source reported once, no other.
#[test]
fn concurrent_registration_while_polling() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let registry = Arc::new(poll.registry().try_clone().unwrap());

    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let registry = Arc::clone(&registry);
            thread::spawn(move || register_many(registry, t))
        })
        .collect();

    let mut counts: HashMap<Token, usize> = HashMap::new();
    let wanted = THREADS * PER_THREAD;
    let deadline = Instant::now() + DEADLINE;
    let kept_seen = |counts: &HashMap<Token, usize>| {
        (0..THREADS)
            .flat_map(|t| (0..PER_THREAD).map(move |i| kept(t, i)))
            .filter(|k| counts.contains_key(k))
            .count()
    };
    while kept_seen(&counts) < wanted || !handles.iter().all(|h| h.is_finished()) {
        let now = Instant::now();
        assert!(
            now < deadline,
            "saw {} of {wanted} sources: {counts:?}",
            kept_seen(&counts)
        );
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        for event in events.iter() {
            assert!(event.is_readable(), "{event:?}");
            *counts.entry(event.token()).or_default() += 1;
        }
    }
    let sockets: Vec<UdpSocket> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("registering thread panicked"))
        .collect();

    // Anything late (a duplicate, or a deregistered socket) would show up now.
    count_events_while_quiet(&mut poll, &mut events, &mut counts);

    for t in 0..THREADS {
        for i in 0..PER_THREAD {
            assert_eq!(
                counts.get(&kept(t, i)),
                Some(&1),
                "{:?} not reported once",
                kept(t, i)
            );
            assert_eq!(
                counts.get(&churned(t, i)),
                None,
                "deregistered {:?} reported",
                churned(t, i)
            );
        }
    }
    assert_eq!(counts.len(), wanted, "unexpected tokens: {counts:?}");
    drop(sockets);
}

/// Threads registering through one shared registry each get their own token's events.
#[test]
fn registry_shared_with_threads_that_wait_for_their_events() {
    use std::sync::mpsc;

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let registry = Arc::new(poll.registry().try_clone().unwrap());
    // The poller forwards each event to the thread that owns the token.
    let mut routes: HashMap<Token, mpsc::Sender<()>> = HashMap::new();
    let mut handles = Vec::new();
    const ROUNDS: usize = 25;
    for t in 0..THREADS {
        let (tx, rx) = mpsc::channel::<()>();
        routes.insert(Token(t), tx);
        let registry = Arc::clone(&registry);
        handles.push(thread::spawn(move || {
            let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
            for _ in 0..ROUNDS {
                let mut socket = readable_socket(&registry, Token(t), &sender, b"x");
                rx.recv_timeout(DEADLINE)
                    .expect("event for this thread's token never came");
                registry.deregister(&mut socket).unwrap();
            }
        }));
    }
    let mut per_token = [0usize; THREADS];
    let deadline = Instant::now() + DEADLINE;
    while per_token.iter().any(|&n| n < ROUNDS) {
        assert!(Instant::now() < deadline, "counts so far: {per_token:?}");
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        for event in events.iter() {
            let t = usize::from(event.token());
            assert!(t < THREADS, "unknown token {event:?}");
            per_token[t] += 1;
            assert!(
                per_token[t] <= ROUNDS,
                "too many events for {t}: {per_token:?}"
            );
            routes[&event.token()].send(()).unwrap();
        }
    }
    for handle in handles {
        handle.join().expect("registering thread panicked");
    }
}
