//! Tests of what a signal does to a blocked `poll`: as under mio, a handled signal ends the wait
//! with `Interrupted`, so that a program whose handler sets a flag sees it at once; a caller that
//! polls again loses no event, and an `Ok` return without events is never early.
#![cfg(target_os = "linux")]

mod util;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use minimio::net::UdpSocket;
use minimio::{Events, Interest, Poll, Token};

use util::{any_local_address, DEADLINE};

/// Signals delivered so far (only counted by the handler, which is async-signal-safe).
static DELIVERED: AtomicUsize = AtomicUsize::new(0);

/// Set by the handler: what a program's shutdown flag would be.
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    DELIVERED.fetch_add(1, Ordering::SeqCst);
    STOP_REQUESTED.store(true, Ordering::SeqCst);
}

/// Installs the SIGUSR1 handler once, deliberately without `SA_RESTART`.
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = 0;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    });
}

/// Runs `body` (which polls) on a new thread and sends SIGUSR1 to that thread about every
/// millisecond until `body` returns; `during_storm` is called once, ~100 ms into the storm.
/// Returns `body`'s result and how many signals were delivered while it ran.
fn with_signal_storm<T: Send + 'static>(
    body: impl FnOnce() -> T + Send + 'static,
    during_storm: impl FnOnce(),
) -> (T, usize) {
    install_handler();
    let (tid_tx, tid_rx) = mpsc::channel::<libc::pthread_t>();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicBool::new(false));
    let finished2 = Arc::clone(&finished);
    let handle = thread::spawn(move || {
        tid_tx.send(unsafe { libc::pthread_self() }).unwrap();
        let before = DELIVERED.load(Ordering::SeqCst);
        let result = body();
        let delivered = DELIVERED.load(Ordering::SeqCst) - before;
        finished2.store(true, Ordering::SeqCst);
        // Stay alive until the storm has stopped, so no signal targets an exited thread.
        stop_rx.recv().unwrap();
        (result, delivered)
    });
    let tid = tid_rx.recv().unwrap();
    let start = Instant::now();
    let mut during_storm = Some(during_storm);
    while !finished.load(Ordering::SeqCst) {
        assert!(start.elapsed() < DEADLINE, "polling thread never returned");
        let rc = unsafe { libc::pthread_kill(tid, libc::SIGUSR1) };
        assert_eq!(rc, 0);
        if let Some(f) = during_storm.take_if(|_| start.elapsed() >= Duration::from_millis(100)) {
            f();
        }
        // Paces the storm; not used for synchronisation.
        thread::sleep(Duration::from_millis(1));
    }
    stop_tx.send(()).unwrap();
    handle.join().unwrap()
}

/// One `poll(None)` with no source ready ends with `Interrupted` once a handled signal reaches
/// its thread, with no event reported.
#[test]
fn a_handled_signal_ends_the_wait_as_interrupted() {
    let ((result, n_events, elapsed), delivered) = with_signal_storm(
        || {
            let mut poll = Poll::new().unwrap();
            let mut events = Events::with_capacity(8);
            let start = Instant::now();
            // Without the interruption this would wait for the generous deadline.
            let result = poll.poll(&mut events, Some(DEADLINE));
            (result, events.iter().count(), start.elapsed())
        },
        || {},
    );
    assert!(delivered > 0, "no signal reached the polling thread");
    let kind = result.as_ref().map_err(|e| e.kind());
    assert_eq!(
        kind,
        Err(io::ErrorKind::Interrupted),
        "after {elapsed:?} and {delivered} signals"
    );
    assert_eq!(n_events, 0);
    assert!(elapsed < DEADLINE);
}

/// The pattern mio programs rely on: a handler sets a flag, `poll(None)` returns
/// `Interrupted`, the loop sees the flag and stops, with nothing else to wake it.
#[test]
fn a_flag_set_by_a_signal_handler_stops_an_unbounded_loop() {
    install_handler();
    let (tid_tx, tid_rx) = mpsc::channel::<libc::pthread_t>();
    let (done_tx, done_rx) = mpsc::channel::<io::Result<usize>>();
    thread::spawn(move || {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        tid_tx.send(unsafe { libc::pthread_self() }).unwrap();
        let mut interruptions = 0;
        let outcome = loop {
            match poll.poll(&mut events, None) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    interruptions += 1;
                    if STOP_REQUESTED.load(Ordering::SeqCst) {
                        break Ok(interruptions);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        let _ = done_tx.send(outcome);
    });
    let tid = tid_rx.recv().unwrap();
    let start = Instant::now();
    let outcome = loop {
        // Signals are repeated because the first may land before the thread is in `poll`.
        assert_eq!(unsafe { libc::pthread_kill(tid, libc::SIGUSR1) }, 0);
        match done_rx.recv_timeout(Duration::from_millis(20)) {
            Ok(outcome) => break outcome,
            Err(_) if start.elapsed() < DEADLINE => {}
            Err(_) => panic!("the loop never saw its stop flag: poll(None) kept waiting"),
        }
    };
    assert!(outcome.unwrap() >= 1);
}

/// Under a signal storm, every `Ok` return without events comes no earlier than its timeout;
/// a caller that retries after `Interrupted` with the time left waits out the whole timeout.
#[test]
fn signals_never_make_an_ok_return_early() {
    let timeout = Duration::from_millis(300);
    let ((interruptions, early, elapsed), delivered) = with_signal_storm(
        move || {
            let mut poll = Poll::new().unwrap();
            let mut events = Events::with_capacity(8);
            let start = Instant::now();
            let mut interruptions = 0;
            let mut early = Vec::new();
            loop {
                let left = timeout.saturating_sub(start.elapsed());
                let call = Instant::now();
                match poll.poll(&mut events, Some(left)) {
                    Ok(()) => {
                        assert_eq!(events.iter().count(), 0);
                        if call.elapsed() < left {
                            early.push((left, call.elapsed()));
                        }
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => interruptions += 1,
                    Err(e) => panic!("poll failed: {e}"),
                }
            }
            (interruptions, early, start.elapsed())
        },
        || {},
    );
    assert!(delivered > 0, "no signal reached the polling thread");
    assert!(
        early.is_empty(),
        "Ok returns before their timeout: {early:?}"
    );
    assert!(elapsed >= timeout, "returned after {elapsed:?}");
    println!("{delivered} signals, {interruptions} interrupted waits, none early");
}

/// A readiness event arriving mid signal storm is reported to a caller that polls again after
/// each `Interrupted`.
#[test]
fn event_during_signal_storm_is_reported() {
    const SOCKET: Token = Token(4);
    let poll = Poll::new().unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut socket, SOCKET, Interest::READABLE)
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();

    let (tokens, delivered) = with_signal_storm(
        move || {
            let mut poll = poll;
            let mut events = Events::with_capacity(8);
            let deadline = Instant::now() + DEADLINE;
            let tokens: Vec<Token> = loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match poll.poll(&mut events, Some(left)) {
                    Ok(()) => break events.iter().map(|e| e.token()).collect(),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => panic!("poll failed: {e}"),
                }
            };
            drop(socket);
            tokens
        },
        move || {
            sender.send_to(b"x", addr).unwrap();
        },
    );
    assert!(delivered > 0, "no signal reached the polling thread");
    assert_eq!(tokens, vec![SOCKET]);
}
