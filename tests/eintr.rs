//! Tests that signals interrupting a blocked `poll` are handled inside it: minimio retries with
//! the time that remains, so callers never see `Interrupted`.
#![cfg(target_os = "linux")]

mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use minimio::net::UdpSocket;
use minimio::{Events, Interest, Poll, Token};

use util::{any_local_address, DEADLINE};

/// Signals delivered so far (only counted by the handler, which is async-signal-safe).
static DELIVERED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    DELIVERED.fetch_add(1, Ordering::SeqCst);
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

/// A 300 ms poll under a signal storm returns Ok, with no events, and not before 300 ms.
#[test]
fn signals_do_not_cut_a_timeout_short() {
    let timeout = Duration::from_millis(300);
    let ((result, elapsed, n_events), delivered) = with_signal_storm(
        move || {
            let mut poll = Poll::new().unwrap();
            let mut events = Events::with_capacity(8);
            let start = Instant::now();
            let result = poll.poll(&mut events, Some(timeout));
            (result, start.elapsed(), events.iter().count())
        },
        || {},
    );
    assert!(delivered > 0, "no signal reached the polling thread");
    if let Err(e) = &result {
        panic!(
            "poll failed after {delivered} signals ({:?}): {e}",
            e.kind()
        );
    }
    assert_eq!(n_events, 0);
    assert!(
        elapsed >= timeout,
        "poll returned after {elapsed:?}, {delivered} signals"
    );
}

/// A readiness event arriving mid signal storm is returned, Ok, by the one blocked poll call.
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

    let ((result, tokens), delivered) = with_signal_storm(
        move || {
            let mut poll = poll;
            let mut events = Events::with_capacity(8);
            let result = poll.poll(&mut events, Some(DEADLINE));
            let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
            drop(socket);
            (result, tokens)
        },
        move || {
            sender.send_to(b"x", addr).unwrap();
        },
    );
    assert!(delivered > 0, "no signal reached the polling thread");
    if let Err(e) = &result {
        panic!(
            "poll failed after {delivered} signals ({:?}): {e}",
            e.kind()
        );
    }
    assert_eq!(tokens, vec![SOCKET]);
}
