//! Reading a readiness report: which AFD events mean what.
//!
//! A report keeps the AFD bits the driver wrote (those the socket had armed), so that its flags
//! are what the kernel saw. The accessors below decide what each bit means to a caller; the
//! grouping is the one every AFD-based library uses, because it is what the next I/O call
//! will do: an abort or a failed connect ends both directions, a peer's orderly shutdown only
//! reading.

use std::fmt;

use super::ffi::*;
use crate::Token;

/// Not an AFD bit: minimio's mark for "the poll request itself failed". Nothing is known about
/// the socket then, so the report says everything at once (readable, writable, both directions
/// closed, and an error), as mio reports a failed poll by `AFD_POLL_CONNECT_FAIL`: every
/// waiter, whichever direction it waits for, wakes and tries its I/O, and the first call
/// returns the failure (see [`IoSourceState::do_io`](super::IoSourceState::do_io)).
pub(super) const POLL_FAILED: u32 = 1 << 31;

/// One readiness report: the AFD events that happened (and were armed), and the token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub(super) flags: u32,
    pub(super) data: u64,
}

/// The buffer [`Selector::select`](super::Selector::select) fills: its capacity is the most
/// reports one call returns.
pub(crate) type Events = Vec<Event>;

pub(crate) fn token(event: &Event) -> Token {
    Token(event.data as usize)
}

/// Data, a connection to accept, or an end of stream (orderly, aborted or a failed connect:
/// each makes the next read return at once), or a failed poll (the next read reports it).
pub(crate) fn is_readable(event: &Event) -> bool {
    event.flags
        & (AFD_POLL_RECEIVE
            | AFD_POLL_RECEIVE_EXPEDITED
            | AFD_POLL_ACCEPT
            | AFD_POLL_DISCONNECT
            | AFD_POLL_ABORT
            | AFD_POLL_CONNECT_FAIL
            | POLL_FAILED)
        != 0
}

/// Room to send, or a connection that ended so that the next write returns at once, or a failed
/// poll.
pub(crate) fn is_writable(event: &Event) -> bool {
    event.flags & (AFD_POLL_SEND | AFD_POLL_ABORT | AFD_POLL_CONNECT_FAIL | POLL_FAILED) != 0
}

pub(crate) fn is_error(event: &Event) -> bool {
    event.flags & (AFD_POLL_CONNECT_FAIL | POLL_FAILED) != 0
}

pub(crate) fn is_read_closed(event: &Event) -> bool {
    event.flags & (AFD_POLL_DISCONNECT | AFD_POLL_ABORT | AFD_POLL_CONNECT_FAIL | POLL_FAILED) != 0
}

pub(crate) fn is_write_closed(event: &Event) -> bool {
    event.flags & (AFD_POLL_ABORT | AFD_POLL_CONNECT_FAIL | POLL_FAILED) != 0
}

pub(crate) fn is_priority(event: &Event) -> bool {
    event.flags & AFD_POLL_RECEIVE_EXPEDITED != 0
}

pub(crate) fn is_aio(_: &Event) -> bool {
    false
}

pub(crate) fn is_lio(_: &Event) -> bool {
    false
}

/// The AFD bits by name, for `{:#?}` of an event.
pub(crate) fn debug_details(f: &mut fmt::Formatter<'_>, event: &Event) -> fmt::Result {
    let names = [
        (AFD_POLL_RECEIVE, "AFD_POLL_RECEIVE"),
        (AFD_POLL_RECEIVE_EXPEDITED, "AFD_POLL_RECEIVE_EXPEDITED"),
        (AFD_POLL_SEND, "AFD_POLL_SEND"),
        (AFD_POLL_DISCONNECT, "AFD_POLL_DISCONNECT"),
        (AFD_POLL_ABORT, "AFD_POLL_ABORT"),
        (AFD_POLL_ACCEPT, "AFD_POLL_ACCEPT"),
        (AFD_POLL_CONNECT_FAIL, "AFD_POLL_CONNECT_FAIL"),
        (POLL_FAILED, "POLL_FAILED"),
    ];
    let mut list = f.debug_list();
    for (_, name) in names.iter().filter(|(bit, _)| event.flags & bit != 0) {
        list.entry(&format_args!("{name}"));
    }
    list.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abort_closes_both_directions_and_a_disconnect_only_reading() {
        let abort = Event {
            flags: AFD_POLL_ABORT,
            data: 3,
        };
        assert!(is_read_closed(&abort) && is_write_closed(&abort));
        assert_eq!(token(&abort), Token(3));
        let disconnect = Event {
            flags: AFD_POLL_DISCONNECT,
            data: 0,
        };
        assert!(is_read_closed(&disconnect) && !is_write_closed(&disconnect));
        assert!(is_readable(&disconnect) && !is_writable(&disconnect));
    }
}
