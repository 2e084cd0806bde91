//! For the tests only: making the AFD driver refuse poll requests, or fail them on completion.
//!
//! Neither happens on a healthy system, and Wine cannot be made to do either, yet both are
//! paths the selector must get right. The seam sits exactly where the driver's answer enters
//! minimio: [`Afd::poll`](super::afd::Afd::poll) asks [`take_refusal`] before it calls
//! `NtDeviceIoControlFile`, and [`SockState::complete`](super::sock_state::SockState::complete)
//! asks [`take_failure`] before it reads the status the driver wrote. Everything above those
//! two points runs as it would for a real failure.
//!
//! Faults are planned per socket (the harness runs tests in parallel threads of one process,
//! and a fault must hit the test that planned it), by the socket's handle, which is its base
//! handle too when no layered provider is installed, as under Wine.

use std::os::windows::io::AsRawSocket;
use std::sync::Mutex;

use super::{ffi, lock};

/// The status an injected fault reports: what the driver answers when it runs out of memory.
pub(super) const INJECTED_STATUS: ffi::NTSTATUS =
    windows_sys::Win32::Foundation::STATUS_INSUFFICIENT_RESOURCES;

/// The error an injected fault becomes, as `RtlNtStatusToDosError` maps [`INJECTED_STATUS`].
pub(super) const INJECTED_ERROR: i32 =
    windows_sys::Win32::Foundation::ERROR_NO_SYSTEM_RESOURCES as i32;

struct Plan {
    socket: ffi::SOCKET,
    refusals: usize,
    failures: usize,
}

static PLANS: Mutex<Vec<Plan>> = Mutex::new(Vec::new());

/// The faults planned for one socket; dropping it cancels those not yet used.
#[derive(Debug)]
pub(super) struct Faults {
    socket: ffi::SOCKET,
}

impl Faults {
    pub(super) fn for_socket(socket: &impl AsRawSocket) -> Faults {
        let socket = socket.as_raw_socket() as ffi::SOCKET;
        lock(&PLANS).push(Plan {
            socket,
            refusals: 0,
            failures: 0,
        });
        Faults { socket }
    }

    /// The next `count` poll requests for the socket are refused, as if the driver had
    /// returned [`INJECTED_STATUS`]; nothing reaches the driver and no packet follows.
    pub(super) fn refuse_submissions(&self, count: usize) {
        self.change(|plan| plan.refusals += count);
    }

    /// The next `count` completions of the socket's requests read as failed with
    /// [`INJECTED_STATUS`], whatever the driver wrote.
    pub(super) fn fail_completions(&self, count: usize) {
        self.change(|plan| plan.failures += count);
    }

    fn change(&self, f: impl FnOnce(&mut Plan)) {
        let mut plans = lock(&PLANS);
        if let Some(plan) = plans.iter_mut().find(|plan| plan.socket == self.socket) {
            f(plan);
        }
    }
}

impl Drop for Faults {
    fn drop(&mut self) {
        lock(&PLANS).retain(|plan| plan.socket != self.socket);
    }
}

/// Whether the driver should refuse this poll request for `socket`, and with which status.
pub(super) fn take_refusal(socket: ffi::SOCKET) -> Option<ffi::NTSTATUS> {
    take(socket, |plan| &mut plan.refusals)
}

/// Whether this completion for `socket` should read as failed, and with which status.
pub(super) fn take_failure(socket: ffi::SOCKET) -> Option<ffi::NTSTATUS> {
    take(socket, |plan| &mut plan.failures)
}

fn take(socket: ffi::SOCKET, counter: impl Fn(&mut Plan) -> &mut usize) -> Option<ffi::NTSTATUS> {
    let mut plans = lock(&PLANS);
    let plan = plans.iter_mut().find(|plan| plan.socket == socket)?;
    let left = counter(plan);
    if *left == 0 {
        return None;
    }
    *left -= 1;
    Some(INJECTED_STATUS)
}

mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::super::{afd, event, net, Event, Events, IoSourceState, Selector};
    use super::*;
    use crate::{Interest, Token};

    #[test]
    fn the_injected_status_maps_to_the_injected_error() {
        let err = afd::nt_error(INJECTED_STATUS);
        assert_eq!(err.raw_os_error(), Some(INJECTED_ERROR), "{err}");
    }

    /// Polls until a report for `token` arrives; panics after a generous deadline.
    fn next_report(selector: &Selector, events: &mut Events, token: Token) -> Event {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            selector
                .select(events, Some(Duration::from_millis(100)))
                .unwrap();
            if let Some(found) = events.iter().find(|e| event::token(e) == token) {
                return *found;
            }
        }
        panic!("no report for {token:?}");
    }

    /// A refusal hits the socket it was planned for, once, and no other; so does a failure.
    #[test]
    fn planned_faults_hit_their_socket_once() {
        let localhost = "127.0.0.1:0".parse().unwrap();
        let selector = Arc::new(Selector::new().unwrap());
        let faulty = net::udp_bind(&localhost).unwrap();
        let spared = net::udp_bind(&localhost).unwrap();
        let faults = Faults::for_socket(&faulty);
        faults.refuse_submissions(1);
        let mut states = [IoSourceState::new(), IoSourceState::new()];
        states[0]
            .register(&selector, &faulty, Token(1), Interest::READABLE)
            .unwrap();
        states[1]
            .register(&selector, &spared, Token(2), Interest::READABLE)
            .unwrap();
        let mut events = Events::with_capacity(8);
        selector.select(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(event::token(&events[0]), Token(1));
        assert!(event::is_error(&events[0]));
        assert_eq!(take_refusal(faulty.as_raw_socket() as ffi::SOCKET), None);

        faults.fail_completions(1);
        let sender = std::net::UdpSocket::bind(localhost).unwrap();
        sender.send_to(b"x", spared.local_addr().unwrap()).unwrap();
        let report = next_report(&selector, &mut events, Token(2));
        assert!(!event::is_error(&report), "{report:?}");
        assert_eq!(
            take_failure(faulty.as_raw_socket() as ffi::SOCKET),
            Some(INJECTED_STATUS)
        );
    }

    /// tokio wakes readers only for readable or read-closed reports and writers only for
    /// writable or write-closed ones: a failure must be all four, or someone waits for ever.
    fn assert_wakes_every_waiter(report: &Event) {
        assert!(event::is_error(report), "{report:?}");
        assert!(event::is_readable(report), "{report:?}");
        assert!(event::is_writable(report), "{report:?}");
        assert!(event::is_read_closed(report), "{report:?}");
        assert!(event::is_write_closed(report), "{report:?}");
    }

    fn recv(state: &IoSourceState, socket: &std::net::UdpSocket) -> std::io::Result<usize> {
        state.do_io(|socket| socket.recv(&mut [0; 16]), socket)
    }

    fn assert_would_block(result: std::io::Result<usize>) {
        match result {
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("expected WouldBlock, got {other:?}"),
        }
    }

    /// After a failure has been reported and surfaced, the socket is polled as before.
    fn assert_polled_again(
        selector: &Selector,
        state: &IoSourceState,
        socket: &std::net::UdpSocket,
    ) {
        let mut events = Events::with_capacity(8);
        assert_would_block(recv(state, socket));
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sender.send_to(b"y", socket.local_addr().unwrap()).unwrap();
        let report = next_report(selector, &mut events, Token(1));
        assert!(
            event::is_readable(&report) && !event::is_error(&report),
            "{report:?}"
        );
    }

    #[test]
    fn a_refused_request_wakes_every_waiter_and_the_next_io_returns_its_error() {
        let selector = Arc::new(Selector::new().unwrap());
        let socket = net::udp_bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let faults = Faults::for_socket(&socket);
        faults.refuse_submissions(1);
        let mut state = IoSourceState::new();
        state
            .register(&selector, &socket, Token(1), Interest::READABLE)
            .unwrap();
        let mut events = Events::with_capacity(8);
        assert_wakes_every_waiter(&next_report(&selector, &mut events, Token(1)));
        let err = recv(&state, &socket).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(INJECTED_ERROR), "{err}");
        assert_polled_again(&selector, &state, &socket);
    }

    #[test]
    fn a_failed_request_wakes_every_waiter_and_the_next_io_returns_its_error() {
        let selector = Arc::new(Selector::new().unwrap());
        let socket = net::udp_bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let faults = Faults::for_socket(&socket);
        let mut state = IoSourceState::new();
        state
            .register(&selector, &socket, Token(1), Interest::READABLE)
            .unwrap();
        let mut events = Events::with_capacity(8);
        selector.select(&mut events, Some(Duration::ZERO)).unwrap();
        faults.fail_completions(1);
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sender.send_to(b"x", socket.local_addr().unwrap()).unwrap();
        assert_wakes_every_waiter(&next_report(&selector, &mut events, Token(1)));
        let err = recv(&state, &socket).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(INJECTED_ERROR), "{err}");
        // The datagram that completed the request is still there.
        assert_eq!(recv(&state, &socket).unwrap(), 1);
        assert_polled_again(&selector, &state, &socket);
    }

    /// A re-arm refused while another thread waits in `select` is retried by that wait, which
    /// then sees what arrives next. (The thread that re-arms issues the request itself, since
    /// the blocked wait would not look at the update queue before its next packet.)
    #[test]
    fn a_rearm_refused_during_a_wait_is_retried_by_that_wait() {
        let selector = Arc::new(Selector::new().unwrap());
        let socket = net::udp_bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let faults = Faults::for_socket(&socket);
        let mut state = IoSourceState::new();
        state
            .register(&selector, &socket, Token(1), Interest::READABLE)
            .unwrap();
        // The first refusal disarms the socket until its owner tries I/O; the second is its
        // re-arm's.
        faults.refuse_submissions(2);
        let mut events = Events::with_capacity(8);
        assert!(event::is_error(&next_report(
            &selector,
            &mut events,
            Token(1)
        )));
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let waits = selector.waits_begun();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while selector.waits_begun() == waits {
                    std::thread::yield_now();
                }
                // The failure kept for the owner's I/O, then the drain whose WouldBlock
                // re-arms.
                assert!(recv(&state, &socket).is_err());
                assert_would_block(recv(&state, &socket));
                sender.send_to(b"x", socket.local_addr().unwrap()).unwrap();
            });
            selector
                .select(&mut events, Some(Duration::from_secs(10)))
                .unwrap();
        });
        assert!(
            events.iter().any(|e| event::token(e) == Token(1)
                && event::is_readable(e)
                && !event::is_error(e)),
            "the refused re-arm was not retried: {events:?}"
        );
    }
}
