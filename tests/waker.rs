//! Tests of `Waker`: delivery, coalescing, concurrent use and use after the `Poll` is gone.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use minimio::{Events, Poll, Token, Waker};

use util::{expect_events, expect_no_events, Expect, DEADLINE};

const WAKER: Token = Token(10);

/// Checks that `poll` reports the waker exactly once and then stays quiet.
fn assert_one_wake_reported(poll: &mut Poll, events: &mut Events) {
    let seen = expect_events(poll, events, &[Expect::readable(WAKER)]);
    assert_eq!(
        seen.iter().filter(|s| s.token == WAKER).count(),
        1,
        "{seen:?}"
    );
    expect_no_events(poll, events, &[WAKER]);
}

/// Waking before anyone polls leaves a readable event with the waker's token for the next poll.
#[test]
fn wake_before_poll_is_reported() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    waker.wake().unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(WAKER)]);
    assert!(seen.iter().all(|s| s.token == WAKER), "{seen:?}");
}

/// Several wakes before a poll give one event, and no more until the next wake.
#[test]
fn wakes_coalesce_into_one_event() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    for _ in 0..10 {
        waker.wake().unwrap();
    }
    assert_one_wake_reported(&mut poll, &mut events);

    waker.wake().unwrap();
    assert_one_wake_reported(&mut poll, &mut events);
}

/// 1000 rounds of wake then poll: every wake after a reported one gives a new event.
#[test]
fn each_wake_after_a_poll_produces_an_event() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    for _ in 0..1000 {
        waker.wake().unwrap();
        expect_events(&mut poll, &mut events, &[Expect::readable(WAKER)]);
    }
}

/// The same, but the wake comes from another thread while the poller may already be blocked.
#[test]
fn each_wake_from_another_thread_produces_an_event() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let (go_tx, go_rx) = std::sync::mpsc::channel::<bool>();
    let remote = Arc::clone(&waker);
    let handle = thread::spawn(move || {
        while go_rx.recv().unwrap() {
            remote.wake().unwrap();
        }
    });
    for _ in 0..200 {
        go_tx.send(true).unwrap();
        expect_events(&mut poll, &mut events, &[Expect::readable(WAKER)]);
    }
    go_tx.send(false).unwrap();
    handle.join().unwrap();
}

/// 8 threads x 1000 wakes while polling: no error, no deadlock, the last wake is reported.
#[test]
fn concurrent_wakes_from_many_threads() {
    const THREADS: usize = 8;
    const WAKES: usize = 1000;

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let finished = Arc::new(AtomicUsize::new(0));
    // The time each thread started its final wake.
    let last_wake: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::new()));

    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let waker = Arc::clone(&waker);
            let finished = Arc::clone(&finished);
            let last_wake = Arc::clone(&last_wake);
            thread::spawn(move || {
                for i in 0..WAKES {
                    if i == WAKES - 1 {
                        last_wake.lock().unwrap().push(Instant::now());
                    }
                    waker.wake().unwrap();
                    if i % 100 == 0 {
                        thread::yield_now();
                    }
                }
                finished.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();

    let deadline = Instant::now() + DEADLINE;
    let mut wake_events = 0usize;
    // When the most recent poll that reported the waker returned.
    let mut latest_report: Option<Instant> = None;
    loop {
        let now = Instant::now();
        assert!(
            now < deadline,
            "no waker event after the last wake ({wake_events} events, {} threads finished)",
            finished.load(Ordering::SeqCst)
        );
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap();
        let returned = Instant::now();
        for event in events.iter() {
            assert_eq!(event.token(), WAKER, "{event:?}");
        }
        if !events.is_empty() {
            wake_events += 1;
            latest_report = Some(returned);
        }
        // Once every thread has finished, a report returned after the start of the latest final
        // wake shows that wake was not lost. A correct waker always gets here: the event covering
        // that wake is taken, and so returned, after the wake began.
        if finished.load(Ordering::SeqCst) == THREADS {
            let last = last_wake.lock().unwrap().iter().copied().max().unwrap();
            if latest_report.is_some_and(|r| r > last) {
                break;
            }
        }
    }
    for handle in handles {
        handle.join().expect("a waking thread panicked");
    }
    assert!(wake_events >= 1);
    // Quiet again once everything has been reported.
    let quiet_deadline = Instant::now() + DEADLINE;
    loop {
        assert!(
            Instant::now() < quiet_deadline,
            "waker keeps reporting events"
        );
        let seen = util::poll_once(&mut poll, &mut events, util::QUIET);
        if seen.is_empty() {
            break;
        }
    }
}

/// Waking after the `Poll` has been dropped does not panic, whatever it returns.
#[test]
fn wake_after_poll_dropped_does_not_panic() {
    let poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    waker.wake().unwrap();
    drop(poll);
    for _ in 0..3 {
        let result = waker.wake();
        println!("wake after drop: {result:?}");
    }
    drop(waker);
}

/// `Waker` is `Send + Sync`, so it can be shared through an `Arc` and used from any thread.
#[test]
fn waker_is_send_sync() {
    util::assert_send_sync::<Waker>();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let remote = Arc::clone(&waker);
    thread::spawn(move || remote.wake().unwrap())
        .join()
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(WAKER)]);
}
