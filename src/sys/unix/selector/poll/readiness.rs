//! What one `poll` call's answers mean: which registrations are reported, with which bits, and
//! which interests a report disarms until the program has drained them (the emulation of edge
//! triggering that the parent module describes).

use super::{Event, Events, State};
use crate::sys::unix::ffi;
use crate::Interest;

/// Moves pending wakes into `events`, as many as fit.
pub(super) fn report_wakes(state: &mut State, events: &mut Events) {
    let room = events.capacity() - events.len();
    let reported = state.woken.len().min(room);
    for (_, token) in state.woken.drain(..reported) {
        events.push(Event {
            token,
            revents: ffi::POLLIN,
        });
    }
}

/// Turns the `revents` of one `poll` into events, disarming what is reported, until `events`
/// is full; what does not fit stays armed and is reported by the next call.
pub(super) fn report_ready(
    state: &mut State,
    ready: &[ffi::pollfd],
    ids: &[u64],
    events: &mut Events,
) {
    let first = state.next_first % ready.len().max(1);
    for index in (first..ready.len()).chain(0..first) {
        let pollfd = ready[index];
        if pollfd.revents == 0 {
            continue;
        }
        let Some(registration) = state.registrations.get_mut(&pollfd.fd) else {
            continue;
        };
        if registration.id != ids[index] {
            continue; // deregistered, and maybe registered again, while poll slept
        }
        if pollfd.revents & ffi::POLLNVAL != 0 {
            state.registrations.remove(&pollfd.fd); // closed without deregistering
            continue;
        }
        // Interests disarmed or removed while poll slept are not reported.
        let mut reported = pollfd.revents & registration.armed;
        if reported == 0 {
            continue;
        }
        // Asked for the half-close alone (data was reported already), poll leaves out POLLIN;
        // but the end of the stream is something to read, as epoll says.
        if read_hung_up(reported) {
            reported |= ffi::POLLIN;
        }
        if events.len() == events.capacity() {
            state.next_first = index;
            return;
        }
        events.push(Event {
            token: registration.token,
            revents: reported,
        });
        registration.armed &= !disarmed_by(reported);
        state.next_first = index + 1;
    }
}

/// Which armed bits a report uses up: each reported bit, on its own, so that what is still armed
/// can bring news later. A peer's half-close (`POLLRDHUP`) ends reading for good, and an error
/// or hang-up (which `poll` reports whatever the array asks for, and keeps reporting) takes the
/// fd out of the array altogether until it is re-armed.
fn disarmed_by(reported: ffi::c_short) -> ffi::c_short {
    if reported & (ffi::POLLERR | ffi::POLLHUP) != 0 {
        return !0;
    }
    let mut bits = 0;
    if reported & ffi::POLLIN != 0 {
        bits |= ffi::POLLIN;
    }
    if read_hung_up(reported) {
        bits |= ffi::POLLIN | READ_HANG_UP;
    }
    if reported & ffi::POLLPRI != 0 {
        bits |= ffi::POLLPRI;
    }
    if reported & ffi::POLLOUT != 0 {
        bits |= ffi::POLLOUT;
    }
    bits
}

/// Linux (since 2.6.17) and FreeBSD report a peer's half-close as `POLLRDHUP` when asked; the
/// other systems have no such bit and report it only as readable (a read then returns 0).
#[cfg(minimio_pollrdhup)]
const READ_HANG_UP: ffi::c_short = ffi::POLLRDHUP;
#[cfg(not(minimio_pollrdhup))]
const READ_HANG_UP: ffi::c_short = 0;

/// Whether `revents` include the peer's half-close (never, where there is no `POLLRDHUP`: the
/// mask is then zero on purpose).
#[cfg_attr(not(minimio_pollrdhup), allow(clippy::bad_bit_mask))]
fn read_hung_up(revents: ffi::c_short) -> bool {
    revents & READ_HANG_UP != 0
}

/// Whether `revents` say the peer shut down its writing side; where there is no `POLLRDHUP`, a
/// read returning 0 is the only sign.
pub(super) fn peer_shut_down(revents: ffi::c_short) -> bool {
    revents & ffi::POLLIN != 0 && read_hung_up(revents)
}

/// What to watch for. `poll` reports errors and hang-ups (`POLLERR`, `POLLHUP`) whatever it is
/// asked, so their bits in the array change nothing for the kernel; here they mark that the fd
/// must stay in the array to hear about them, even once its other interests are disarmed (a
/// pipe's writer learns that its reader is gone, as under epoll, without writing first).
pub(super) fn poll_bits(interests: Interest) -> ffi::c_short {
    let mut bits = ffi::POLLERR | ffi::POLLHUP;
    if interests.is_readable() {
        bits |= ffi::POLLIN | READ_HANG_UP;
    }
    if interests.is_writable() {
        bits |= ffi::POLLOUT;
    }
    if interests.is_priority() {
        bits |= ffi::POLLPRI;
    }
    bits
}

/// Reading an [`Event`]: the same rules as epoll's bits, which have the same meaning.
pub(crate) mod event {
    use std::fmt;

    use super::Event;
    use crate::sys::unix::ffi::*;
    use crate::Token;

    pub(crate) fn token(event: &Event) -> Token {
        event.token
    }

    pub(crate) fn is_readable(event: &Event) -> bool {
        event.revents & (POLLIN | POLLPRI) != 0
    }

    pub(crate) fn is_writable(event: &Event) -> bool {
        event.revents & POLLOUT != 0
    }

    pub(crate) fn is_error(event: &Event) -> bool {
        event.revents & POLLERR != 0
    }

    /// A hang-up, or (on Linux) the peer's half-close reported with data direction in.
    pub(crate) fn is_read_closed(event: &Event) -> bool {
        event.revents & POLLHUP != 0 || super::peer_shut_down(event.revents)
    }

    /// A hang-up, an error on a writable source, or an error alone.
    pub(crate) fn is_write_closed(event: &Event) -> bool {
        let bits = event.revents;
        bits & POLLHUP != 0 || (bits & POLLOUT != 0 && bits & POLLERR != 0) || bits == POLLERR
    }

    pub(crate) fn is_priority(event: &Event) -> bool {
        event.revents & POLLPRI != 0
    }

    pub(crate) fn is_aio(_: &Event) -> bool {
        false
    }

    pub(crate) fn is_lio(_: &Event) -> bool {
        false
    }

    /// The reported `POLL*` bits by name, for `{:#?}` of an event.
    pub(crate) fn debug_details(f: &mut fmt::Formatter<'_>, event: &Event) -> fmt::Result {
        let names = [
            (POLLIN, "POLLIN"),
            (POLLPRI, "POLLPRI"),
            (POLLOUT, "POLLOUT"),
            (POLLERR, "POLLERR"),
            (POLLHUP, "POLLHUP"),
            (super::READ_HANG_UP, "POLLRDHUP"),
        ];
        let mut list = f.debug_list();
        for (_, name) in names
            .iter()
            .filter(|(bit, _)| *bit != 0 && event.revents & bit != 0)
        {
            list.entry(&format_args!("{name}"));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::RawFd;

    use super::super::Registration;
    use super::*;
    use crate::Token;

    fn registration(token: usize, wanted: ffi::c_short) -> Registration {
        Registration {
            id: token as u64,
            token: Token(token),
            wanted,
            armed: wanted,
        }
    }

    fn ready(fd: RawFd, revents: ffi::c_short) -> ffi::pollfd {
        ffi::pollfd {
            fd,
            events: 0,
            revents,
        }
    }

    #[test]
    fn a_report_disarms_only_its_own_direction() {
        let rw = poll_bits(Interest::READABLE | Interest::WRITABLE);
        assert_eq!(disarmed_by(ffi::POLLIN) & rw, ffi::POLLIN);
        assert_eq!(
            disarmed_by(ffi::POLLIN | READ_HANG_UP) & rw,
            ffi::POLLIN | READ_HANG_UP
        );
        assert_eq!(disarmed_by(ffi::POLLOUT) & rw, ffi::POLLOUT);
        assert_eq!(rw & !disarmed_by(ffi::POLLHUP), 0);
        assert_eq!(rw & !disarmed_by(ffi::POLLOUT | ffi::POLLERR), 0);
    }

    #[test]
    fn reported_interests_are_not_reported_again_until_rearmed() {
        let mut state = State::default();
        let rw = poll_bits(Interest::READABLE | Interest::WRITABLE);
        state.registrations.insert(7, registration(1, rw));
        let mut events = Vec::with_capacity(4);
        report_ready(&mut state, &[ready(7, ffi::POLLIN)], &[1], &mut events);
        assert_eq!(events.len(), 1);
        assert!(event::is_readable(&events[0]) && !event::is_writable(&events[0]));
        let still_armed = ffi::POLLOUT | READ_HANG_UP | ffi::POLLERR | ffi::POLLHUP;
        assert_eq!(state.registrations[&7].armed, still_armed);
    }

    #[cfg(minimio_pollrdhup)]
    #[test]
    fn a_half_close_after_data_is_still_reported_as_the_end_of_the_stream() {
        let mut state = State::default();
        state
            .registrations
            .insert(7, registration(1, poll_bits(Interest::READABLE)));
        let mut events = Vec::with_capacity(4);
        report_ready(&mut state, &[ready(7, ffi::POLLIN)], &[1], &mut events);
        events.clear();
        report_ready(&mut state, &[ready(7, ffi::POLLRDHUP)], &[1], &mut events);
        assert!(event::is_readable(&events[0]) && event::is_read_closed(&events[0]));
    }

    #[test]
    fn errors_are_heard_after_every_interest_was_reported() {
        let mut state = State::default();
        state
            .registrations
            .insert(3, registration(1, poll_bits(Interest::WRITABLE)));
        let mut events = Vec::with_capacity(4);
        report_ready(&mut state, &[ready(3, ffi::POLLOUT)], &[1], &mut events);
        report_ready(&mut state, &[ready(3, ffi::POLLERR)], &[1], &mut events);
        assert!(event::is_error(&events[1]) && event::is_write_closed(&events[1]));
        assert_eq!(state.registrations[&3].armed, 0);
    }

    #[test]
    fn a_full_buffer_leaves_the_rest_armed_and_serves_it_first_next_time() {
        let mut state = State::default();
        for fd in 0..3 {
            let token = fd as usize;
            state
                .registrations
                .insert(fd, registration(token, ffi::POLLIN));
        }
        let all_ready: Vec<_> = (0..3).map(|fd| ready(fd, ffi::POLLIN)).collect();
        let mut events = Vec::with_capacity(2);
        report_ready(&mut state, &all_ready, &[0, 1, 2], &mut events);
        let first: Vec<_> = events.iter().map(event::token).collect();
        assert_eq!(first, [Token(0), Token(1)]);
        assert_eq!(state.registrations[&2].armed, ffi::POLLIN);

        // Re-arm everything, as WouldBlock would: fd 2 must now come before 0 and 1.
        for registration in state.registrations.values_mut() {
            registration.armed = registration.wanted;
        }
        events.clear();
        report_ready(&mut state, &all_ready, &[0, 1, 2], &mut events);
        assert_eq!(event::token(&events[0]), Token(2));
    }

    #[test]
    fn stale_and_closed_registrations_are_not_reported() {
        let mut state = State::default();
        state.registrations.insert(4, registration(9, ffi::POLLIN));
        let mut events = Vec::with_capacity(4);
        // Reported for an older registration of the same fd number.
        report_ready(&mut state, &[ready(4, ffi::POLLIN)], &[3], &mut events);
        assert!(events.is_empty());
        // The fd was closed behind our back: the registration goes, silently.
        report_ready(&mut state, &[ready(4, ffi::POLLNVAL)], &[9], &mut events);
        assert!(events.is_empty() && state.registrations.is_empty());
    }

    #[test]
    fn wakes_wait_for_room() {
        let mut state = State {
            woken: vec![(7, Token(1)), (8, Token(2))],
            ..State::default()
        };
        let mut events = Vec::with_capacity(1);
        report_wakes(&mut state, &mut events);
        assert_eq!(event::token(&events[0]), Token(1));
        assert!(event::is_readable(&events[0]));
        assert_eq!(state.woken, [(8, Token(2))]);
    }
}
