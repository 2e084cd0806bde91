//! The readiness backends for Unix systems; exactly one is compiled in.
//!
//! epoll on Linux, kqueue on macOS, iOS and the BSDs, and poll(2) wherever neither is used:
//! `RUSTFLAGS="--cfg minimio_force_poll"` selects it on any of those systems, which is how its
//! tests run on Linux. build.rs turns that choice into `minimio_epoll`, `minimio_kqueue` or
//! `minimio_poll`.

#[cfg(any(minimio_epoll, minimio_poll))]
use std::time::Duration;

#[cfg(minimio_epoll)]
mod epoll;
#[cfg(minimio_epoll)]
pub(crate) use self::epoll::{event, Event, Events, Selector};

#[cfg(minimio_kqueue)]
mod kqueue;
#[cfg(all(minimio_kqueue, minimio_evfilt_user))]
pub(crate) use self::kqueue::Waker;
#[cfg(minimio_kqueue)]
pub(crate) use self::kqueue::{event, Event, Events, Selector};

// The kernel-independent half of the kqueue backend is compiled on every Unix when testing, so
// its rules are checked on machines that have no kqueue.
#[cfg(any(test, minimio_kqueue))]
#[cfg_attr(not(minimio_kqueue), allow(dead_code))]
mod kqueue_rules;

#[cfg(minimio_poll)]
mod poll;
#[cfg(minimio_poll)]
pub(crate) use self::poll::{event, Event, Events, IoSourceState, Selector, Waker};

/// A timeout in whole milliseconds, as `epoll_wait` and `poll` take it: -1 for ever, rounded
/// *up* so that a wait never ends early, and at most `i32::MAX` (a caller with a longer timeout
/// waits again for what is left).
#[cfg(any(minimio_epoll, minimio_poll))]
fn timeout_ms(timeout: Option<Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(timeout) => {
            let whole = timeout.as_millis();
            let ceil = whole + u128::from(timeout.subsec_nanos() % 1_000_000 != 0);
            ceil.min(i32::MAX as u128) as i32
        }
    }
}

#[cfg(all(test, any(minimio_epoll, minimio_poll)))]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_and_saturate() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_nanos(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(999))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1001))), 2);
        assert_eq!(
            timeout_ms(Some(Duration::from_secs(3 * 24 * 3600 * 10))),
            i32::MAX
        );
        assert_eq!(timeout_ms(Some(Duration::MAX)), i32::MAX);
    }
}
