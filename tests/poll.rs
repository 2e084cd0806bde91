//! Tests of `Poll` itself: creation, timeouts, small event buffers and resource use.

mod util;

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::thread;
use std::time::{Duration, Instant};

use minimio::net::TcpListener;
use minimio::{Events, Interest, Poll, Registry, Token, Waker};

use util::{any_local_address, count_events_while_quiet, expect_no_events, DEADLINE};

/// Tests that count this process's open file descriptors take this lock for writing; every other
/// test in this file takes it for reading, so no socket opened by a neighbour skews the count.
static FD_LOCK: RwLock<()> = RwLock::new(());

fn shared() -> RwLockReadGuard<'static, ()> {
    FD_LOCK.read().unwrap_or_else(|e| e.into_inner())
}

const WAKER: Token = Token(1_000_000);

/// Asserts that `poll` with `timeout`, with nothing ready, returns no events, not before
/// `timeout` has elapsed, and well before [`DEADLINE`] (a watchdog waker fires then, so a timeout
/// mistaken for "forever" fails instead of hanging).
fn assert_waits_at_least(timeout: Duration) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    // An idle socket that never becomes readable, so the selector has something registered.
    let mut idle = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut idle, Token(0), Interest::READABLE)
        .unwrap();
    let watchdog = Waker::new(poll.registry(), WAKER).unwrap();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        if done_rx.recv_timeout(DEADLINE).is_err() {
            watchdog.wake().unwrap();
        }
    });
    for _ in 0..3 {
        let start = Instant::now();
        poll.poll(&mut events, Some(timeout)).unwrap();
        let elapsed = start.elapsed();
        assert!(
            events.is_empty(),
            "events with timeout {timeout:?} after {elapsed:?}: {events:?}"
        );
        assert!(
            elapsed >= timeout,
            "poll with timeout {timeout:?} returned after {elapsed:?}"
        );
    }
    done_tx.send(()).unwrap();
    handle.join().unwrap();
}

/// `Poll::new` succeeds and a fresh poll has a registry that accepts a source.
#[test]
fn new_poll_has_working_registry() {
    let _guard = shared();
    let poll = Poll::new().unwrap();
    let mut socket = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut socket, Token(0), Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut socket).unwrap();
}

/// A zero timeout returns no events, and is not rounded up to a sleep (fastest call < 1 ms).
#[test]
fn zero_timeout_returns_promptly_without_events() {
    let _guard = shared();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut idle = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut idle, Token(0), Interest::READABLE)
        .unwrap();
    let mut fastest = Duration::MAX;
    for _ in 0..50 {
        let start = Instant::now();
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        fastest = fastest.min(start.elapsed());
        assert!(events.is_empty(), "unexpected events: {events:?}");
    }
    // A zero timeout rounded up to epoll's 1 ms granularity would sleep at least that long. Under
    // Miri's interpreter a call can take that long anyway, so only the events are checked there.
    if !cfg!(miri) {
        assert!(
            fastest < Duration::from_millis(1),
            "fastest zero-timeout poll took {fastest:?}"
        );
    }
}

/// A 1 ns timeout never returns before 1 ns has elapsed and reports nothing.
#[test]
fn one_nanosecond_timeout_is_not_cut_short() {
    let _guard = shared();
    assert_waits_at_least(Duration::from_nanos(1));
}

/// A 999 µs timeout (below the millisecond granularity of some selectors) is not rounded down.
#[test]
fn sub_millisecond_timeout_is_not_cut_short() {
    let _guard = shared();
    assert_waits_at_least(Duration::from_micros(999));
}

/// A 1 ms timeout never returns early.
#[test]
fn one_millisecond_timeout_is_not_cut_short() {
    let _guard = shared();
    assert_waits_at_least(Duration::from_millis(1));
}

/// A 50 ms timeout never returns early.
#[test]
fn fifty_millisecond_timeout_is_not_cut_short() {
    let _guard = shared();
    assert_waits_at_least(Duration::from_millis(50));
}

/// A timeout that is not a whole number of milliseconds is rounded up, not down.
#[test]
fn fractional_millisecond_timeout_is_not_cut_short() {
    let _guard = shared();
    assert_waits_at_least(Duration::from_micros(2_500));
}

/// Polls once with `timeout` while another thread wakes the poll after a while, and checks that
/// this single call returned with the waker's event (it did not give up early).
fn assert_blocks_until_woken(timeout: Option<Duration>) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let (tx, rx) = mpsc::channel::<()>();
    let waker2 = Arc::clone(&waker);
    let handle = thread::spawn(move || {
        // Give the poller time to block; correctness does not depend on it.
        thread::sleep(Duration::from_millis(100));
        waker2.wake().unwrap();
        // If the poll did not see the wake, keep waking until the deadline so the test ends.
        let deadline = Instant::now() + DEADLINE;
        while rx.recv_timeout(Duration::from_millis(500)).is_err() && Instant::now() < deadline {
            waker2.wake().unwrap();
        }
    });
    let start = Instant::now();
    poll.poll(&mut events, timeout).unwrap();
    let elapsed = start.elapsed();
    tx.send(()).unwrap();
    handle.join().unwrap();
    let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
    assert_eq!(tokens, vec![WAKER], "poll returned after {elapsed:?}");
}

/// `poll(None)` blocks until an event arrives and returns because of it.
#[test]
fn no_timeout_blocks_until_event() {
    let _guard = shared();
    assert_blocks_until_woken(None);
}

/// `Duration::MAX` behaves like no timeout: it blocks until an event, without overflowing.
#[test]
fn max_duration_blocks_until_event() {
    let _guard = shared();
    assert_blocks_until_woken(Some(Duration::MAX));
}

/// With an events buffer of capacity 1, each of 64 ready sources is reported exactly once.
#[test]
fn capacity_one_buffer_loses_nothing() {
    let _guard = shared();
    const N: usize = 64;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1);
    let mut listeners = Vec::new();
    for i in 0..N {
        let mut listener = TcpListener::bind(any_local_address()).unwrap();
        poll.registry()
            .register(&mut listener, Token(i), Interest::READABLE)
            .unwrap();
        listeners.push(listener);
    }
    // One pending connection makes each listener readable.
    let _clients: Vec<std::net::TcpStream> = listeners
        .iter()
        .map(|listener| std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap())
        .collect();
    let mut counts: HashMap<Token, usize> = HashMap::new();
    let deadline = Instant::now() + DEADLINE;
    while counts.len() < N {
        let now = Instant::now();
        assert!(
            now < deadline,
            "only {} of {N} sources reported: {counts:?}",
            counts.len()
        );
        poll.poll(&mut events, Some(deadline - now)).unwrap();
        assert!(
            events.iter().count() <= 1,
            "more events than the buffer's capacity"
        );
        for event in events.iter() {
            assert!(event.is_readable(), "{event:?}");
            *counts.entry(event.token()).or_default() += 1;
        }
    }
    // Nothing further: each edge was reported once.
    count_events_while_quiet(&mut poll, &mut events, &mut counts);
    for i in 0..N {
        assert_eq!(
            counts.get(&Token(i)),
            Some(&1),
            "token {i} reported wrongly: {counts:?}"
        );
    }
    assert_eq!(counts.len(), N, "unknown tokens: {counts:?}");
}

/// Creating and dropping 2000 `Poll`s (each with a waker) leaves no file descriptor open.
#[cfg(target_os = "linux")]
#[test]
fn create_and_drop_many_polls_leaks_no_fd() {
    let _guard = FD_LOCK.write().unwrap_or_else(|e| e.into_inner());
    // Warm up anything created lazily once per process.
    drop(Poll::new().unwrap());
    let before = util::open_fd_count();
    for i in 0..2000 {
        let poll = Poll::new().unwrap();
        if i % 2 == 0 {
            let _waker = Waker::new(poll.registry(), WAKER).unwrap();
            let _clone = poll.registry().try_clone().unwrap();
        }
        drop(poll);
    }
    let after = util::open_fd_count();
    assert!(after <= before, "open fds grew from {before} to {after}");
}

/// `Poll` can be sent to another thread and used there; `Registry` is `Send + Sync`.
#[test]
fn poll_is_send_and_registry_is_send_sync() {
    let _guard = shared();
    fn assert_send<T: Send>() {}
    assert_send::<Poll>();
    util::assert_send_sync::<Registry>();
    let poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    waker.wake().unwrap();
    let handle = thread::spawn(move || {
        let mut poll = poll;
        let mut events = Events::with_capacity(4);
        util::expect_events(&mut poll, &mut events, &[util::Expect::readable(WAKER)]);
    });
    handle.join().unwrap();
}

/// Polling into `Events` of capacity 0 is an error, not a panic, and loses no readiness.
#[test]
fn zero_capacity_events_is_an_error() {
    let _guard = shared();
    let mut poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    waker.wake().unwrap();
    let mut empty = Events::with_capacity(0);
    let result = poll.poll(&mut empty, Some(Duration::from_millis(10)));
    let err = result.expect_err("poll with a zero-capacity Events must fail");
    // Any kind is acceptable; print it so the kind observed is visible with --nocapture.
    println!("zero-capacity poll error kind: {:?} ({err})", err.kind());
    assert!(empty.is_empty());
    let mut events = Events::with_capacity(4);
    util::expect_events(&mut poll, &mut events, &[util::Expect::readable(WAKER)]);
    expect_no_events(&mut poll, &mut events, &[]);
}
