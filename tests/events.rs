//! Tests of the `Events` buffer and of `Event`'s accessors and formatting.

mod util;

use std::collections::HashSet;

use minimio::event::Event;
use minimio::net::UdpSocket;
use minimio::{Events, Poll, Token, Waker};

use util::{any_local_address, expect_events, readable_socket, Expect};

/// Fills `events` with readable events for tokens 0..n (n UDP sockets with a datagram each) and
/// returns the sockets, which must stay alive while the events are inspected.
fn fill(poll: &mut Poll, events: &mut Events, n: usize) -> Vec<UdpSocket> {
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut sockets = Vec::new();
    for i in 0..n {
        sockets.push(readable_socket(poll.registry(), Token(i), &sender, b"x"));
    }
    // Wait until one poll returns all n events at once (they are all ready already, so the first
    // poll normally does; keep polling if the platform hands them over in pieces).
    let expected: Vec<Expect> = (0..n).map(|i| Expect::readable(Token(i))).collect();
    let seen = expect_events(poll, events, &expected);
    assert_eq!(seen.len(), n, "each socket reported once: {seen:?}");
    sockets
}

/// `with_capacity` sets the capacity reported by `capacity`, and a new buffer is empty.
#[test]
fn with_capacity_and_capacity() {
    for n in [1, 2, 16, 1024] {
        let events = Events::with_capacity(n);
        assert_eq!(events.capacity(), n);
        assert!(events.is_empty());
        assert_eq!(events.iter().count(), 0);
    }
    let events = Events::with_capacity(0);
    assert_eq!(events.capacity(), 0);
    assert!(events.is_empty());
}

/// `iter` and `&Events` iteration agree on a poll's events; `clear` empties, keeps capacity.
#[test]
fn iter_into_iterator_and_clear() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let sockets = fill(&mut poll, &mut events, 1);

    // `fill` returned with the last poll's events still in the buffer.
    assert!(!events.is_empty());
    let via_iter: Vec<Token> = events.iter().map(Event::token).collect();
    let mut via_ref = Vec::new();
    for event in &events {
        via_ref.push(event.token());
    }
    assert_eq!(via_iter, via_ref);
    assert_eq!(via_iter, vec![Token(0)]);
    let event = events.iter().next().unwrap();
    assert!(event.is_readable());
    assert!(!event.is_writable());

    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
    assert_eq!((&events).into_iter().count(), 0);
    assert_eq!(events.capacity(), 8);
    drop(sockets);
}

/// Each poll replaces the buffer's contents; a poll with nothing ready leaves it empty.
#[test]
fn poll_replaces_previous_contents() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(32);
    let waker = Waker::new(poll.registry(), Token(100)).unwrap();
    let _sockets = fill(&mut poll, &mut events, 5);
    waker.wake().unwrap();
    let seen = expect_events(&mut poll, &mut events, &[Expect::readable(Token(100))]);
    assert!(seen.iter().all(|s| s.token == Token(100)), "{seen:?}");
    assert!(!events.is_empty());

    poll.poll(&mut events, Some(std::time::Duration::ZERO))
        .unwrap();
    assert!(events.is_empty(), "stale events kept: {events:?}");
    assert_eq!(events.iter().count(), 0);
}

/// The iterator yields distinct events, no more than the buffer's capacity.
#[test]
fn iterator_respects_capacity() {
    let mut poll = Poll::new().unwrap();
    let sender = std::net::UdpSocket::bind(any_local_address()).unwrap();
    let mut sockets = Vec::new();
    for i in 0..10 {
        sockets.push(readable_socket(poll.registry(), Token(i), &sender, b"x"));
    }
    let mut events = Events::with_capacity(3);
    let mut all = HashSet::new();
    let deadline = std::time::Instant::now() + util::DEADLINE;
    while all.len() < 10 {
        assert!(std::time::Instant::now() < deadline, "saw only {all:?}");
        poll.poll(&mut events, Some(util::DEADLINE)).unwrap();
        let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
        assert!(tokens.len() <= 3, "{tokens:?}");
        for token in tokens {
            assert!(all.insert(token), "{token:?} reported twice");
        }
    }
}

/// `Debug` on an event (plain and alternate) and on `Events` produces text and does not panic.
#[test]
fn event_debug_formatting() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let _sockets = fill(&mut poll, &mut events, 2);
    for event in &events {
        let plain = format!("{event:?}");
        let alternate = format!("{event:#?}");
        assert!(!plain.is_empty());
        assert!(!alternate.is_empty());
    }
    assert!(!format!("{events:?}").is_empty());
    let empty = Events::with_capacity(4);
    assert!(!format!("{empty:?}").is_empty());
}
